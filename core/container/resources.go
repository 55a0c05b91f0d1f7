package container

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"

	"github.com/hull-project/hull/isolation"
)

// LimitOptions are the run flags that sandbox a container for CI: resource
// limits, a time-out and the user namespace, as given.
type LimitOptions struct {
	Memory     string // --memory, "512m"
	MemorySwap string // --memory-swap, memory plus swap; "-1" unlimited
	CPUs       string // --cpus, "1.5"
	CPUShares  int64  // --cpu-shares
	PidsLimit  int64  // --pids-limit; 0 or -1 unlimited
	Ulimits    []string
	// StrictLimits makes every limit hull cannot enforce an error.
	StrictLimits bool
	Timeout      time.Duration
	Userns       string // "", "keep-id" or "host"
}

// User namespace modes of --userns.
const (
	UsernsKeepID = "keep-id"
	UsernsHost   = "host"
)

// Limits are the record's sandbox settings, under Docker's HostConfig
// names where Docker has one.
type Limits struct {
	Memory     int64    `json:"Memory"`
	MemorySwap int64    `json:"MemorySwap"`
	NanoCPUs   int64    `json:"NanoCpus"`
	CPUShares  int64    `json:"CpuShares"`
	PidsLimit  int64    `json:"PidsLimit,omitempty"`
	Ulimits    []Ulimit `json:"Ulimits,omitempty"`
	UsernsMode string   `json:"UsernsMode,omitempty"`
	// Timeout (hull's own) kills the container after this long.
	Timeout time.Duration `json:"HullTimeout,omitempty"`
	// Strict makes limits no cgroup can enforce an error at start.
	Strict bool `json:"HullStrictLimits,omitempty"`
}

// Ulimit is one --ulimit, as Docker records it.
type Ulimit struct {
	Name string `json:"Name"`
	Hard int64  `json:"Hard"`
	Soft int64  `json:"Soft"`
}

// setResources checks and records the limit flags.
func setResources(hc *HostConfig, o LimitOptions) error {
	l := &hc.Limits
	var err error
	if l.Memory, err = parseBytes("--memory", o.Memory); err != nil {
		return err
	}
	if o.MemorySwap == "-1" {
		l.MemorySwap = -1
	} else if l.MemorySwap, err = parseBytes("--memory-swap", o.MemorySwap); err != nil {
		return err
	}
	if l.MemorySwap > 0 && l.Memory == 0 {
		return fmt.Errorf("you should always set the memory limit when using the memory-swap limit")
	}
	if l.MemorySwap > 0 && l.MemorySwap < l.Memory {
		return fmt.Errorf("minimum memoryswap limit should be larger than memory limit, see usage")
	}
	if l.NanoCPUs, err = parseCPUs(o.CPUs); err != nil {
		return err
	}
	if o.CPUShares < 0 {
		return fmt.Errorf("invalid --cpu-shares %d: must not be negative", o.CPUShares)
	}
	l.CPUShares = o.CPUShares
	if o.PidsLimit > 0 {
		l.PidsLimit = o.PidsLimit
	}
	for _, u := range o.Ulimits {
		ul, err := units.ParseUlimit(u)
		if err != nil {
			return fmt.Errorf("invalid --ulimit %q: %w", u, err)
		}
		l.Ulimits = append(l.Ulimits, Ulimit{Name: ul.Name, Hard: ul.Hard, Soft: ul.Soft})
	}
	switch o.Userns {
	case "", UsernsKeepID, UsernsHost:
		l.UsernsMode = o.Userns
	default:
		return fmt.Errorf("invalid --userns %q: use keep-id or host", o.Userns)
	}
	if o.Timeout < 0 {
		return fmt.Errorf("invalid --timeout %s: must not be negative", o.Timeout)
	}
	l.Timeout, l.Strict = o.Timeout, o.StrictLimits
	return nil
}

func parseBytes(flag, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := units.RAMInBytes(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid %s %q: a size such as 512m or 2g", flag, v)
	}
	if n > 0 && n < 6<<20 {
		return 0, fmt.Errorf("%s %s is too small: the minimum is 6MB", flag, v)
	}
	return n, nil
}

func parseCPUs(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("invalid --cpus %q: a number of CPUs such as 1.5", v)
	}
	return int64(f * 1e9), nil
}

// Rlimits are the container's --ulimit values for the isolation spec;
// -1 is unlimited.
func (l Limits) Rlimits() []isolation.Rlimit {
	var out []isolation.Rlimit
	for _, u := range l.Ulimits {
		out = append(out, isolation.Rlimit{Type: u.Name, Soft: rlimValue(u.Soft), Hard: rlimValue(u.Hard)})
	}
	return out
}

func rlimValue(v int64) uint64 {
	if v < 0 {
		return math.MaxUint64
	}
	return uint64(v)
}

// inlineSeccompProfiles replaces seccomp=FILE with seccomp=<the file's
// JSON>, as Docker's client does: the record then keeps the profile the
// container was created with, whatever happens to the file.
func inlineSeccompProfiles(opts []string) ([]string, error) {
	out := make([]string, 0, len(opts))
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok || k != "seccomp" || v == "unconfined" || strings.HasPrefix(strings.TrimSpace(v), "{") {
			out = append(out, o)
			continue
		}
		data, err := os.ReadFile(v)
		if err != nil {
			return nil, fmt.Errorf("read seccomp profile: %w", err)
		}
		out = append(out, "seccomp="+string(data))
	}
	return out, nil
}

// keepIDUser makes the invoking user the container's default user under
// --userns keep-id, as Podman does.
func keepIDUser(cfg *Config, o Options) {
	if o.Userns == UsernsKeepID && o.User == "" {
		cfg.User = fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
	}
}

// ParseLimits checks limit flags on their own (hull build takes the same
// ones as run for its RUN steps).
func ParseLimits(o LimitOptions) (Limits, error) {
	var hc HostConfig
	err := setResources(&hc, o)
	return hc.Limits, err
}
