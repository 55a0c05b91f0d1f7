// The go-seccomp-bpf-based compiler hull used before it emitted the BPF itself
// (table.go as of 24b0a2a), kept as the reference for the equivalence tests
// (equiv_test.go): test files only, so that no hull binary links go-seccomp-bpf.

package seccomp_test

import (
	"fmt"
	"slices"
	"sync"

	gs "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
)

// table is the profile's rules resolved to one ABI's syscall numbers.
type table struct {
	abi     *arch.Info
	entries []entry // in the order the profile first names them
	byNum   map[uint32]int
	max     uint32 // highest syscall number named, for the ENOSYS rule
}

// entry is everything the profile says about one syscall.
type entry struct {
	num    uint32
	uncond bool      // a rule without arguments matches every call
	action gs.Action // its action, when uncond
	conds  []condRule
}

// condRule is one alternative set of argument conditions and its action.
type condRule struct {
	action gs.Action
	set    gs.ArgumentConditions
}

// resolve looks every rule's names up in abi's table. Names the table does
// not know are skipped: the profile lists syscalls of every architecture.
func resolve(abi *arch.Info, rules []rule) (*table, error) {
	t := &table{abi: abi, entries: make([]entry, 0, 512), byNum: make(map[uint32]int, 512)}
	for _, r := range rules {
		for _, name := range r.names {
			nr, ok := namesOf(abi)[name]
			if !ok {
				continue
			}
			if err := t.add(uint32(nr|abi.SeccompMask), r); err != nil {
				return nil, fmt.Errorf("syscall %s on %s: %w", name, abi.Name, err)
			}
		}
	}
	t.dropShadowed()
	return t, nil
}

// namesOf is abi's syscall name table.
func namesOf(abi *arch.Info) map[string]int {
	if abi == arch.X32 {
		return x32Names()
	}
	return abi.SyscallNames
}

// x32Names maps each x32 name to its x32 number. go-seccomp-bpf's x32 table
// also lists the x86_64 numbers of the syscalls that x32 has its own entries
// for (512 and up), which x32 cannot use, and its inverted map picks one of
// the two at random; libseccomp uses the x32 entry, the higher number.
var x32Names = sync.OnceValue(func() map[string]int {
	m := make(map[string]int, len(arch.X32.SyscallNumbers))
	for nr, name := range arch.X32.SyscallNumbers {
		if old, ok := m[name]; !ok || nr > old {
			m[name] = nr
		}
	}
	return m
})

// entry is what the profile says about syscall num, or nil.
func (t *table) entry(num uint32) *entry {
	if i, ok := t.byNum[num]; ok {
		return &t.entries[i]
	}
	return nil
}

func (t *table) add(num uint32, r rule) error {
	e := t.entry(num)
	if e == nil {
		t.byNum[num] = len(t.entries)
		t.entries = append(t.entries, entry{num: num})
		e = &t.entries[len(t.entries)-1]
		t.max = max(t.max, num)
	}
	if r.sets != nil {
		for _, set := range r.sets {
			e.conds = append(e.conds, condRule{action: r.action, set: set})
		}
		return nil
	}
	// Docker's profile names a syscall twice when two capabilities allow
	// it (syslog, ptrace). Two different actions are refused rather than
	// one picked silently.
	if e.uncond && e.action != r.action {
		return fmt.Errorf("conflicting actions %#x and %#x", uint32(e.action), uint32(r.action))
	}
	e.uncond, e.action = true, r.action
	return nil
}

// dropShadowed removes argument checks that cannot change the outcome: the
// syscall's unconditional rule has the same action.
func (t *table) dropShadowed() {
	for i := range t.entries {
		e := &t.entries[i]
		if !e.uncond {
			continue
		}
		kept := e.conds[:0]
		for _, c := range e.conds {
			if c.action != e.action {
				kept = append(kept, c)
			}
		}
		e.conds = kept
	}
}

// condCheck is one syscall's argument checks that share an action.
type condCheck struct {
	action gs.Action
	check  gs.SyscallWithConditions
}

// condChecks are the entries' argument checks, one per syscall and action,
// each holding its alternative sets in profile order.
func (t *table) condChecks() []condCheck {
	var out []condCheck
	for i := range t.entries {
		e := &t.entries[i]
		first := len(out)
		for _, c := range e.conds {
			j := first
			for j < len(out) && out[j].action != c.action {
				j++
			}
			if j == len(out) {
				out = append(out, condCheck{action: c.action, check: gs.SyscallWithConditions{Num: e.num}})
			}
			out[j].check.Conditions = append(out[j].check.Conditions, c.set)
		}
	}
	return out
}

// uncondGroups are the unconditional syscalls grouped by action, groups in
// the order their action first appears.
func (t *table) uncondGroups() (actions []gs.Action, nums [][]uint32) {
	for _, e := range t.entries {
		if !e.uncond {
			continue
		}
		i := slices.Index(actions, e.action)
		if i < 0 {
			i = len(actions)
			actions = append(actions, e.action)
			nums = append(nums, nil)
		}
		nums[i] = append(nums[i], e.num)
	}
	return actions, nums
}
