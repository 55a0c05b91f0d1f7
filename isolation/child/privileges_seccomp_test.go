package child

import (
	"strings"
	"testing"

	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/seccomp/bpfprog"
)

// A spec that asks for a filter and carries none is refused, never run
// unconfined (the checks return before any filter is loaded into this test
// process).
func TestLoadSeccompRefusesMissingFilters(t *testing.T) {
	for _, spec := range []isolation.Spec{
		{Seccomp: true},
		{RootEmulation: true},
		// Root emulation and the default profile: two needed.
		{RootEmulation: true, Seccomp: true, SeccompPrograms: []bpfprog.Program{make(bpfprog.Program, 8)}},
	} {
		err := loadSeccomp(&spec)
		if err == nil || !strings.Contains(err.Error(), "needed") {
			t.Errorf("loadSeccomp(%+v) = %v, want a refusal", spec, err)
		}
	}
	// Unconfined, and a user's profile that allows everything, need none.
	for _, spec := range []isolation.Spec{{}, {Seccomp: true, SeccompProfile: []byte(`{}`)}} {
		if err := loadSeccomp(&spec); err != nil {
			t.Errorf("loadSeccomp(%+v) = %v, want nil", spec, err)
		}
	}
}
