package layer

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// A PAX sparse entry claims a size its archive does not hold: unpacked, it
// must stay holes, not that many bytes of zeros on disk (a 10 KB archive
// could fill the disk).
func TestUnpackSparseStaysSparse(t *testing.T) {
	gnuTar, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("no tar to make a sparse archive with")
	}
	src := t.TempDir()
	big := filepath.Join(src, "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	const size, at = 256 << 20, 100 << 20
	if _, err := f.WriteAt([]byte("x"), at); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	archive := filepath.Join(t.TempDir(), "sparse.tar")
	if out, err := exec.Command(gnuTar, "--format=posix", "-S", "-cf", archive, "-C", src, "big").CombinedOutput(); err != nil {
		t.Skipf("tar cannot make a sparse archive here: %v: %s", err, out)
	}
	if st, err := os.Stat(archive); err != nil || st.Size() > 1<<20 {
		t.Fatalf("the sparse archive is not small: %v, %v", st, err)
	}
	a, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	s := newSandbox(t)
	if err := Unpack(a, s.target, Options{}); err != nil {
		t.Fatal(err)
	}
	got := filepath.Join(s.target, "big")
	var st syscall.Stat_t
	if err := syscall.Stat(got, &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != size {
		t.Errorf("size %d, want %d", st.Size, size)
	}
	if used := st.Blocks * 512; used > 4<<20 {
		t.Errorf("the unpacked sparse file takes %d MiB on disk", used>>20)
	}
	g, err := os.Open(got)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	b := make([]byte, 3)
	if _, err := g.ReadAt(b, at-1); err != nil || string(b) != "\x00x\x00" {
		t.Errorf("content around the data: %q, %v", b, err)
	}
	s.check(t)
}
