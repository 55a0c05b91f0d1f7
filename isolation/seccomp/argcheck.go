package seccomp

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// argChecks is the code for one syscall's alternative sets of argument
// conditions: with the syscall number in A, it returns act when the number
// is num and every condition of some set holds, and falls through past its
// last instruction otherwise, with an argument word in A.
//
// A 64-bit argument is compared as two 32-bit words, high word first:
// seccomp_data holds args[i] at 16+8i, little-endian on every ABI with a
// table here, so the low word is at 16+8i and the high word at 20+8i. The
// code is instruction for instruction what go-seccomp-bpf's
// SyscallWithConditions.Assemble produced for hull (equiv_test.go compares
// the two on every profile it tries).
func argChecks(act action, num uint32, sets [][]condition) ([]bpf.RawInstruction, error) {
	var a labelAsm
	match, next := a.newLabel(), a.newLabel()
	a.jumpIfTrue(bpf.JumpNotEqual, num, next)
	for j, set := range sets {
		nextSet := next
		if j < len(sets)-1 {
			nextSet = a.newLabel()
		}
		for i, c := range set {
			holds := match
			if i < len(set)-1 {
				holds = a.newLabel()
			}
			a.compare(c, holds, nextSet)
			if i < len(set)-1 {
				a.set(holds)
			}
		}
		if j < len(sets)-1 {
			a.set(nextSet)
		}
	}
	a.set(match)
	a.emit(bpf.RetConstant{Val: uint32(act)})
	a.set(next)
	return a.assemble()
}

// compare jumps to holds when c holds for the argument and to fails when
// it does not.
func (a *labelAsm) compare(c condition, holds, fails label) {
	hi, lo := uint32(c.value>>32), uint32(c.value)
	a.emit(argHigh(c.arg))
	switch c.op {
	case opEqual: // hi == vhi && lo == vlo
		a.jumpIfTrue(bpf.JumpNotEqual, hi, fails)
		a.emit(argLow(c.arg))
		a.jumpIf(bpf.JumpEqual, lo, holds, fails)
	case opNotEqual: // hi != vhi || lo != vlo
		a.jumpIfTrue(bpf.JumpNotEqual, hi, holds)
		a.emit(argLow(c.arg))
		a.jumpIf(bpf.JumpNotEqual, lo, holds, fails)
	case opGreaterThan, opGreaterOrEqual, opLessThan, opLessOrEqual:
		// hi beyond vhi decides; hi == vhi compares the low words.
		strict, low := bpf.JumpGreaterThan, bpf.JumpGreaterThan
		switch c.op {
		case opGreaterOrEqual:
			low = bpf.JumpGreaterOrEqual
		case opLessThan:
			strict, low = bpf.JumpLessThan, bpf.JumpLessThan
		case opLessOrEqual:
			strict, low = bpf.JumpLessThan, bpf.JumpLessOrEqual
		}
		a.jumpIfTrue(strict, hi, holds)
		a.jumpIfTrue(bpf.JumpNotEqual, hi, fails)
		a.emit(argLow(c.arg))
		a.jumpIf(low, lo, holds, fails)
	case opBitsSet: // hi & vhi != 0 || lo & vlo != 0
		a.jumpIfTrue(bpf.JumpBitsSet, hi, holds)
		a.emit(argLow(c.arg))
		a.jumpIf(bpf.JumpBitsSet, lo, holds, fails)
	case opBitsNotSet: // hi & vhi == 0 && lo & vlo == 0
		a.jumpIfTrue(bpf.JumpBitsSet, hi, fails)
		a.emit(argLow(c.arg))
		a.jumpIf(bpf.JumpBitsNotSet, lo, holds, fails)
	default:
		a.fail(fmt.Errorf("unknown operation %d", c.op))
	}
}

func argHigh(i uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: 20 + 8*i, Size: 4} }

func argLow(i uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: 16 + 8*i, Size: 4} }

// labelAsm assembles a short piece of code whose conditional jumps go
// forward to labels. Every label is set once, at or after the jumps to it,
// and every jump must fit in 8 bits: assemble fails otherwise rather than
// patch in long jumps.
type labelAsm struct {
	insts  []bpf.Instruction
	jumps  []labelJump
	labels []int // the instruction each label marks; -1 until set
	err    error
}

type label int

// labelJump is the conditional jump at insts[at] and its targets.
type labelJump struct {
	at              int
	ifTrue, ifFalse label
}

func (a *labelAsm) newLabel() label {
	a.labels = append(a.labels, -1)
	return label(len(a.labels) - 1)
}

// set marks the next instruction emitted (or the end of the code) as l.
func (a *labelAsm) set(l label) { a.labels[l] = len(a.insts) }

func (a *labelAsm) emit(i bpf.Instruction) { a.insts = append(a.insts, i) }

func (a *labelAsm) fail(err error) {
	if a.err == nil {
		a.err = err
	}
}

// jumpIf jumps to ifTrue when cond holds for A and val, to ifFalse
// otherwise.
func (a *labelAsm) jumpIf(cond bpf.JumpTest, val uint32, ifTrue, ifFalse label) {
	a.jumps = append(a.jumps, labelJump{at: len(a.insts), ifTrue: ifTrue, ifFalse: ifFalse})
	a.emit(bpf.JumpIf{Cond: cond, Val: val})
}

// jumpIfTrue jumps to ifTrue when cond holds and falls through otherwise.
func (a *labelAsm) jumpIfTrue(cond bpf.JumpTest, val uint32, ifTrue label) {
	next := a.newLabel()
	a.jumpIf(cond, val, ifTrue, next)
	a.set(next)
}

// assemble resolves the jumps and encodes the code.
func (a *labelAsm) assemble() ([]bpf.RawInstruction, error) {
	for _, j := range a.jumps {
		inst := a.insts[j.at].(bpf.JumpIf)
		var err error
		if inst.SkipTrue, err = a.skip(j.at, j.ifTrue); err != nil {
			a.fail(err)
		}
		if inst.SkipFalse, err = a.skip(j.at, j.ifFalse); err != nil {
			a.fail(err)
		}
		a.insts[j.at] = inst
	}
	if a.err != nil {
		return nil, a.err
	}
	out := make([]bpf.RawInstruction, len(a.insts))
	for i, inst := range a.insts {
		r, err := inst.Assemble()
		if err != nil {
			return nil, fmt.Errorf("assemble %v: %w", inst, err)
		}
		out[i] = r
	}
	return out, nil
}

// skip is the jump offset from the jump at at to label l.
func (a *labelAsm) skip(at int, l label) (uint8, error) {
	to := a.labels[l]
	n := to - at - 1
	if to < 0 || n < 0 || n > 255 {
		return 0, fmt.Errorf("jump from %d to label %d (at %d) out of range", at, l, to)
	}
	return uint8(n), nil
}
