package seccomp

import (
	"fmt"

	"github.com/hull-project/hull/isolation/seccomp/bpfprog"
)

// Programs compiles the filters of a process with this confinement
// (isolation.Spec's RootEmulation, Seccomp, SeccompProfile and
// Capabilities), in the order the init loads them: root emulation's first
// (a stricter profile loaded after it keeps its own errno for the same
// calls: the newest filter wins a tie), then the user's profile when one is
// given, else Docker's default unless seccomp=unconfined. A profile that
// allows everything adds no program. hull compiles them before the start so
// that the init, which every start executes, links neither this package nor
// its syscall tables.
func Programs(rootEmulation, dflt bool, profile []byte, caps []string) ([]bpfprog.Program, error) {
	var progs []bpfprog.Program
	if rootEmulation {
		f, err := RootEmulation()
		if err != nil {
			return nil, fmt.Errorf("compile root emulation filter: %w", err)
		}
		progs = append(progs, f.Program())
	}
	var f *Filter
	var err error
	switch {
	case len(profile) > 0:
		f, err = FromProfileJSON(profile, caps)
	case dflt:
		f, err = Default(caps)
	default:
		return progs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("compile seccomp profile: %w", err)
	}
	if f != nil { // nil: a profile that allows everything
		progs = append(progs, f.Program())
	}
	return progs, nil
}
