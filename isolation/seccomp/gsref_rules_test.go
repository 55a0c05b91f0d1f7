// The go-seccomp-bpf-based compiler hull used before it emitted the BPF itself
// (rules.go as of 24b0a2a), kept as the reference for the equivalence tests
// (equiv_test.go): test files only, so that no hull binary links go-seccomp-bpf.

package seccomp_test

import (
	"fmt"

	gs "github.com/elastic/go-seccomp-bpf"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// rule is one OCI syscall rule reduced to what the BPF program needs.
type rule struct {
	names  []string
	action gs.Action
	// sets are alternative argument conditions: the rule matches when any
	// set matches in full. Nil means the rule matches every call.
	sets []gs.ArgumentConditions
}

// rulesOf converts the profile's rules, in order.
func rulesOf(p *specs.LinuxSeccomp) ([]rule, error) {
	rules := make([]rule, 0, len(p.Syscalls))
	for _, s := range p.Syscalls {
		action, err := actionOf(s.Action, s.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("rule for %v: %w", s.Names, err)
		}
		sets, err := conditionSets(s.Args)
		if err != nil {
			return nil, fmt.Errorf("rule for %v: %w", s.Names, err)
		}
		rules = append(rules, rule{names: s.Names, action: action, sets: sets})
	}
	return rules, nil
}

// actionOf maps an OCI action to the seccomp return value. errnoRet is the
// rule's (or the profile's default) errno; unset means EPERM, as in runc.
func actionOf(act specs.LinuxSeccompAction, errnoRet *uint) (gs.Action, error) {
	switch act {
	case specs.ActAllow:
		return gs.ActionAllow, nil
	case specs.ActLog:
		return gs.ActionLog, nil
	case specs.ActKill, specs.ActKillThread:
		return gs.ActionKillThread, nil
	case specs.ActKillProcess:
		return gs.ActionKillProcess, nil
	case specs.ActTrap:
		return gs.ActionTrap, nil
	case specs.ActErrno, specs.ActTrace:
		data, err := errnoData(errnoRet)
		if err != nil {
			return 0, err
		}
		if act == specs.ActTrace {
			return gs.ActionTrace | data, nil
		}
		return gs.ActionErrno | data, nil
	}
	return 0, fmt.Errorf("unsupported action %q", act)
}

// errnoData is the 16-bit data part of an ERRNO or TRACE return value.
// Zero is refused: go-seccomp-bpf turns a bare ERRNO into EPERM, so an
// explicit 0 could not be honoured.
func errnoData(errnoRet *uint) (gs.Action, error) {
	if errnoRet == nil {
		return gs.Action(unix.EPERM), nil
	}
	if *errnoRet == 0 || *errnoRet > unix.SECCOMP_RET_DATA {
		return 0, fmt.Errorf("unsupported errnoRet %d", *errnoRet)
	}
	return gs.Action(*errnoRet), nil
}

// conditionSets turns a rule's argument comparisons into alternative sets.
// Comparisons on distinct arguments form one set (all must hold); when an
// argument is compared more than once, each comparison is its own set, as
// runc does (see opencontainers/runc#2735 and moby's socket rules).
func conditionSets(args []specs.LinuxSeccompArg) ([]gs.ArgumentConditions, error) {
	if len(args) == 0 {
		return nil, nil
	}
	conds := make(gs.ArgumentConditions, 0, len(args))
	var seen [6]bool
	repeated := false
	for _, a := range args {
		c, err := conditionOf(a)
		if err != nil {
			return nil, err
		}
		repeated = repeated || seen[a.Index]
		seen[a.Index] = true
		conds = append(conds, c)
	}
	if !repeated {
		return []gs.ArgumentConditions{conds}, nil
	}
	sets := make([]gs.ArgumentConditions, len(conds))
	for i, c := range conds {
		sets[i] = gs.ArgumentConditions{c}
	}
	return sets, nil
}

var operations = map[specs.LinuxSeccompOperator]gs.Operation{
	specs.OpEqualTo:      gs.Equal,
	specs.OpNotEqual:     gs.NotEqual,
	specs.OpLessThan:     gs.LessThan,
	specs.OpLessEqual:    gs.LessOrEqual,
	specs.OpGreaterThan:  gs.GreaterThan,
	specs.OpGreaterEqual: gs.GreaterOrEqual,
}

// conditionOf converts one comparison. MASKED_EQ is supported in the two
// forms go-seccomp-bpf can express: (arg & mask) == 0 and, for a single
// bit, (arg & bit) == bit.
func conditionOf(a specs.LinuxSeccompArg) (gs.Condition, error) {
	if a.Index > 5 {
		return gs.Condition{}, fmt.Errorf("argument index %d out of range", a.Index)
	}
	c := gs.Condition{Argument: uint32(a.Index), Value: a.Value}
	if op, ok := operations[a.Op]; ok {
		c.Operation = op
		return c, nil
	}
	if a.Op != specs.OpMaskedEqual {
		return c, fmt.Errorf("unsupported operator %q", a.Op)
	}
	switch {
	case a.ValueTwo == 0:
		c.Operation = gs.BitsNotSet
	case a.ValueTwo == a.Value && a.Value&(a.Value-1) == 0:
		c.Operation = gs.BitsSet
	default:
		return c, fmt.Errorf("unsupported %s form: (arg%d & %#x) == %#x", a.Op, a.Index, a.Value, a.ValueTwo)
	}
	return c, nil
}
