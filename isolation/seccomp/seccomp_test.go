package seccomp

import (
	"encoding/binary"
	"testing"

	moby "github.com/moby/profiles/seccomp"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// dockerCaps is Docker's default capability set.
var dockerCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

var withSysAdmin = append([]string{"CAP_SYS_ADMIN"}, dockerCaps...)

const (
	allow  = uint32(actAllow)
	eperm  = uint32(actErrno) | uint32(unix.EPERM)
	enosys = uint32(actErrno) | uint32(unix.ENOSYS)
	kill   = uint32(actKillProcess)
)

// vm runs a filter in x/net/bpf's interpreter. That interpreter loads words
// big-endian, so seccomp_data is encoded big-endian word by word, with each
// 64-bit argument as (low, high) words as on a little-endian machine.
type vm struct {
	t  *testing.T
	vm *bpf.VM
}

func newVM(t *testing.T, f *Filter) *vm {
	t.Helper()
	raw := make([]bpf.RawInstruction, len(f.prog))
	for i, s := range f.prog {
		raw[i] = bpf.RawInstruction{Op: s.code, Jt: s.jt, Jf: s.jf, K: s.k}
	}
	insts, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatal("filter does not disassemble")
	}
	m, err := bpf.NewVM(insts)
	if err != nil {
		t.Fatalf("filter rejected by the BPF VM: %v", err)
	}
	return &vm{t: t, vm: m}
}

func (m *vm) run(audit uint32, nr uint32, args ...uint64) uint32 {
	m.t.Helper()
	data := make([]byte, 64)
	binary.BigEndian.PutUint32(data[0:], nr)
	binary.BigEndian.PutUint32(data[4:], uint32(audit))
	for i, a := range args {
		binary.BigEndian.PutUint32(data[16+8*i:], uint32(a))
		binary.BigEndian.PutUint32(data[16+8*i+4:], uint32(a>>32))
	}
	ret, err := m.vm.Run(data)
	if err != nil {
		m.t.Fatalf("run filter: %v", err)
	}
	return uint32(ret)
}

// call runs the named syscall of abi.
func (m *vm) call(abi *abi, name string, args ...uint64) uint32 {
	m.t.Helper()
	nr, ok := abi.nr(name)
	if !ok {
		m.t.Fatalf("no %s on %s", name, abi.name)
	}
	return m.run(abi.id, nr, args...)
}

func mustDefault(t *testing.T, caps []string) *vm {
	t.Helper()
	f, err := Default(caps)
	if err != nil {
		t.Fatal(err)
	}
	return newVM(t, f)
}

var abis = []*abi{abiX86_64, abiI386, abiX32}

func TestDefaultAssembles(t *testing.T) {
	for _, caps := range [][]string{nil, dockerCaps, withSysAdmin} {
		f, err := Default(caps)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(f.prog); n < 500 || n >= unix.BPF_MAXINSNS {
			t.Errorf("caps %v: %d instructions, want a full three-ABI filter under %d", caps, n, unix.BPF_MAXINSNS)
		}
		t.Logf("%d caps: %d instructions", len(caps), len(f.prog))
		newVM(t, f)
	}
}

func TestDefaultMemoised(t *testing.T) {
	a, err := Default([]string{"CAP_SYS_ADMIN", "CAP_CHOWN"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Default([]string{"chown", "sys_admin", "CAP_CHOWN"})
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("same capability set compiled twice")
	}
}

func TestCloneNamespaces(t *testing.T) {
	plain := mustDefault(t, dockerCaps)
	admin := mustDefault(t, withSysAdmin)
	const thread = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_THREAD
	for _, abi := range abis {
		for _, flags := range []uint64{unix.CLONE_NEWUSER | uint64(unix.SIGCHLD), unix.CLONE_NEWNS, unix.CLONE_NEWNET | thread} {
			if got := plain.call(abi, "clone", flags); got != eperm {
				t.Errorf("%s: clone(%#x) without CAP_SYS_ADMIN = %#x, want EPERM", abi.name, flags, got)
			}
			if got := admin.call(abi, "clone", flags); got != allow {
				t.Errorf("%s: clone(%#x) with CAP_SYS_ADMIN = %#x, want allow", abi.name, flags, got)
			}
		}
		for _, flags := range []uint64{uint64(unix.SIGCHLD), thread} {
			if got := plain.call(abi, "clone", flags); got != allow {
				t.Errorf("%s: clone(%#x) = %#x, want allow", abi.name, flags, got)
			}
		}
		if got := plain.call(abi, "clone3"); got != enosys {
			t.Errorf("%s: clone3 without CAP_SYS_ADMIN = %#x, want ENOSYS", abi.name, got)
		}
		if got := admin.call(abi, "clone3"); got != allow {
			t.Errorf("%s: clone3 with CAP_SYS_ADMIN = %#x, want allow", abi.name, got)
		}
		for _, name := range []string{"unshare", "setns", "mount"} {
			if got := plain.call(abi, name, unix.CLONE_NEWUSER); got != eperm {
				t.Errorf("%s: %s without CAP_SYS_ADMIN = %#x, want EPERM", abi.name, name, got)
			}
			if got := admin.call(abi, name, unix.CLONE_NEWUSER); got != allow {
				t.Errorf("%s: %s with CAP_SYS_ADMIN = %#x, want allow", abi.name, name, got)
			}
		}
	}
}

func TestDefaultRules(t *testing.T) {
	m := mustDefault(t, dockerCaps)
	cases := []struct {
		name string
		args []uint64
		want uint32
	}{
		{"read", nil, allow},
		{"keyctl", nil, eperm},
		{"add_key", nil, eperm},
		{"request_key", nil, eperm},
		{"reboot", nil, eperm},
		{"bpf", nil, eperm},
		{"open_by_handle_at", nil, eperm},
		{"chroot", nil, allow}, // CAP_SYS_CHROOT is a default capability
		{"ptrace", nil, allow}, // minKernel 4.8
		{"personality", []uint64{0}, allow},
		{"personality", []uint64{8}, allow},
		{"personality", []uint64{0x20008}, allow},
		{"personality", []uint64{0xffffffff}, allow},
		{"personality", []uint64{1}, eperm},
		{"personality", []uint64{1<<32 | 8}, eperm},
		{"socket", []uint64{unix.AF_UNIX}, allow},
		{"socket", []uint64{unix.AF_INET6}, allow},
		{"socket", []uint64{unix.AF_NETLINK}, allow},
		{"socket", []uint64{unix.AF_VSOCK}, eperm}, // 40 is also sendfile's number
		{"socket", []uint64{unix.AF_ALG}, eperm},
		{"socket", []uint64{unix.AF_INET | 1<<32}, eperm},
	}
	for _, abi := range []*abi{abiX86_64, abiX32} {
		for _, c := range cases {
			if got := m.call(abi, c.name, c.args...); got != c.want {
				t.Errorf("%s: %s%v = %#x, want %#x", abi.name, c.name, c.args, got, c.want)
			}
		}
	}
	if got := m.call(abiX86_64, "arch_prctl"); got != allow {
		t.Errorf("arch_prctl = %#x, want allow", got)
	}
	if got := m.call(abiI386, "socketcall"); got != allow {
		t.Errorf("i386 socketcall = %#x, want allow", got)
	}
	if got := m.call(abiI386, "keyctl"); got != eperm {
		t.Errorf("i386 keyctl = %#x, want EPERM", got)
	}
}

func TestArchesAndENOSYS(t *testing.T) {
	m := mustDefault(t, dockerCaps)
	if got := m.run(abiAARCH64.id, 63); got != kill {
		t.Errorf("aarch64 read = %#x, want kill process", got)
	}
	if got := m.run(abiARM.id, 3); got != kill {
		t.Errorf("arm read = %#x, want kill process", got)
	}
	for _, c := range []struct {
		abi *abi
		nr  uint32
	}{
		{abiX86_64, 1000},
		{abiX86_64, x32Bit - 1},
		{abiI386, 1000},
		{abiX32, x32Bit | 1000},
		{abiX32, 0xffffffff},
	} {
		if got := m.run(c.abi.id, c.nr); got != enosys {
			t.Errorf("%s syscall %#x = %#x, want ENOSYS", c.abi.name, c.nr, got)
		}
	}
	// x32 calls are judged by x32 numbers: 13 is rt_sigaction on x86_64
	// but not an x32 syscall (x32 uses 512).
	if got := m.run(abiX86_64.id, x32Bit|13); got != eperm {
		t.Errorf("x32 syscall 13 = %#x, want EPERM", got)
	}
	if got := m.run(abiX86_64.id, x32Bit|512); got != allow {
		t.Errorf("x32 rt_sigaction = %#x, want allow", got)
	}
	if got := m.run(abiX86_64.id, 13); got != allow {
		t.Errorf("x86_64 rt_sigaction = %#x, want allow", got)
	}
}

// TestMatchesRules checks the compiled program against the resolved rules
// for every syscall number of every ABI, with argument values around each
// compared constant: this covers the chunking, the number reloads and the
// section layout.
func TestMatchesRules(t *testing.T) {
	for _, caps := range [][]string{dockerCaps, withSysAdmin} {
		p, err := moby.GetDefaultProfile(specWithCaps(normalizeCaps(caps)))
		if err != nil {
			t.Fatal(err)
		}
		f, err := compile(p)
		if err != nil {
			t.Fatal(err)
		}
		rules, err := rulesOf(p)
		if err != nil {
			t.Fatal(err)
		}
		m := newVM(t, f)
		for _, abi := range abis {
			tab, err := resolve(abi, rules)
			if err != nil {
				t.Fatal(err)
			}
			checkTable(t, m, tab)
		}
	}
}

func checkTable(t *testing.T, m *vm, tab *table) {
	t.Helper()
	base := tab.abi.mask
	for nr := base; nr <= tab.max+3; nr++ {
		for _, args := range argSamples(tab.entry(nr)) {
			want := expect(tab, nr, args)
			if got := m.run(tab.abi.id, nr, args[:]...); got != want {
				t.Fatalf("%s syscall %#x%v = %#x, want %#x", tab.abi.name, nr, args, got, want)
			}
		}
	}
}

// expect evaluates the rules directly: argument checks first, then the
// unconditional rule, then the ENOSYS rule and the default.
func expect(tab *table, nr uint32, args [6]uint64) uint32 {
	e := tab.entry(nr)
	if e == nil {
		if nr > tab.max {
			return enosys
		}
		return eperm
	}
	for _, c := range tab.condChecks() {
		if c.num != nr {
			continue
		}
		for _, set := range c.sets {
			if holdsAll(set, args) {
				return uint32(c.action)
			}
		}
	}
	if e.uncond {
		return uint32(e.action)
	}
	return eperm
}

func holdsAll(set []condition, args [6]uint64) bool {
	for _, c := range set {
		a, v := args[c.arg], c.value
		ok := map[operation]bool{
			opEqual: a == v, opNotEqual: a != v,
			opLessThan: a < v, opLessOrEqual: a <= v,
			opGreaterThan: a > v, opGreaterOrEqual: a >= v,
			opBitsSet: a&v != 0, opBitsNotSet: a&v == 0,
		}[c.op]
		if !ok {
			return false
		}
	}
	return true
}

// argSamples are argument vectors around every constant the entry compares.
func argSamples(e *entry) [][6]uint64 {
	samples := [][6]uint64{{}, {^uint64(0), ^uint64(0)}}
	if e == nil {
		return samples
	}
	for _, c := range e.conds {
		for _, cond := range c.set {
			v := cond.value
			for _, x := range []uint64{v, v - 1, v + 1, v | 1<<32, v &^ (v - 1), ^v} {
				var args [6]uint64
				args[cond.arg] = x
				samples = append(samples, args)
			}
		}
	}
	return samples
}

func TestFromProfileJSON(t *testing.T) {
	profile := `{
		"defaultAction": "SCMP_ACT_ALLOW",
		"archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
		"syscalls": [
			{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
			{"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS", "excludes": {"caps": ["CAP_KILL"]}},
			{"names": ["fchmod"], "action": "SCMP_ACT_ERRNO",
			 "args": [{"index": 1, "value": 2048, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]}
		]}`
	f, err := FromProfileJSON([]byte(profile), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := newVM(t, f)
	for _, c := range []struct {
		abi  *abi
		name string
		args []uint64
		want uint32
	}{
		{abiX86_64, "mkdir", nil, uint32(actErrno) | 13},
		{abiI386, "mkdirat", nil, uint32(actErrno) | 13},
		{abiX86_64, "read", nil, allow},
		{abiX86_64, "kill", nil, kill},
		{abiX86_64, "fchmod", []uint64{3, 0o4755}, eperm},
		{abiX86_64, "fchmod", []uint64{3, 0o755}, allow},
	} {
		if got := m.call(c.abi, c.name, c.args...); got != c.want {
			t.Errorf("%s: %s%v = %#x, want %#x", c.abi.name, c.name, c.args, got, c.want)
		}
	}
	if got := m.run(abiX86_64.id, 1000); got != allow {
		t.Errorf("unknown syscall under an allow profile = %#x, want allow", got)
	}
	if got := m.run(abiX86_64.id, x32Bit); got != kill {
		t.Errorf("x32 call without x32 in the profile = %#x, want kill process", got)
	}

	f, err = FromProfileJSON([]byte(profile), []string{"CAP_KILL"})
	if err != nil {
		t.Fatal(err)
	}
	if got := newVM(t, f).call(abiX86_64, "kill"); got != allow {
		t.Errorf("kill with CAP_KILL = %#x, want allow", got)
	}
}

func TestFromProfileJSONEmptyIsUnconfined(t *testing.T) {
	f, err := FromProfileJSON([]byte(`{}`), nil)
	if err != nil || f != nil {
		t.Fatalf("FromProfileJSON({}) = %v, %v; want nil, nil", f, err)
	}
	if err := f.Load(); err != nil {
		t.Errorf("loading a nil filter: %v", err)
	}
}

func TestFromProfileJSONRejects(t *testing.T) {
	for name, profile := range map[string]string{
		"notify":    `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}`,
		"masked":    `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 6, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}]}`,
		"index":     `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}]}]}`,
		"conflict":  `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["read"], "action": "SCMP_ACT_KILL"}]}`,
		"errno0":    `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 0, "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`,
		"bad json":  `{"defaultAction": `,
		"bad arch":  `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}`,
		"operation": `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_LIKE"}]}]}`,
	} {
		if _, err := FromProfileJSON([]byte(profile), nil); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// BenchmarkDefault is what a container start pays: the init process is
// fresh, so the memo never hits there.
func BenchmarkDefault(b *testing.B) {
	caps := normalizeCaps(dockerCaps)
	for b.Loop() {
		p, err := moby.GetDefaultProfile(specWithCaps(caps))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := compile(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDefaultMemoised(b *testing.B) {
	for b.Loop() {
		if _, err := Default(dockerCaps); err != nil {
			b.Fatal(err)
		}
	}
}
