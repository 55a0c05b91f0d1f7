package seccomp

import (
	"fmt"
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

const (
	// x32Bit marks x32 syscall numbers, which share x86_64's audit arch.
	x32Bit = 0x40000000
	// chunkCost bounds the instructions of one chunk, so that every
	// conditional jump inside it is short.
	chunkCost = 200
	// badArch is what a syscall from an ABI the profile does not name gets.
	badArch   = unix.SECCOMP_RET_KILL_PROCESS
	retENOSYS = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
)

// Loads of struct seccomp_data's nr and arch fields.
var (
	loadNr   = load(0)
	loadArch = load(4)
)

// section is the code for one audit architecture.
type section struct {
	id   uint32
	body []bpf.RawInstruction
}

// compile turns a resolved OCI profile into a loadable filter.
func compile(p *specs.LinuxSeccomp) (*Filter, error) {
	def, err := actionOf(p.DefaultAction, p.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("default action: %w", err)
	}
	rules, err := rulesOf(p)
	if err != nil {
		return nil, err
	}
	abis, err := abisOf(p.Architectures)
	if err != nil {
		return nil, err
	}
	secs, err := sectionsOf(abis, rules, def)
	if err != nil {
		return nil, err
	}
	raw := layout(secs)
	if len(raw) > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("seccomp filter has %d instructions, the kernel takes %d", len(raw), unix.BPF_MAXINSNS)
	}
	return newFilter(raw), nil
}

// abisOf lists the ABIs to filter: the native one first (libseccomp always
// includes it), then the profile's others that have syscall tables.
// Architectures without a table fall to the bad-arch action.
func abisOf(archs []specs.Arch) ([]*abi, error) {
	native, err := nativeABI()
	if err != nil {
		return nil, fmt.Errorf("seccomp on this architecture: %w", err)
	}
	abis := []*abi{native}
	for _, a := range archs {
		info := abiOf(a)
		if info != nil && !slices.Contains(abis, info) {
			abis = append(abis, info)
		}
	}
	return abis, nil
}

// sectionsOf compiles every ABI. x32 has no audit arch of its own: its code
// goes inside the x86_64 section, behind the x32 bit test.
func sectionsOf(abis []*abi, rules []rule, def action) ([]section, error) {
	blocks := make(map[*abi][]bpf.RawInstruction, len(abis))
	for _, abi := range abis {
		b, err := block(abi, rules, def)
		if err != nil {
			return nil, err
		}
		blocks[abi] = b
	}
	var secs []section
	for _, abi := range abis {
		switch abi {
		case abiX32:
			continue
		case abiX86_64:
			secs = append(secs, section{abi.id, x86Section(blocks[abi], blocks[abiX32])})
		default:
			secs = append(secs, section{abi.id, append([]bpf.RawInstruction{loadNr}, blocks[abi]...)})
		}
	}
	return secs, nil
}

// x86Section splits x86_64 from x32 calls by the x32 bit. Without an x32
// block, x32 calls are from an ABI the profile does not name.
func x86Section(native, x32 []bpf.RawInstruction) []bpf.RawInstruction {
	body := make([]bpf.RawInstruction, 0, 3+len(native)+len(x32))
	body = append(body, loadNr, jump(bpf.JumpGreaterOrEqual, x32Bit, 0, 1))
	if x32 == nil {
		body = append(body, ret(badArch))
	} else {
		body = append(body, longJump(len(native)))
	}
	body = append(body, native...)
	return append(body, x32...)
}

// layout puts the arch dispatch in front of the sections: each audit arch
// jumps (with an unconditional, long jump) to its section; anything else
// gets the bad-arch action.
func layout(secs []section) []bpf.RawInstruction {
	head := 1 + 2*len(secs) + 1
	size := head
	for _, s := range secs {
		size += len(s.body)
	}
	prog := make([]bpf.RawInstruction, 0, size)
	prog = append(prog, loadArch)
	start := head
	for _, s := range secs {
		prog = append(prog, jump(bpf.JumpEqual, uint32(s.id), 0, 1))
		prog = append(prog, longJump(start-len(prog)-1))
		start += len(s.body)
	}
	prog = append(prog, ret(badArch))
	for _, s := range secs {
		prog = append(prog, s.body...)
	}
	return prog
}

// block is one ABI's checks. It starts with the syscall number in A and
// ends with the default action; argument checks come first so that they
// take precedence over an unconditional rule with another action.
func block(abi *abi, rules []rule, def action) ([]bpf.RawInstruction, error) {
	t, err := resolve(abi, rules)
	if err != nil {
		return nil, err
	}
	out := make([]bpf.RawInstruction, 0, len(t.entries)+64)
	if enosysRule(def) && len(t.entries) > 0 {
		out = append(out, jump(bpf.JumpGreaterThan, t.max, 0, 1), ret(retENOSYS))
	}
	for _, c := range t.condChecks() {
		if out, err = appendCondCheck(out, c); err != nil {
			return nil, fmt.Errorf("syscall %d on %s: %w", c.num&^x32Bit, abi.name, err)
		}
	}
	actions, nums := t.uncondGroups()
	for i, a := range actions {
		for ns := nums[i]; len(ns) > 0; {
			n := min(len(ns), chunkCost)
			out = appendSyscalls(out, a, ns[:n])
			ns = ns[n:]
		}
	}
	return append(out, ret(uint32(def))), nil
}

// enosysRule says whether runc's ENOSYS rule applies: not when unknown
// syscalls are allowed anyway.
func enosysRule(def action) bool {
	switch def {
	case actAllow, actLog:
		return false
	}
	return def&^unix.SECCOMP_RET_DATA != actTrace
}

// appendSyscalls adds a chunk of at most chunkCost syscall numbers that
// return action on a match: a run of jeq to one shared return. This is the
// bulk of the filter, written directly without labels.
func appendSyscalls(out []bpf.RawInstruction, act action, nums []uint32) []bpf.RawInstruction {
	n := len(nums)
	for i, num := range nums {
		toRet := uint8(n - 1 - i)
		if i < n-1 {
			out = append(out, jump(bpf.JumpEqual, num, toRet, 0))
		} else {
			out = append(out, jump(bpf.JumpEqual, num, 0, 1))
		}
	}
	return append(out, ret(uint32(act)))
}

// appendCondCheck adds one syscall's argument checks, split so that each
// chunk stays short, and reloads the syscall number after each chunk: the
// checks leave an argument word in A.
func appendCondCheck(out []bpf.RawInstruction, c condCheck) ([]bpf.RawInstruction, error) {
	sets := c.sets
	for len(sets) > 0 {
		n, cost := 0, 2
		for n < len(sets) && (n == 0 || cost+5*len(sets[n]) <= chunkCost) {
			cost += 5 * len(sets[n])
			n++
		}
		insts, err := argChecks(c.action, c.num, sets[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, insts...)
		out = append(out, loadNr)
		sets = sets[n:]
	}
	return out, nil
}

// load, jump, longJump and ret assemble single instructions; their operands
// are in range by construction, so assembly cannot fail.
func load(off uint32) bpf.RawInstruction {
	r, _ := bpf.LoadAbsolute{Off: off, Size: 4}.Assemble()
	return r
}

func jump(cond bpf.JumpTest, val uint32, skipTrue, skipFalse uint8) bpf.RawInstruction {
	r, _ := bpf.JumpIf{Cond: cond, Val: val, SkipTrue: skipTrue, SkipFalse: skipFalse}.Assemble()
	return r
}

func longJump(skip int) bpf.RawInstruction {
	r, _ := bpf.Jump{Skip: uint32(skip)}.Assemble()
	return r
}

func ret(val uint32) bpf.RawInstruction {
	r, _ := bpf.RetConstant{Val: val}.Assemble()
	return r
}
