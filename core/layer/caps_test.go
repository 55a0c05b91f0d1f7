package layer

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// capValue builds a security.capability value: revision 2 without root,
// revision 3 with it.
func capValue(rev uint32, permitted uint32, root int) []byte {
	size := capSizeV2
	if rev == capRevision3 {
		size = capSizeV3
	}
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b, rev|1)
	binary.LittleEndian.PutUint32(b[4:], permitted)
	if rev == capRevision3 {
		binary.LittleEndian.PutUint32(b[capRootOffset:], uint32(root))
	}
	return b
}

func TestMapCapRoot(t *testing.T) {
	// The host sees 1000 as the container's root, 200000+ as its 1+.
	mapUID := func(uid int) int {
		switch {
		case uid == 1000:
			return 0
		case uid >= 200000 && uid < 265536:
			return uid - 200000 + 1
		}
		return 65534
	}
	cases := []struct {
		name    string
		in, out []byte
	}{
		{"v3 for the container's root becomes v2", capValue(capRevision3, 0x400, 1000), capValue(capRevision2, 0x400, 0)},
		{"v3 for another container uid keeps v3", capValue(capRevision3, 0x400, 200099), capValue(capRevision3, 0x400, 100)},
		{"v2 stays", capValue(capRevision2, 0x400, 0), capValue(capRevision2, 0x400, 0)},
		{"garbage stays", []byte("xyz"), []byte("xyz")},
	}
	for _, c := range cases {
		if got := mapCapRoot(c.in, mapUID); !bytes.Equal(got, c.out) {
			t.Errorf("%s: % x, want % x", c.name, got, c.out)
		}
	}
}

// TestDiffMapsOwners: with DiffOptions.IDs, every entry records the owner
// the mapping gives, hardlinks and whiteouts included.
func TestDiffMapsOwners(t *testing.T) {
	up := makeUpper(t)
	uid, gid := os.Getuid(), os.Getgid()
	var buf bytes.Buffer
	ids := func(u, g int) (int, int) {
		if u != uid || g != gid {
			t.Errorf("IDs called with %d:%d, want the files' %d:%d", u, g, uid, gid)
		}
		return 1234, 4321
	}
	if err := DiffWith(up, &buf, DiffOptions{IDs: ids}); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	n := 0
	for ; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Uid != 1234 || hdr.Gid != 4321 {
			t.Errorf("%s: owner %d:%d, want 1234:4321", hdr.Name, hdr.Uid, hdr.Gid)
		}
	}
	if n == 0 {
		t.Fatal("empty diff")
	}
}

// TestUnpackCapabilityUnprivileged: a layer's file capability is set after
// the owner (a chown would drop it) or, unprivileged, tolerated when
// refused; the rest of the file is made either way.
func TestUnpackCapabilityUnprivileged(t *testing.T) {
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: "ping", Mode: 0o755, Size: 2,
		PAXRecords: map[string]string{paxXattr + capXattr: string(capValue(capRevision2, 1<<13, 0))}}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte("hi"))
	tw.Close()
	s := newSandbox(t)
	if err := Unpack(&buf, s.target, Options{}); err != nil {
		t.Fatalf("unpack of a file with a capability, unprivileged: %v", err)
	}
	if got := readFile(t, filepath.Join(s.target, "ping")); got != "hi" {
		t.Errorf("ping = %q", got)
	}
}

// TestDiffFuseOverlayOpaque: an upper dir written by fuse-overlayfs marks
// opaque directories with its own xattr; the diff says opaque and keeps
// fuse-overlayfs' metadata out of the archive.
func TestDiffFuseOverlayOpaque(t *testing.T) {
	up := t.TempDir()
	dir := filepath.Join(up, "op")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(dir, fuseOpaque, []byte("y"), 0); errors.Is(err, unix.EOPNOTSUPP) {
		t.Skip("filesystem without user xattrs")
	} else if err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(dir, "user.fuseoverlayfs.origin", []byte("z"), 0); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(diffBytes(t, up)))
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if len(hdr.PAXRecords) > 0 {
			t.Errorf("%s carries %v", hdr.Name, hdr.PAXRecords)
		}
	}
	if want := []string{"op/", "op/.wh..wh..opq"}; !equalStrings(names, want) {
		t.Errorf("entries %q, want %q", names, want)
	}
}
