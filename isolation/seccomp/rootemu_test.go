package seccomp

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

const fake = fakeSuccess

func mustRootEmulation(t *testing.T) *vm {
	t.Helper()
	f, err := RootEmulation()
	if err != nil {
		t.Fatal(err)
	}
	return newVM(t, f)
}

func TestRootEmulationShared(t *testing.T) {
	a, err := RootEmulation()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := RootEmulation()
	if a != b {
		t.Error("RootEmulation built twice")
	}
	t.Logf("%d instructions", len(a.prog))
}

// TestRootEmulationFakes checks every faked syscall of every ABI, with
// arguments that a single-id user namespace would refuse.
func TestRootEmulationFakes(t *testing.T) {
	m := mustRootEmulation(t)
	want := map[*abi][]string{
		abiX86_64: {"chown", "fchown", "lchown", "fchownat",
			"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
			"setfsuid", "setfsgid", "setgroups"},
		abiX32: {"chown", "fchown", "lchown", "fchownat",
			"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
			"setfsuid", "setfsgid", "setgroups"},
		abiI386: {"chown", "fchown", "lchown", "fchownat", "chown32", "fchown32", "lchown32",
			"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
			"setfsuid", "setfsgid", "setgroups",
			"setuid32", "setgid32", "setreuid32", "setregid32", "setresuid32", "setresgid32",
			"setfsuid32", "setfsgid32", "setgroups32"},
		abiAARCH64: {"fchown", "fchownat", "setuid", "setgid", "setgroups", "setresuid"},
		abiARM:     {"chown32", "lchown32", "setuid32", "setgroups32"},
	}
	for abi, names := range want {
		for _, name := range names {
			for _, args := range [][]uint64{nil, {1234, 1234, 1234}, {^uint64(0), ^uint64(0), 1000}} {
				if got := m.call(abi, name, args...); got != fake {
					t.Errorf("%s: %s%v = %#x, want fake success %#x", abi.name, name, args, got, fake)
				}
			}
		}
	}
}

// TestRootEmulationAllowsTheRest: everything else, capset included, goes
// to the kernel (and to the profile loaded beside this filter).
func TestRootEmulationAllowsTheRest(t *testing.T) {
	m := mustRootEmulation(t)
	for _, abi := range abis {
		for _, name := range []string{"read", "openat", "execve", "capset", "kexec_load", "chmod", "fchmodat", "getuid", "mkdirat", "clone"} {
			if got := m.call(abi, name, 1234, 1234, 1234); got != allow {
				t.Errorf("%s: %s = %#x, want allow", abi.name, name, got)
			}
		}
	}
	for nr := uint32(0); nr < 1024; nr++ {
		if name, ok := nameOf(abiX86_64, nr); ok && (isFaked(name) || name == "mknod" || name == "mknodat") {
			continue
		}
		if got := m.run(abiX86_64.id, nr); got != allow {
			t.Errorf("x86_64 syscall %d = %#x, want allow", nr, got)
		}
	}
	// x32 numbers are only matched with the x32 bit: 105 without it is
	// x86_64's setuid, with it x32's; 1000|x32 is nothing.
	if got := m.run(abiX86_64.id, x32Bit|1000); got != allow {
		t.Errorf("x32 syscall 1000 = %#x, want allow", got)
	}
	if got := m.run(abiX86_64.id, x32Bit|105); got != fake {
		t.Errorf("x32 setuid = %#x, want fake", got)
	}
	// Unknown architectures are the profile's business.
	for _, id := range []uint32{unix.AUDIT_ARCH_PPC64LE, unix.AUDIT_ARCH_S390X, 0} {
		if got := m.run(id, 105); got != allow {
			t.Errorf("audit arch %#x = %#x, want allow", uint32(id), got)
		}
	}
}

func isFaked(name string) bool { return slices.Contains(fakedNames, name) }

// nameOf is the name of syscall nr (as in seccomp_data.nr) of abi.
func nameOf(abi *abi, nr uint32) (string, bool) {
	for _, s := range abi.names {
		if s.nr|abi.mask == nr {
			return s.name, true
		}
	}
	return "", false
}

// TestRootEmulationMknod: device nodes are faked, every other file type
// reaches the kernel; only the mode's file type bits count, and only its
// low word, as in the kernel.
func TestRootEmulationMknod(t *testing.T) {
	m := mustRootEmulation(t)
	dev := uint64(unix.Mkdev(1, 3))
	cases := []struct {
		mode uint64
		want uint32
	}{
		{unix.S_IFCHR | 0o666, fake},
		{unix.S_IFBLK | 0o660, fake},
		{unix.S_IFCHR, fake},
		{unix.S_IFBLK | 0o7777, fake},
		{unix.S_IFCHR | 1<<32, fake}, // the kernel ignores the high word
		{unix.S_IFIFO | 0o644, allow},
		{unix.S_IFREG | 0o644, allow},
		{0o644, allow}, // type 0 means a regular file
		{unix.S_IFSOCK | 0o755, allow},
		{unix.S_IFDIR | 0o755, allow}, // the kernel answers EPERM itself
		{unix.S_IFLNK | 0o777, allow},
		{unix.S_IFREG | 1<<32 | unix.S_IFCHR<<16, allow},
	}
	for _, abi := range []*abi{abiX86_64, abiX32, abiI386, abiARM} {
		for _, c := range cases {
			if got := m.call(abi, "mknod", 0x1000, c.mode, dev); got != c.want {
				t.Errorf("%s: mknod(mode %#o) = %#x, want %#x", abi.name, c.mode, got, c.want)
			}
		}
	}
	for _, abi := range []*abi{abiX86_64, abiX32, abiI386, abiAARCH64, abiARM} {
		for _, c := range cases {
			if got := m.call(abi, "mknodat", 0xffffff9c, 0x1000, c.mode, dev); got != c.want {
				t.Errorf("%s: mknodat(mode %#o) = %#x, want %#x", abi.name, c.mode, got, c.want)
			}
			// The mode is argument 2 of mknodat: a device mode in argument 1
			// (the path pointer) must not count.
			if got := m.call(abi, "mknodat", 3, unix.S_IFCHR, unix.S_IFREG); got != allow {
				t.Errorf("%s: mknodat reads the wrong argument: %#x", abi.name, got)
			}
		}
	}
}

// TestDefaultAllowsEmulated: Docker's default profile allows every syscall
// the emulation fakes, so with it the order of loading does not matter
// (ERRNO beats ALLOW either way).
func TestDefaultAllowsEmulated(t *testing.T) {
	for _, caps := range [][]string{nil, dockerCaps} {
		m := mustDefault(t, caps)
		for _, abi := range abis {
			for _, name := range append([]string{"mknod", "mknodat"}, fakedNames...) {
				if _, ok := abi.nr(name); !ok {
					continue
				}
				if got := m.call(abi, name, 0, unix.S_IFCHR, unix.S_IFCHR); got != allow {
					t.Errorf("caps %v, %s: default profile gives %s %#x, want allow", caps, abi.name, name, got)
				}
			}
		}
	}
}
