package copier

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ulikunitz/xz"
)

func tarball(t *testing.T, compress func(io.Writer) io.WriteCloser) []byte {
	var buf bytes.Buffer
	cw := compress(&buf)
	tw := tar.NewWriter(cw)
	must(t, tw.WriteHeader(&tar.Header{Name: "pkg/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: old}))
	writeTarFile(t, tw, "pkg/a.txt", "A")
	must(t, tw.Close())
	must(t, cw.Close())
	return buf.Bytes()
}

type nopWC struct{ io.Writer }

func (nopWC) Close() error { return nil }

func TestAddArchives(t *testing.T) {
	formats := map[string]func(io.Writer) io.WriteCloser{
		"plain.tar": func(w io.Writer) io.WriteCloser { return nopWC{w} },
		"x.tar.gz":  func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) },
		"x.tar.xz": func(w io.Writer) io.WriteCloser {
			xw, err := xz.NewWriter(w)
			must(t, err)
			return xw
		},
	}
	for name, compress := range formats {
		t.Run(name, func(t *testing.T) {
			s, d := roots(t, map[string]string{"notes.txt": "not a tar"})
			must(t, os.WriteFile(filepath.Join(s, name), tarball(t, compress), 0o644))
			must(t, Copy(s, d, Op{Sources: []string{name}, Dest: "/opt", ExtractArchives: true}))
			wantFile(t, filepath.Join(d, "opt/pkg/a.txt"), "A")
			fi, _ := os.Lstat(filepath.Join(d, "opt/pkg/a.txt"))
			if st := fi.Sys().(*syscall.Stat_t); os.Getuid() == 0 && (st.Uid != 7 || st.Gid != 8) {
				t.Errorf("archive ownership %d:%d, want the tar's 7:8", st.Uid, st.Gid)
			}
			// --chown overrides the archive's ownership.
			must(t, Copy(s, d, Op{Sources: []string{name}, Dest: "/own/", ExtractArchives: true, UID: ptr(1), GID: ptr(2)}))
			fi, _ = os.Lstat(filepath.Join(d, "own/pkg/a.txt"))
			if st := fi.Sys().(*syscall.Stat_t); os.Getuid() == 0 && (st.Uid != 1 || st.Gid != 2) {
				t.Errorf("--chown ownership %d:%d, want 1:2", st.Uid, st.Gid)
			}
			// Without ExtractArchives (COPY) the archive is a file.
			must(t, Copy(s, d, Op{Sources: []string{name}, Dest: "/copied/"}))
			if _, err := os.Stat(filepath.Join(d, "copied", name)); err != nil {
				t.Fatal(err)
			}
			// A non-archive is copied as a file by ADD.
			must(t, Copy(s, d, Op{Sources: []string{"notes.txt"}, Dest: "/n", ExtractArchives: true}))
			wantFile(t, filepath.Join(d, "n"), "not a tar")
		})
	}
}
