package layer

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// roundTrip unpacks tarball into a fresh directory, disassembles it and
// assembles it again from the directory; it returns the directory, the
// metadata and what Assemble wrote (and its error).
func roundTrip(t *testing.T, tarball []byte) (dir string, meta, out []byte, err error) {
	t.Helper()
	s := newSandbox(t)
	if err := Unpack(bytes.NewReader(tarball), s.target, Options{}); err != nil {
		t.Fatalf("unpack: %v", err)
	}
	var m bytes.Buffer
	if err := Disassemble(bytes.NewReader(tarball), &m); err != nil {
		t.Fatalf("disassemble: %v", err)
	}
	var o bytes.Buffer
	err = Assemble(bytes.NewReader(m.Bytes()), s.target, &o)
	s.check(t)
	return s.target, m.Bytes(), o.Bytes(), err
}

func TestAssembleRoundTrip(t *testing.T) {
	long := strings.Repeat("long-directory-name/", 12) + "file-with-a-name-past-100-bytes"
	pax := fileItem(long, "pax name", 0o644)
	pax.hdr.Format = tar.FormatPAX
	utf := fileItem("données/ünïcode-ファイル", "utf-8 name", 0o644)
	sparse := fileItem("var/sparse", string(make([]byte, 3<<20))+"end", 0o644) // mostly zeros
	owned := fileItem("home/user/secret", "another owner's", 0o600)
	owned.hdr.Uid, owned.hdr.Gid, owned.hdr.Uname = 1000, 1000, "user"
	items := append(treeItems(),
		fileItem("empty", "", 0o644),
		pax, utf, sparse, owned,
		fileItem("etc/.wh.removed", "", 0o644),
		fileItem("var/.wh..wh..opq", "", 0o644),
		devItem("dev/null", tar.TypeChar, 1, 3),
		linkItem("var/sparse-link", "var/sparse"),
	)
	cases := map[string][]byte{
		"tree":  tarOf(t, items...),
		"empty": tarOf(t),
	}
	// A tar with extra zero blocks after its end marker, as some tools write.
	cases["padded"] = append(tarOf(t, fileItem("a", "a", 0o644)), make([]byte, 10240)...)
	for name, tarball := range cases {
		t.Run(name, func(t *testing.T) {
			dir, meta, out, err := roundTrip(t, tarball)
			if err != nil {
				t.Fatalf("assemble: %v", err)
			}
			if !bytes.Equal(out, tarball) {
				t.Fatalf("assembled tar differs from the original (%d bytes, want %d)", len(out), len(tarball))
			}
			if piped := assembleToPipe(t, meta, dir); !bytes.Equal(piped, tarball) {
				t.Fatalf("tar assembled into a pipe (spliced) differs from the original (%d bytes, want %d)", len(piped), len(tarball))
			}
			if err := FindChanged(bytes.NewReader(meta), dir); err != nil {
				t.Fatalf("FindChanged on an unchanged tree: %v", err)
			}
			if name == "tree" && len(meta) > len(tarball)/10 {
				t.Errorf("metadata is %d bytes for a %d-byte tar", len(meta), len(tarball))
			}
		})
	}
}

// assembleToPipe runs Assemble into a blocking pipe, as the helper's
// stdout is (large files are spliced), and returns what came out.
func assembleToPipe(t *testing.T, meta []byte, dir string) []byte {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r, w := os.NewFile(uintptr(p[0]), "r"), os.NewFile(uintptr(p[1]), "w")
	if blockingPipe(w) == 0 {
		t.Fatal("a blocking pipe is not seen as one")
	}
	errc := make(chan error, 1)
	go func() {
		err := Assemble(bytes.NewReader(meta), dir, w)
		w.Close()
		errc <- err
	}()
	out, rerr := io.ReadAll(r)
	r.Close()
	if err := <-errc; err != nil || rerr != nil {
		t.Fatalf("assemble into a pipe: %v, read: %v", err, rerr)
	}
	return out
}

// TestAssembleDetects: a tree that no longer holds the tar's files fails
// Assemble with an error naming the file, never a different tar.
func TestAssembleDetects(t *testing.T) {
	tarball := tarOf(t, dirItem("etc/", 0o755), fileItem("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644),
		fileItem("etc/group", "root:x:0:\n", 0o644))
	change := map[string]func(dir string) error{
		"content": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("evil:x:0:0::/root:/bin/sh\n"), 0o644)
		},
		"size": func(dir string) error { return os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("x"), 0o644) },
		"gone": func(dir string) error { return os.Remove(filepath.Join(dir, "etc/passwd")) },
		"symlink out": func(dir string) error {
			p := filepath.Join(dir, "etc/passwd")
			os.Remove(p)
			return os.Symlink("/etc/passwd", p)
		},
		"parent symlink out": func(dir string) error {
			makeRemovable(dir)
			if err := os.RemoveAll(filepath.Join(dir, "etc")); err != nil {
				return err
			}
			return os.Symlink("/etc", filepath.Join(dir, "etc"))
		},
	}
	for name, fn := range change {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t)
			if err := Unpack(bytes.NewReader(tarball), s.target, Options{}); err != nil {
				t.Fatal(err)
			}
			var meta bytes.Buffer
			if err := Disassemble(bytes.NewReader(tarball), &meta); err != nil {
				t.Fatal(err)
			}
			if err := fn(s.target); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err := Assemble(bytes.NewReader(meta.Bytes()), s.target, &out)
			if name == "content" {
				// Same size: Assemble writes a different tar, which the
				// caller's digest check refuses; FindChanged names the file.
				if err != nil || bytes.Equal(out.Bytes(), tarball) {
					t.Fatalf("assemble a tree with a changed file of the same size: %v (same tar: %v)", err, bytes.Equal(out.Bytes(), tarball))
				}
				err = FindChanged(bytes.NewReader(meta.Bytes()), s.target)
				if !errors.Is(err, errTreeDiffers) {
					t.Errorf("FindChanged: %v, want errTreeDiffers", err)
				}
			} else if err == nil {
				t.Fatalf("assembled %d bytes from a changed tree without an error", out.Len())
			}
			if !strings.Contains(err.Error(), "etc/passwd") {
				t.Errorf("error %q does not name the file", err)
			}
			if err := FindChanged(bytes.NewReader(meta.Bytes()), s.target); err == nil || !strings.Contains(err.Error(), "etc/passwd") {
				t.Errorf("FindChanged: %v, want an error naming etc/passwd", err)
			}
			s.check(t)
		})
	}
}

// TestAssembleRepeatedPath: a tar that writes one path twice cannot be
// assembled from its tree (the first content is gone): Disassemble
// refuses it, so the store keeps such a layer's blob.
func TestAssembleRepeatedPath(t *testing.T) {
	tarball := tarOf(t, fileItem("f", "first", 0o644), fileItem("./f", "second", 0o644))
	if err := Disassemble(bytes.NewReader(tarball), io.Discard); err == nil {
		t.Fatal("disassembled a tar whose first copy of f will not be in the tree")
	}
}

// A diff's tar, its digest and its metadata in one pass: DisassembleTo
// passes the tar on unchanged and writes the metadata Disassemble would;
// CheckTree accepts the tree the diff read and refuses one whose files
// are not where the metadata names them (moved, resized, a symlink in a
// file's place), while a same-size content change is left to the digest
// and FindChanged's CRC-64, which names it.
func TestDisassembleToAndCheckTree(t *testing.T) {
	upper := t.TempDir()
	long := strings.Repeat("long-directory-name/", 6)
	for name, body := range map[string]string{"a": "alpha", "dir/b": "bravo", long + "c": "charlie", "empty": ""} {
		p := filepath.Join(upper, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(upper, "a"), filepath.Join(upper, "hardlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a", filepath.Join(upper, "link")); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := Diff(upper, &want); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(Diff(upper, pw)) }()
	var got, meta, plain bytes.Buffer
	if err := DisassembleTo(pr, &got, &meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("DisassembleTo passed on %d bytes, want the diff's %d", got.Len(), want.Len())
	}
	if err := Disassemble(bytes.NewReader(want.Bytes()), &plain); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(meta.Bytes(), plain.Bytes()) {
		t.Fatal("DisassembleTo's metadata differs from Disassemble's")
	}
	if err := CheckTree(bytes.NewReader(meta.Bytes()), upper); err != nil {
		t.Fatalf("check the diffed tree: %v", err)
	}
	var out bytes.Buffer
	if err := Assemble(bytes.NewReader(meta.Bytes()), upper, &out); err != nil || !bytes.Equal(out.Bytes(), want.Bytes()) {
		t.Fatalf("assemble: %v (%d bytes, want %d)", err, out.Len(), want.Len())
	}

	change := map[string]func(t *testing.T, dir string){
		"moved": func(t *testing.T, dir string) {
			if err := os.Rename(filepath.Join(dir, "dir"), filepath.Join(dir, "dir2")); err != nil {
				t.Fatal(err)
			}
		},
		"resized": func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "dir/b"), []byte("bravo!"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"symlink in its place": func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "other"), []byte("BRAVO"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, "dir/b")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/other", filepath.Join(dir, "dir/b")); err != nil {
				t.Fatal(err)
			}
		},
		"parent a symlink": func(t *testing.T, dir string) {
			if err := os.Rename(filepath.Join(dir, "dir"), filepath.Join(dir, "dir2")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("dir2", filepath.Join(dir, "dir")); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, fn := range change {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Unpack(bytes.NewReader(want.Bytes()), dir, Options{}); err != nil {
				t.Fatal(err)
			}
			if err := CheckTree(bytes.NewReader(meta.Bytes()), dir); err != nil {
				t.Fatalf("the unpacked tree: %v", err)
			}
			fn(t, dir)
			if err := CheckTree(bytes.NewReader(meta.Bytes()), dir); err == nil {
				t.Fatal("CheckTree accepted the changed tree")
			}
		})
	}
	t.Run("same size, other content", func(t *testing.T) {
		dir := t.TempDir()
		if err := Unpack(bytes.NewReader(want.Bytes()), dir, Options{}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "dir/b"), []byte("BRAVO"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := CheckTree(bytes.NewReader(meta.Bytes()), dir); err != nil {
			t.Fatalf("CheckTree reads no content, yet: %v", err)
		}
		if err := FindChanged(bytes.NewReader(meta.Bytes()), dir); !errors.Is(err, errTreeDiffers) {
			t.Fatalf("FindChanged on a changed file: %v, want errTreeDiffers", err)
		}
	})
}
