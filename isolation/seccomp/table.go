package seccomp

import (
	"fmt"
	"slices"
)

// table is the profile's rules resolved to one ABI's syscall numbers.
type table struct {
	abi     *abi
	entries []entry // in the order the profile first names them
	byNum   map[uint32]int
	max     uint32 // highest syscall number named, for the ENOSYS rule
}

// entry is everything the profile says about one syscall.
type entry struct {
	num    uint32
	uncond bool   // a rule without arguments matches every call
	action action // its action, when uncond
	conds  []condRule
}

// condRule is one alternative set of argument conditions and its action.
type condRule struct {
	action action
	set    []condition
}

// resolve looks every rule's names up in abi's table. Names the table does
// not know are skipped: the profile lists syscalls of every architecture.
func resolve(abi *abi, rules []rule) (*table, error) {
	t := &table{abi: abi, entries: make([]entry, 0, 512), byNum: make(map[uint32]int, 512)}
	for _, r := range rules {
		for _, name := range r.names {
			nr, ok := abi.nr(name)
			if !ok {
				continue
			}
			if err := t.add(nr, r); err != nil {
				return nil, fmt.Errorf("syscall %s on %s: %w", name, abi.name, err)
			}
		}
	}
	t.dropShadowed()
	return t, nil
}

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
	action action
	num    uint32
	sets   [][]condition
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
				out = append(out, condCheck{action: c.action, num: e.num})
			}
			out[j].sets = append(out[j].sets, c.set)
		}
	}
	return out
}

// uncondGroups are the unconditional syscalls grouped by action, groups in
// the order their action first appears.
func (t *table) uncondGroups() (actions []action, nums [][]uint32) {
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
