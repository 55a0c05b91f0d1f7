package seccomp

import (
	"fmt"
	"runtime"
	"slices"

	"golang.org/x/sys/unix"
)

//go:generate go test -run TestPrecompiledDefault -update .

// precompiledFilter is Default's result for Docker's default capabilities,
// generated into zdefault.go: compiling in the init costs 0.3-0.8 ms of
// every container start, a lookup costs nothing. TestPrecompiledDefault
// fails when it no longer matches what compile produces.
type precompiledFilter struct {
	goarch string
	// kernel is the oldest kernel ("major.minor") the program is right for:
	// the highest minKernel of the profile's rules.
	kernel [2]int
	// relevant are the capabilities some rule includes or excludes; caps are
	// those of them the program was compiled with.
	relevant []string
	caps     []string
	prog     []sockFilter
}

// precompiledFor returns the precompiled filter if it is the one caps
// (normalised) need on this machine, or nil.
func precompiledFor(caps []string) *Filter {
	pc := &precompiled
	if pc.goarch != runtime.GOARCH || !slices.Equal(relevantOf(caps, pc.relevant), pc.caps) {
		return nil
	}
	if ok, err := kernelAtLeast(pc.kernel); err != nil || !ok {
		return nil
	}
	return &Filter{prog: pc.prog}
}

// relevantOf keeps the capabilities in caps that are in relevant.
func relevantOf(caps, relevant []string) []string {
	out := make([]string, 0, len(relevant))
	for _, c := range caps {
		if slices.Contains(relevant, c) {
			out = append(out, c)
		}
	}
	return out
}

// kernelAtLeast compares the running kernel's major.minor with v, the way
// moby evaluates minKernel.
func kernelAtLeast(v [2]int) (bool, error) {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return false, fmt.Errorf("uname: %w", err)
	}
	release := unix.ByteSliceToString(uts.Release[:])
	var got [2]int
	if _, err := fmt.Sscanf(release, "%d.%d", &got[0], &got[1]); err != nil {
		return false, fmt.Errorf("parse kernel release %q: %w", release, err)
	}
	return got[0] > v[0] || got[0] == v[0] && got[1] >= v[1], nil
}
