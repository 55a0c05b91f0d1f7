package layer

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The tests here re-run this test binary as an unprivileged user, plain or
// as root of a user namespace, because the package must not depend on
// running as root. helperEnv names the directory the helper unpacks into.
const (
	helperEnv      = "LAYER_TEST_HELPER_DIR"
	helperChownEnv = "LAYER_TEST_HELPER_CHOWN"
	helperBase     = 200000 // the unprivileged host uid/gid (namespace root)
)

func helperLayers(t testing.TB) (lower, upper []byte) {
	suid := fileItem("suid", "s", 0o4755)
	suid.hdr.Uid, suid.hdr.Gid = 7, 7
	unmapped := fileItem("unmapped", "u", 0o644)
	unmapped.hdr.Uid, unmapped.hdr.Gid = 5000, 5000
	unmappedSuid := fileItem("unmapped-suid", "u", 0o6755)
	unmappedSuid.hdr.Uid, unmappedSuid.hdr.Gid = 5000, 7
	lower = tarOf(t, dirItem("ro/", 0o555), fileItem("ro/file", "lower", 0o444),
		dirItem("ro/sub/", 0o500), fileItem("ro/sub/f", "lower", 0o400), suid, unmapped, unmappedSuid)
	upper = tarOf(t, fileItem("ro/.wh.file", "", 0o644), fileItem("ro/new", "new", 0o644),
		fileItem("ro/sub/.wh..wh..opq", "", 0o644), fileItem("a/.wh.gone", "", 0o644))
	return lower, upper
}

// TestHelperProcess is the re-executed side; it does nothing in a normal run.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("only runs re-executed by the unprivileged tests")
	}
	chown := os.Getenv(helperChownEnv) == "1"
	lower, upper := helperLayers(t)
	steps := []struct {
		data []byte
		dir  string
		opts Options
	}{
		{lower, "ovl-lower", Options{Chown: chown}},
		{upper, "ovl-upper", Options{Chown: chown}},
		{lower, "flat", Options{Chown: chown, ApplyWhiteouts: true}},
		{upper, "flat", Options{Chown: chown, ApplyWhiteouts: true}},
	}
	for _, s := range steps {
		target := filepath.Join(dir, s.dir)
		if err := os.MkdirAll(target, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := Unpack(bytes.NewReader(s.data), target, s.opts); err != nil {
			t.Fatalf("%s: %v", s.dir, err)
		}
	}
}

func TestUnpackUnprivileged(t *testing.T) {
	dir := helperDir(t)
	runHelper(t, dir, &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: helperBase, Gid: helperBase}}, false)
	checkHelper(t, dir, map[string]uint32{"flat/suid": helperBase, "flat/unmapped": helperBase})
	if fi, _ := lstat(t, filepath.Join(dir, "flat/unmapped-suid")); fi.Mode() != os.ModeSetuid|os.ModeSetgid|0o755 {
		t.Errorf("unmapped-suid unpacked without Chown: mode %v, want it as in the layer", fi.Mode())
	}
}

func TestUnpackUserns(t *testing.T) {
	dir := helperDir(t)
	idmap := []syscall.SysProcIDMap{{ContainerID: 0, HostID: helperBase, Size: 1000}}
	runHelper(t, dir, &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: idmap,
		GidMappings: idmap,
		Credential:  &syscall.Credential{Uid: 0, Gid: 0},
	}, true)
	// uid 7 maps to base+7; 5000 is outside the 1000-id map and falls back to 0.
	checkHelper(t, dir, map[string]uint32{"flat/suid": helperBase + 7, "flat/unmapped": helperBase, "flat/unmapped-suid": helperBase})
	// Setuid (and setgid) for an owner the map lacks must not become root's.
	if fi, _ := lstat(t, filepath.Join(dir, "flat/unmapped-suid")); fi.Mode() != 0o755 {
		t.Errorf("unmapped-suid mode = %v, want 0755 without setuid/setgid", fi.Mode())
	}
}

// helperDir makes a directory the unprivileged helper owns, holding a
// copy of the test binary it can execute.
func helperDir(t *testing.T) string {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to another user or map a user namespace")
	}
	dir, err := os.MkdirTemp("", "layer-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := copyFile(exe, filepath.Join(dir, "layer.test")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(dir, "layer.test")} {
		if err := os.Chown(p, helperBase, helperBase); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func runHelper(t *testing.T, dir string, attr *syscall.SysProcAttr, chown bool) {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, "layer.test"), "-test.run=^TestHelperProcess$", "-test.v")
	cmd.Dir = dir
	cmd.Env = []string{helperEnv + "=" + dir, "PATH=/usr/bin:/bin"}
	if chown {
		cmd.Env = append(cmd.Env, helperChownEnv+"=1")
	}
	cmd.SysProcAttr = attr
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Skipf("cannot start the unprivileged helper: %v", err)
	}
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestHelperProcess")) {
		t.Fatalf("helper: %v\n%s", err, out)
	}
}

// checkHelper verifies what the helper unpacked, seen from outside.
func checkHelper(t *testing.T, dir string, owners map[string]uint32) {
	for _, name := range []string{"ovl-upper/a/gone", "ovl-upper/ro/file"} {
		fi, st := lstat(t, filepath.Join(dir, name))
		if fi.Mode()&os.ModeCharDevice == 0 || st.Rdev != 0 {
			t.Errorf("%s is %v, want a 0/0 whiteout", name, fi.Mode())
		}
	}
	buf := make([]byte, 4)
	if n, err := unix.Lgetxattr(filepath.Join(dir, "ovl-upper/ro/sub"), opaqueXattr, buf); err != nil || string(buf[:n]) != "y" {
		t.Errorf("ovl-upper/ro/sub opaque = %q, %v", buf[:n], err)
	}
	want := []string{"ro/", "ro/new", "ro/sub/", "suid", "unmapped", "unmapped-suid"}
	if got := listTree(t, filepath.Join(dir, "flat")); !equalStrings(got, want) {
		t.Errorf("flat tree = %q, want %q", got, want)
	}
	for name, mode := range map[string]os.FileMode{"flat/ro": os.ModeDir | 0o555, "flat/ro/sub": os.ModeDir | 0o500, "flat/suid": os.ModeSetuid | 0o755} {
		if fi, _ := lstat(t, filepath.Join(dir, name)); fi.Mode() != mode {
			t.Errorf("%s mode = %v, want %v", name, fi.Mode(), mode)
		}
	}
	for name, uid := range owners {
		if _, st := lstat(t, filepath.Join(dir, name)); st.Uid != uid || st.Gid != uid {
			t.Errorf("%s owned by %d:%d, want %d:%d", name, st.Uid, st.Gid, uid, uid)
		}
	}
}
