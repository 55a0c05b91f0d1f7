package bpfprog

import (
	"strings"
	"testing"
)

// Malformed programs are refused before the kernel sees them (the checks
// return before any seccomp(2) call, so this process stays unfiltered).
func TestLoadRefusesMalformed(t *testing.T) {
	for _, p := range []Program{nil, {}, make(Program, 7), make(Program, 8*4097)} {
		err := Program(p).Load()
		if err == nil || !strings.Contains(err.Error(), "is not a program") {
			t.Errorf("Load of %d bytes: %v, want refusal", len(p), err)
		}
	}
}
