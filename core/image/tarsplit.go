package image

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// A layer is kept once. Its blob (the uncompressed tar) and its unpacked
// directory hold the same files, so once the directory is known to give
// the tar back byte for byte, the blob is replaced by the tar's tar-split
// metadata (headers, padding, order; a few per cent of the layer) in
// tarsplit/<hex>, and the tar is written again from the directory whenever
// something opens the blob (save, push, check), checked against the digest
// as it streams.
//
// The order keeps a layer whole at every step: the metadata is written and
// synced under a temporary name and renamed into place, the tar is
// assembled from it and the directory and hashed, and only when that hash
// is the layer's digest is the blob removed. A crash leaves the blob (and
// maybe an unused metadata file), never a layer without both. A directory
// that does not give the tar back (an entry the unpacker did not make as
// the tar has it, a path written twice, a sparse file) keeps its blob.

// Assembler is implemented by an Unpacker that can write a layer's tar
// again from its unpacked directory and tar-split metadata (the files may
// belong to subordinate ids, readable only inside the user namespace).
// Without it the store keeps every blob.
type Assembler interface {
	Assemble(meta io.Reader, dir string, w io.Writer) error
	// Disassemble reads a layer tar and writes its tar-split metadata.
	Disassemble(tar io.Reader, meta io.Writer) error
}

// metaMagic starts a metadata file; the tar's size follows on that line,
// then the gzip-compressed tar-split stream.
const metaMagic = "hull-tar-split-1 "

func (s *Store) metaDir() string { return filepath.Join(s.root, "tarsplit") }

func (s *Store) metaPath(d digest.Digest) string {
	return filepath.Join(s.metaDir(), d.Encoded())
}

// compact replaces layer d's blob by tar-split metadata when its unpacked
// directory gives the blob back exactly. Any failure keeps the blob: it
// costs disk, never correctness, so it is not an error of the caller.
func (s *Store) compact(d digest.Digest) {
	a, ok := s.u.(Assembler)
	if !ok {
		return
	}
	final := filepath.Join(s.layerRoot(), d.Encoded())
	unlock, err := lockFile(final + ".lock")
	if err != nil {
		return
	}
	defer unlock()
	blob, err := s.blobPath(d)
	if err != nil || !exists(final) {
		return
	}
	st, err := os.Stat(blob)
	if err != nil {
		return
	}
	if err := s.writeTarSplit(a, d, blob, st.Size()); err != nil {
		os.Remove(s.metaPath(d))
		return
	}
	if err := s.assembleCheck(a, d); err != nil {
		os.Remove(s.metaPath(d))
		return
	}
	// Unpacking does not sync what it writes; once the blob is gone the
	// directory is the only copy, so it must be on disk first (a crash
	// could otherwise leave the blob's removal without the files).
	if err := syncFS(s.layerRoot()); err != nil {
		return
	}
	if os.Remove(blob) == nil {
		syncDir(s.blobDir())
	}
}

// writeTarSplit writes the metadata of the tar at blob, unless a complete one
// is there (left by a crash before the blob was removed).
func (s *Store) writeTarSplit(a Assembler, d digest.Digest, blob string, size int64) error {
	if n, err := s.metaSize(d); err == nil && n == size {
		return nil
	}
	in, err := os.Open(blob)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := filepath.Join(s.metaDir(), tmpName())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "%s%d\n", metaMagic, size)
	err = a.Disassemble(bufio.NewReaderSize(in, 1<<20), bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if st, err := os.Stat(tmp); err != nil || st.Size() > size/2 {
		// The headers are most of this tar (tiny files, or data after
		// the end of the archive): the blob costs little more.
		return errors.New("tar-split metadata is not smaller than the layer")
	}
	if err := os.Rename(tmp, s.metaPath(d)); err != nil {
		return err
	}
	return syncDir(s.metaDir())
}

// assembleCheck writes the tar again from the directory and the metadata
// and checks it against d.
func (s *Store) assembleCheck(a Assembler, d digest.Digest) error {
	r, err := s.assemble(a, d)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return err
}

// metaSize reads the tar's size from layer d's metadata file.
func (s *Store) metaSize(d digest.Digest) (int64, error) {
	f, err := os.Open(s.metaPath(d))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	_, size, err := readMetaHeader(f)
	return size, err
}

// readMetaHeader reads the first line of a metadata file and returns its
// length and the tar's size; f is left at the tar-split stream.
func readMetaHeader(f *os.File) (int64, int64, error) {
	var b [64]byte
	n, _ := io.ReadFull(f, b[:])
	line, _, ok := strings.Cut(string(b[:n]), "\n")
	rest, magic := strings.CutPrefix(line, metaMagic)
	size, err := strconv.ParseInt(rest, 10, 64)
	if !ok || !magic || err != nil || size < 0 {
		return 0, 0, fmt.Errorf("tar-split metadata %s: bad header", f.Name())
	}
	off := int64(len(line) + 1)
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, 0, err
	}
	return off, size, nil
}

// hasMeta reports whether layer d can be assembled: metadata and
// unpacked directory are both there.
func (s *Store) hasMeta(d digest.Digest) bool {
	return exists(s.metaPath(d)) && exists(filepath.Join(s.layerRoot(), d.Encoded()))
}

// assemble streams layer d's tar, written again from its directory. The
// reader fails, naming the layer, as soon as a file differs from the one
// recorded, and at the end with ErrCorrupt when the whole does not hash
// to d: a consumer never sees a clean EOF after bytes that are not the
// layer's.
func (s *Store) assemble(a Assembler, d digest.Digest) (io.ReadCloser, error) {
	f, err := os.Open(s.metaPath(d))
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", d, err)
	}
	if _, _, err := readMetaHeader(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("layer %s: %w", d, err)
	}
	dir := filepath.Join(s.layerRoot(), d.Encoded())
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := a.Assemble(f, dir, pw)
		f.Close()
		if err != nil {
			err = fmt.Errorf("layer %s: %w", d, err)
		}
		pw.CloseWithError(err)
	}()
	return &assembled{verifier: verifier{f: pr, h: sha256.New(), want: d, what: "layer"}, pr: pr, done: done}, nil
}

// assembled is the reader of assemble; Close stops the assembly.
type assembled struct {
	verifier
	pr   *io.PipeReader
	done chan struct{}
}

func (r *assembled) Close() error {
	r.pr.CloseWithError(errors.New("layer reader closed"))
	<-r.done
	return nil
}

// LayerUsage is what layer diffID takes on disk: the bytes of its blob
// and tar-split metadata files, and its unpacked directory ("" when it is
// not unpacked), whose files the caller adds up (they may belong to
// subordinate ids).
func (s *Store) LayerUsage(diffID string) (files int64, dir string) {
	d := digest.Digest(diffID)
	p, err := s.blobPath(d)
	if err != nil {
		return 0, ""
	}
	for _, f := range []string{p, s.metaPath(d)} {
		if st, err := os.Stat(f); err == nil {
			files += st.Size()
		}
	}
	if dir = filepath.Join(s.layerRoot(), d.Encoded()); !exists(dir) {
		dir = ""
	}
	return files, dir
}

// restoreBlob writes layer d's blob again from its directory and
// metadata, checked against d before it is published.
func (s *Store) restoreBlob(d digest.Digest) error {
	r, err := s.openBlob(d)
	if err != nil {
		return err
	}
	defer r.Close()
	t, err := s.writeTemp(r)
	if err != nil {
		return err
	}
	if t.digest != d { // the verifier already failed; this is belt and braces
		os.Remove(t.path)
		return fmt.Errorf("layer %s: %w", d, ErrCorrupt)
	}
	if err := s.publish(t); err != nil {
		os.Remove(t.path)
		return err
	}
	return syncDir(s.blobDir())
}

// syncFS flushes the filesystem that holds dir (a directory of ours).
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
