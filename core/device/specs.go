package device

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrNeedsFullHull is what resolving CDI devices or --gpus answers in a
// hull that does not link the CDI library (CDILinked is false): the
// caller hands its command to the full hull (core/appbin).
var ErrNeedsFullHull = errors.New("CDI devices and GPUs are resolved by the full hull")

// systemSpecDirs are the CDI library's default spec directories
// (cdi.DefaultSpecDirs, pinned by a test), here so that a hull without
// the library names them too.
var systemSpecDirs = []string{"/etc/cdi", "/var/run/cdi"}

// DefaultSpecDirs are where CDI specs are read, lowest priority first: the
// CDI defaults (/etc/cdi, /var/run/cdi), then the user's own directory
// ($XDG_CONFIG_HOME/cdi or ~/.config/cdi), so a user's spec for a device
// name overrides the system's for their containers only.
func DefaultSpecDirs() []string {
	dirs := slices.Clone(systemSpecDirs)
	if d := userSpecDir(); d != "" {
		dirs = append(dirs, d)
	}
	return dirs
}

func userSpecDir() string {
	if x := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "cdi")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".config", "cdi")
	}
	return ""
}

// specs is what Resolve and Discover need of the CDI specs: the CDI
// library's cache (*CDI, cdi.go) in a hull that links it, none in the
// default hull (cdi_lean.go), whose openSpecs answers ErrNeedsFullHull.
type specs interface {
	// Devices lists the fully qualified names of every device.
	Devices() []string
	// Errors lists the spec files that were left out, with why.
	Errors() []string
	// apply adds the edits of one device (or =all of a class) to p.
	apply(p *Plan, name string) error
}

// hasKind reports whether s has a device of class vendor/class.
func hasKind(s specs, kind string) bool {
	for _, d := range s.Devices() {
		if strings.HasPrefix(d, kind+"=") {
			return true
		}
	}
	return false
}

// gpuNames picks the CDI devices of a --gpus request: nvidia-ctk names
// them by index, by UUID, and "all".
func gpuNames(s specs, req GPURequest) ([]string, error) {
	if req.Count < 0 {
		return []string{"nvidia.com/gpu=all"}, nil
	}
	if len(req.DeviceIDs) > 0 {
		var out []string
		for _, id := range req.DeviceIDs {
			out = append(out, "nvidia.com/gpu="+id)
		}
		return out, nil
	}
	var idx []int
	for _, d := range s.Devices() {
		if n, err := strconv.Atoi(strings.TrimPrefix(d, "nvidia.com/gpu=")); err == nil && strings.HasPrefix(d, "nvidia.com/gpu=") {
			idx = append(idx, n)
		}
	}
	sort.Ints(idx)
	if len(idx) < req.Count {
		return nil, fmt.Errorf("--gpus %d: the nvidia.com/gpu CDI spec lists %d GPUs", req.Count, len(idx))
	}
	var out []string
	for _, n := range idx[:req.Count] {
		out = append(out, "nvidia.com/gpu="+strconv.Itoa(n))
	}
	return out, nil
}
