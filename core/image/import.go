package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImportOptions are the options of `import`.
type ImportOptions struct {
	Ref     string   // name for the new image; "" leaves it dangling
	Changes []string // --change instructions, see ApplyChanges
	Message string   // history comment; default "Imported from <Source>"
	Source  string   // what was imported, for the comment; default "-"
}

// Import turns a root filesystem tarball (plain, gzip, bzip2, or xz/zstd
// when the xz/zstd program is installed) into a one-layer image, like
// `docker import`. The input must be a tar archive.
func (s *Store) Import(r io.Reader, opts ImportOptions) (*Image, error) {
	now := time.Now().UTC()
	cfg := ocispec.Image{
		Created:  &now,
		Platform: ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH},
	}
	if err := ApplyChanges(&cfg.Config, opts.Changes); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	var names []string
	if opts.Ref != "" {
		if _, err := NormalizeRef(opts.Ref); err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		names = append(names, opts.Ref)
	}
	cfg.History = []ocispec.History{{Created: &now, Comment: importComment(opts)}}
	l, dir, err := s.importLayer(r)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer s.dropLayerTemp(dir)
	img, err := s.AddImage([]*Layer{l}, cfg, names...)
	if err != nil {
		return nil, err
	}
	if l.once == nil {
		// The unpacked tree becomes the layer's directory; failing
		// that, the layer is unpacked again from its blob when used.
		_ = s.AdoptLayerDir(l.Digest, dir)
	}
	return img, nil
}

func importComment(opts ImportOptions) string {
	if opts.Message != "" {
		return opts.Message
	}
	if opts.Source == "" {
		return "Imported from -"
	}
	return "Imported from " + opts.Source
}

// importLayer decompresses r and writes it as a layer, checking on the
// way that it is a tar archive, and unpacks it into a temporary layer
// directory, as pulls and loads do: an archive the store cannot unpack
// (".." names, symlinked parents, links out of the tree) fails here and
// leaves nothing, instead of failing every later run. The layer stays
// under temporary names until AddImage takes it: kept once (its
// directory and metadata, synced), or as its synced blob. The caller
// owns dir.
func (s *Store) importLayer(r io.Reader) (l *Layer, dir string, err error) {
	dec, err := decompress(r)
	if err != nil {
		return nil, "", err
	}
	if dir, err = s.newLayerTemp(); err != nil {
		dec.finish(true)
		return nil, "", err
	}
	pr, pw := io.Pipe()
	checked := make(chan error, 1)
	go func() {
		err := copyCheckingTar(pw, dec)
		pw.CloseWithError(err)
		checked <- err
	}()
	t, err := s.writeUnpacked(pr, dir)
	pr.CloseWithError(errWriteStopped) // unblocks the copier after an error
	if err != nil {
		// "not a tar archive" says more than what unpacking made of it.
		select {
		case cerr := <-checked:
			if cerr != nil && !errors.Is(cerr, errWriteStopped) {
				err = cerr
			}
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err == nil {
		err = dec.finish(false)
	} else {
		dec.finish(true)
	}
	if err != nil {
		if t != nil {
			os.Remove(t.path)
		}
		s.dropLayerTemp(dir)
		return nil, "", err
	}
	l = &Layer{Digest: t.digest.String(), Size: t.size}
	if l.once, err = s.prepareOnce(t, dir); err == nil && l.once == nil {
		err = syncTemp(t)
		l.temp = t
	}
	if err != nil {
		os.Remove(t.path)
		s.dropLayerTemp(dir)
		return nil, "", err
	}
	return l, dir, nil
}

var errWriteStopped = errors.New("layer write stopped")

// copyCheckingTar copies src to dst unchanged while reading it as a tar
// archive, so that garbage input fails the import.
func copyCheckingTar(dst io.Writer, src io.Reader) error {
	tr := tar.NewReader(io.TeeReader(src, dst))
	for {
		_, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("input is not a tar archive: %w", err)
		}
	}
	// Whatever follows the end-of-archive marker (padding) is kept too.
	_, err := io.Copy(dst, src)
	return err
}

// decompressor is a decompressing reader; finish releases it and reports
// errors that only show at the end (a failing xz process).
type decompressor struct {
	io.Reader
	finish func(failed bool) error
}

var (
	gzipMagic  = []byte{0x1f, 0x8b}
	bzip2Magic = []byte("BZh")
	xzMagic    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	zstdMagic  = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// decompress detects the compression of r from its first bytes.
func decompress(r io.Reader) (*decompressor, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(6)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read input: %w", err)
	}
	noop := func(bool) error { return nil }
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip input: %w", err)
		}
		// After a failure the copier may still be reading: leave zr alone.
		return &decompressor{zr, func(failed bool) error {
			if failed {
				return nil
			}
			return zr.Close()
		}}, nil
	case bytes.HasPrefix(head, bzip2Magic):
		return &decompressor{bzip2.NewReader(br), noop}, nil
	case bytes.HasPrefix(head, xzMagic):
		return external("xz", br)
	case bytes.HasPrefix(head, zstdMagic):
		return external("zstd", br)
	}
	return &decompressor{br, noop}, nil
}

// external decompresses through `prog -dc`; the standard library has no
// xz or zstd reader and hull takes no dependency for them.
func external(prog string, r io.Reader) (*decompressor, error) {
	path, err := exec.LookPath(prog)
	if err != nil {
		return nil, fmt.Errorf("input is %s-compressed and the %s program is not installed; decompress it first", prog, prog)
	}
	cmd := exec.Command(path, "-dc")
	cmd.Stdin = r
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", prog, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", prog, err)
	}
	finish := func(failed bool) error {
		if failed {
			cmd.Process.Kill()
		}
		if err := cmd.Wait(); err != nil && !failed {
			return fmt.Errorf("%s -dc: %w: %s", prog, err, strings.TrimSpace(stderr.String()))
		}
		return nil
	}
	return &decompressor{out, finish}, nil
}
