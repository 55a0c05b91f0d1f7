package seccomp

import (
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// rule is one OCI syscall rule reduced to what the BPF program needs.
type rule struct {
	names  []string
	action action
	// sets are alternative argument conditions: the rule matches when any
	// set matches in full. Nil means the rule matches every call.
	sets [][]condition
}

// action is a seccomp return value: a SECCOMP_RET_* action and its data.
type action uint32

const (
	actAllow       action = unix.SECCOMP_RET_ALLOW
	actLog         action = unix.SECCOMP_RET_LOG
	actKillThread  action = unix.SECCOMP_RET_KILL_THREAD
	actKillProcess action = unix.SECCOMP_RET_KILL_PROCESS
	actTrap        action = unix.SECCOMP_RET_TRAP
	actErrno       action = unix.SECCOMP_RET_ERRNO
	actTrace       action = unix.SECCOMP_RET_TRACE
)

// condition is one comparison of a 64-bit syscall argument with a value.
type condition struct {
	arg   uint32 // 0 to 5
	op    operation
	value uint64
}

type operation uint8

const (
	opEqual          operation = iota + 1 // arg == value
	opNotEqual                            // arg != value
	opLessThan                            // arg < value
	opLessOrEqual                         // arg <= value
	opGreaterThan                         // arg > value
	opGreaterOrEqual                      // arg >= value
	opBitsSet                             // arg & value != 0
	opBitsNotSet                          // arg & value == 0
)

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
func actionOf(act specs.LinuxSeccompAction, errnoRet *uint) (action, error) {
	switch act {
	case specs.ActAllow:
		return actAllow, nil
	case specs.ActLog:
		return actLog, nil
	case specs.ActKill, specs.ActKillThread:
		return actKillThread, nil
	case specs.ActKillProcess:
		return actKillProcess, nil
	case specs.ActTrap:
		return actTrap, nil
	case specs.ActErrno, specs.ActTrace:
		data, err := errnoData(errnoRet)
		if err != nil {
			return 0, err
		}
		if act == specs.ActTrace {
			return actTrace | data, nil
		}
		return actErrno | data, nil
	}
	return 0, fmt.Errorf("unsupported action %q", act)
}

// errnoData is the 16-bit data part of an ERRNO or TRACE return value.
// Zero is refused, as it was when go-seccomp-bpf assembled argument checks
// (it turned a bare ERRNO into EPERM, so an explicit 0 could not be
// honoured).
func errnoData(errnoRet *uint) (action, error) {
	if errnoRet == nil {
		return action(unix.EPERM), nil
	}
	if *errnoRet == 0 || *errnoRet > unix.SECCOMP_RET_DATA {
		return 0, fmt.Errorf("unsupported errnoRet %d", *errnoRet)
	}
	return action(*errnoRet), nil
}

// conditionSets turns a rule's argument comparisons into alternative sets.
// Comparisons on distinct arguments form one set (all must hold); when an
// argument is compared more than once, each comparison is its own set, as
// runc does (see opencontainers/runc#2735 and moby's socket rules).
func conditionSets(args []specs.LinuxSeccompArg) ([][]condition, error) {
	if len(args) == 0 {
		return nil, nil
	}
	conds := make([]condition, 0, len(args))
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
		return [][]condition{conds}, nil
	}
	sets := make([][]condition, len(conds))
	for i, c := range conds {
		sets[i] = []condition{c}
	}
	return sets, nil
}

// operationOf is the comparison of an OCI operator other than MASKED_EQ.
func operationOf(op specs.LinuxSeccompOperator) (operation, bool) {
	switch op {
	case specs.OpEqualTo:
		return opEqual, true
	case specs.OpNotEqual:
		return opNotEqual, true
	case specs.OpLessThan:
		return opLessThan, true
	case specs.OpLessEqual:
		return opLessOrEqual, true
	case specs.OpGreaterThan:
		return opGreaterThan, true
	case specs.OpGreaterEqual:
		return opGreaterOrEqual, true
	}
	return 0, false
}

// conditionOf converts one comparison. MASKED_EQ is supported in two
// forms: (arg & mask) == 0 and, for a single bit, (arg & bit) == bit.
func conditionOf(a specs.LinuxSeccompArg) (condition, error) {
	if a.Index > 5 {
		return condition{}, fmt.Errorf("argument index %d out of range", a.Index)
	}
	c := condition{arg: uint32(a.Index), value: a.Value}
	if op, ok := operationOf(a.Op); ok {
		c.op = op
		return c, nil
	}
	if a.Op != specs.OpMaskedEqual {
		return c, fmt.Errorf("unsupported operator %q", a.Op)
	}
	switch {
	case a.ValueTwo == 0:
		c.op = opBitsNotSet
	case a.ValueTwo == a.Value && a.Value&(a.Value-1) == 0:
		c.op = opBitsSet
	default:
		return c, fmt.Errorf("unsupported %s form: (arg%d & %#x) == %#x", a.Op, a.Index, a.Value, a.ValueTwo)
	}
	return c, nil
}
