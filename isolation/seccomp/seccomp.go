package seccomp

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unsafe"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Filter is an assembled seccomp BPF program, ready to load. It is
// immutable, so one Filter may be shared and loaded many times.
type Filter struct {
	prog []sockFilter
}

// sockFilter is struct sock_filter, like unix.SockFilter, declared here so
// that zdefault.go can hold the program as a compact unkeyed literal.
type sockFilter struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

// The layouts must match: Load hands the program to the kernel as
// []unix.SockFilter.
var _ [unsafe.Sizeof(unix.SockFilter{})]byte = [unsafe.Sizeof(sockFilter{})]byte{}

func newFilter(raw []bpf.RawInstruction) *Filter {
	prog := make([]sockFilter, len(raw))
	for i, r := range raw {
		prog[i] = sockFilter{code: r.Op, jt: r.Jt, jf: r.Jf, k: r.K}
	}
	return &Filter{prog: prog}
}

// defaults memoises Default by capability set: the filter only depends on
// the capabilities, the architecture and the kernel, and the last two do
// not change while a process runs.
var defaults sync.Map // comma-joined normalised caps → *Filter

// Default returns Docker's default profile compiled for the running
// architecture and kernel and for a container with these capabilities
// (names like "CAP_SYS_ADMIN"; "sys_admin" is accepted too): rules that
// include or exclude capabilities follow Docker.
func Default(caps []string) (*Filter, error) {
	caps = normalizeCaps(caps)
	key := strings.Join(caps, ",")
	if f, ok := defaults.Load(key); ok {
		return f.(*Filter), nil
	}
	if f := precompiledFor(caps); f != nil {
		defaults.Store(key, f)
		return f, nil
	}
	p, err := moby.GetDefaultProfile(specWithCaps(caps))
	if err != nil {
		return nil, fmt.Errorf("resolve default seccomp profile: %w", err)
	}
	f, err := compile(p)
	if err != nil {
		return nil, fmt.Errorf("compile default seccomp profile: %w", err)
	}
	defaults.Store(key, f)
	return f, nil
}

// FromProfileJSON compiles a Docker seccomp profile (the JSON format of
// --security-opt seccomp=PROFILE.json, with archMap, includes and excludes)
// for a container with these capabilities. A profile with neither a
// default action nor rules means no filtering, as in Docker: the result is
// then nil, and loading a nil Filter does nothing.
func FromProfileJSON(data []byte, caps []string) (*Filter, error) {
	p, err := moby.LoadProfile(string(data), specWithCaps(normalizeCaps(caps)))
	if err != nil {
		return nil, fmt.Errorf("load seccomp profile: %w", err)
	}
	if p == nil {
		return nil, nil
	}
	f, err := compile(p)
	if err != nil {
		return nil, fmt.Errorf("compile seccomp profile: %w", err)
	}
	return f, nil
}

// specWithCaps is the minimal runtime spec moby reads: it looks only at
// the bounding set.
func specWithCaps(caps []string) *specs.Spec {
	return &specs.Spec{Process: &specs.Process{
		Capabilities: &specs.LinuxCapabilities{Bounding: caps},
	}}
}

// normalizeCaps returns the capability names upper-cased, with the CAP_
// prefix, sorted and without duplicates.
func normalizeCaps(caps []string) []string {
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		c = strings.ToUpper(c)
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
