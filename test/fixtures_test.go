package test

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixtureTime keeps generated tarballs byte-identical between runs.
var fixtureTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	passwd = "root:x:0:0:root:/root:/bin/sh\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n" +
		"user1:x:1000:1000::/home/user1:/bin/sh\n"
	group = "root:x:0:\nnogroup:x:65534:\nuser1:x:1000:\n"
)

// tarEntry is one member of a generated tarball. Type defaults to a regular
// file; Mode to 0644 for files and 0755 for directories.
type tarEntry struct {
	Name     string
	Type     byte
	Mode     int64
	Body     []byte
	Linkname string
	UID, GID int
}

// makeTar writes entries, in order and as given (no sanitising: that is the
// point for the malicious ones), to a new tarball in a temp dir of t.
func makeTar(t *testing.T, entries ...tarEntry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fixture.tar")
	if err := writeTarFile(path, entries); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeTarFile(path string, entries []tarEntry) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	for _, e := range entries {
		if err := writeEntry(tw, e); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", e.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeEntry(tw *tar.Writer, e tarEntry) error {
	hdr := &tar.Header{
		Name: e.Name, Typeflag: e.Type, Mode: e.Mode, Linkname: e.Linkname,
		Uid: e.UID, Gid: e.GID, ModTime: fixtureTime, Format: tar.FormatPAX,
	}
	if hdr.Typeflag == 0 {
		hdr.Typeflag = tar.TypeReg
	}
	if hdr.Mode == 0 {
		hdr.Mode = 0o644
		if hdr.Typeflag == tar.TypeDir {
			hdr.Mode = 0o755
		}
	}
	if hdr.Typeflag == tar.TypeReg {
		hdr.Size = int64(len(e.Body))
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Size > 0 {
		_, err := tw.Write(e.Body)
		return err
	}
	return nil
}

// makeBusyboxTar writes the busybox base image into dir and returns its
// path: the host's static busybox as /bin/busybox, a symlink per applet,
// /etc/passwd with root, nobody and user1 (1000), /etc/group, and the usual
// top-level directories.
func makeBusyboxTar(dir string) (string, error) {
	entries, err := busyboxEntries()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "busybox.tar")
	return path, writeTarFile(path, entries)
}

func busyboxEntries() ([]tarEntry, error) {
	bb, err := findBusybox()
	if err != nil {
		return nil, err
	}
	body, err := os.ReadFile(bb)
	if err != nil {
		return nil, err
	}
	list, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %w", bb, err)
	}
	d := func(name string, mode int64) tarEntry {
		return tarEntry{Name: name, Type: tar.TypeDir, Mode: mode}
	}
	entries := []tarEntry{
		d("bin/", 0o755), d("dev/", 0o755), d("etc/", 0o755), d("home/", 0o755),
		{Name: "home/user1/", Type: tar.TypeDir, Mode: 0o755, UID: 1000, GID: 1000},
		d("mnt/", 0o755), d("proc/", 0o555), d("root/", 0o700), d("sys/", 0o555),
		d("tmp/", 0o1777), d("var/", 0o755),
		{Name: "bin/busybox", Mode: 0o755, Body: body},
		{Name: "etc/passwd", Body: []byte(passwd)},
		{Name: "etc/group", Body: []byte(group)},
	}
	for _, applet := range strings.Fields(string(list)) {
		// Never a symlink named busybox: it would replace the binary.
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		entries = append(entries, tarEntry{Name: "bin/" + applet, Type: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777})
	}
	return entries, nil
}

// findBusybox returns a statically linked busybox: $HULL_BUSYBOX, else
// /bin/busybox (Debian's busybox-static). A dynamic one would need the
// host's libc inside the image.
func findBusybox() (string, error) {
	bb := os.Getenv("HULL_BUSYBOX")
	if bb == "" {
		bb = "/bin/busybox"
	}
	f, err := elf.Open(bb)
	if err != nil {
		return "", fmt.Errorf("busybox %s: %w (install busybox-static or set HULL_BUSYBOX)", bb, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", fmt.Errorf("busybox %s is dynamically linked; install busybox-static or set HULL_BUSYBOX", bb)
		}
	}
	return bb, nil
}

// makeBigTar writes the busybox image plus n files of size bytes each under
// /data (file i holds bytes derived from i, so the content is checkable).
func makeBigTar(t *testing.T, n, size int) string {
	t.Helper()
	entries, err := busyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	entries = append(entries, tarEntry{Name: "data/", Type: tar.TypeDir})
	for _, e := range entries {
		if err := writeEntry(tw, e); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		e := tarEntry{Name: fmt.Sprintf("data/f%d", i), Body: bigBody(i, size)}
		if err := writeEntry(tw, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// bigBody is deterministic, incompressible-looking content for file i.
func bigBody(i, size int) []byte {
	var b bytes.Buffer
	x := uint64(i)*0x9E3779B97F4A7C15 + 1
	for b.Len() < size {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b.WriteByte(byte(x))
	}
	return b.Bytes()
}

// truncated copies the first n bytes of src into a new file.
func truncated(t *testing.T, src string, n int64) string {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(t.TempDir(), "truncated.tar")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(out, in, n); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
