package seccomp

import (
	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
)

// For the equivalence tests (package seccomp_test, beside the reference
// compiler): compile and RootEmulation as raw instructions.

func CompileRaw(p *specs.LinuxSeccomp) ([]bpf.RawInstruction, error) {
	f, err := compile(p)
	if err != nil {
		return nil, err
	}
	return f.raw(), nil
}

func RootEmulationRaw() ([]bpf.RawInstruction, error) {
	f, err := RootEmulation()
	if err != nil {
		return nil, err
	}
	return f.raw(), nil
}

func (f *Filter) raw() []bpf.RawInstruction {
	raw := make([]bpf.RawInstruction, len(f.prog))
	for i, s := range f.prog {
		raw[i] = bpf.RawInstruction{Op: s.code, Jt: s.jt, Jf: s.jf, K: s.k}
	}
	return raw
}

// DefaultProfileFor is Docker's default profile resolved for caps on this
// machine, as Default compiles it.
func DefaultProfileFor(caps []string) (*specs.LinuxSeccomp, error) {
	return moby.GetDefaultProfile(specWithCaps(normalizeCaps(caps)))
}

var DockerCaps = dockerCaps
