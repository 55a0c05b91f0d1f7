package device

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"tags.cncf.io/container-device-interface/pkg/parser"
)

// Node is one --device HOST[:CONTAINER][:PERMISSIONS] (Docker's
// DeviceMapping).
type Node struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
}

// IsCDI reports whether a --device value names a CDI device
// (vendor.com/class=name) rather than a host path.
func IsCDI(s string) bool {
	return parser.IsQualifiedName(s)
}

// ParseNode parses --device HOST[:CONTAINER][:PERMISSIONS] as Docker does:
// the container path defaults to the host path, the permissions to "rwm",
// and a second field made only of r, w and m is the permissions.
func ParseNode(s string) (Node, error) {
	parts := strings.Split(s, ":")
	n := Node{CgroupPermissions: "rwm"}
	switch len(parts) {
	case 1:
		n.PathOnHost = parts[0]
	case 2:
		n.PathOnHost = parts[0]
		if validPermissions(parts[1]) {
			n.CgroupPermissions = parts[1]
		} else {
			n.PathInContainer = parts[1]
		}
	case 3:
		n.PathOnHost, n.PathInContainer = parts[0], parts[1]
		if !validPermissions(parts[2]) {
			return Node{}, fmt.Errorf("invalid device specification %s: permissions %q are not a combination of r, w and m", s, parts[2])
		}
		n.CgroupPermissions = parts[2]
	default:
		return Node{}, fmt.Errorf("invalid device specification %s: HOST[:CONTAINER][:PERMISSIONS]", s)
	}
	if n.PathInContainer == "" {
		n.PathInContainer = n.PathOnHost
	}
	if !path.IsAbs(n.PathOnHost) {
		return Node{}, fmt.Errorf("invalid device specification %s: %s is not an absolute path", s, n.PathOnHost)
	}
	if !path.IsAbs(n.PathInContainer) {
		return Node{}, fmt.Errorf("invalid device specification %s: %s is not an absolute path", s, n.PathInContainer)
	}
	n.PathOnHost, n.PathInContainer = path.Clean(n.PathOnHost), path.Clean(n.PathInContainer)
	return n, nil
}

func validPermissions(p string) bool {
	if p == "" || len(p) > 3 {
		return false
	}
	for _, c := range p {
		if !strings.ContainsRune("rwm", c) {
			return false
		}
	}
	return true
}

// GPURequest is a parsed --gpus (Docker's DeviceRequest for the nvidia
// driver): Count -1 is all, else Count GPUs, or the DeviceIDs.
type GPURequest struct {
	Driver       string     `json:"Driver"`
	Count        int        `json:"Count"`
	DeviceIDs    []string   `json:"DeviceIDs"`
	Capabilities [][]string `json:"Capabilities"`
}

// ParseGPUs parses --gpus as Docker does: "all", a count, or a list of
// key=value fields (count=, device=, driver=, capabilities=), where
// device= takes IDs separated by commas ("device=0,1", as the shell
// passes '"device=0,1"').
func ParseGPUs(s string) (GPURequest, error) {
	req := GPURequest{Driver: "nvidia", Capabilities: [][]string{{"gpu"}}}
	s = strings.Trim(strings.TrimSpace(s), `"'`)
	switch {
	case s == "":
		return req, fmt.Errorf("invalid --gpus: empty")
	case s == "all":
		req.Count = -1
		return req, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 {
			return req, fmt.Errorf("invalid --gpus %s: the count must be at least 1", s)
		}
		req.Count = n
		return req, nil
	}
	fields := strings.Split(s, ",")
	var key string
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			// A bare value continues the previous key's list
			// (device=0,1 or capabilities=compute,utility).
			if key != "device" && key != "capabilities" {
				return req, fmt.Errorf("invalid --gpus %s: %q is not KEY=VALUE (all, a count, or count=, device=, driver=, capabilities=)", s, f)
			}
			k, v = key, f
		}
		key = k
		switch k {
		case "count":
			if v == "all" {
				req.Count = -1
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return req, fmt.Errorf("invalid --gpus %s: count %q is not all or a number of at least 1", s, v)
			}
			req.Count = n
		case "device":
			if v == "" {
				return req, fmt.Errorf("invalid --gpus %s: empty device id", s)
			}
			req.DeviceIDs = append(req.DeviceIDs, v)
		case "driver":
			if v != "nvidia" {
				return req, fmt.Errorf("invalid --gpus %s: hull knows only the nvidia driver", s)
			}
		case "capabilities":
			req.Capabilities[0] = append(req.Capabilities[0], v)
		default:
			return req, fmt.Errorf("invalid --gpus %s: unknown field %q", s, k)
		}
	}
	if req.Count != 0 && len(req.DeviceIDs) > 0 {
		return req, fmt.Errorf("invalid --gpus %s: count and device cannot be combined", s)
	}
	if req.Count == 0 && len(req.DeviceIDs) == 0 {
		req.Count = -1
	}
	return req, nil
}
