package instructions

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

func execExpose(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	if _, err := parseFlags(req.Instruction); err != nil {
		return sdk.Response{}, err
	}
	words, err := argWords(req)
	if err != nil {
		return sdk.Response{}, err
	}
	if len(words) == 0 {
		return sdk.Response{}, errors.New("EXPOSE requires at least one argument")
	}
	var ports []string
	for _, w := range words {
		p, err := parsePort(w)
		if err != nil {
			return sdk.Response{}, err
		}
		ports = append(ports, p...)
	}
	c := cloneConfig(req.Config)
	c.ExposedPorts = appendUnique(c.ExposedPorts, ports...)
	return configOnly(c, fmt.Sprintf("EXPOSE %v", ports))
}

// parsePort turns "80", "80/udp" or "8000-8002/tcp" into "port/proto"
// entries. Like Docker it tolerates a host part ("[ip:]host:container")
// and keeps only the container port.
func parsePort(raw string) ([]string, error) {
	spec := raw
	if i := strings.LastIndex(spec, ":"); i >= 0 {
		spec = spec[i+1:]
	}
	port, proto, _ := strings.Cut(spec, "/")
	proto = strings.ToLower(proto)
	switch proto {
	case "":
		proto = "tcp"
	case "tcp", "udp", "sctp":
	default:
		return nil, fmt.Errorf("invalid port %q: invalid proto: %s", raw, proto)
	}
	start, end, err := portRange(port)
	if err != nil {
		return nil, fmt.Errorf("invalid port %q: %w", raw, err)
	}
	out := make([]string, 0, end-start+1)
	for p := start; p <= end; p++ {
		out = append(out, strconv.Itoa(p)+"/"+proto)
	}
	return out, nil
}

func portRange(s string) (int, int, error) {
	if s == "" {
		return 0, 0, errors.New("no port specified")
	}
	lo, hi, isRange := strings.Cut(s, "-")
	start, err := portNumber(lo)
	if err != nil || !isRange {
		return start, start, err
	}
	end, err := portNumber(hi)
	if err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, fmt.Errorf("invalid port range: %s", s)
	}
	return start, end, nil
}

func portNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("invalid port number %q: must be 0-65535", s)
	}
	return n, nil
}
