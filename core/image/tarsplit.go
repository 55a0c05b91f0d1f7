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
// The order keeps a layer whole at every step. A layer being pulled,
// loaded or imported (settle, prepareOnce) is written to an unsynced
// temporary blob and a temporary directory; its metadata is written, the
// tar is assembled from it and the directory and hashed, and only when
// that hash is the layer's digest is the temporary blob removed, before
// it was ever synced (its bytes need never reach the disk); one syncfs
// then makes the directory and the metadata durable, and they are renamed
// into place, the metadata first. A layer whose blob is in the store
// already (compact) keeps it until its metadata and directory are synced.
// A crash leaves temporaries (swept by the next Open) or the blob, never
// a layer without both. A directory that does not give the tar back (an
// entry the unpacker did not make as the tar has it, a path written
// twice, a sparse file) keeps its blob.

// Assembler is implemented by an Unpacker that can write a layer's tar
// again from its unpacked directory and tar-split metadata (the files may
// belong to subordinate ids, readable only inside the user namespace).
// Without it the store keeps every blob.
type Assembler interface {
	// Assemble writes the tar; what it writes is checked by the caller
	// against the layer's digest.
	Assemble(meta io.Reader, dir string, w io.Writer) error
	// FindChanged names the file of dir that differs from the tar's
	// (a second pass, once the digest has failed); nil when none does.
	FindChanged(meta io.Reader, dir string) error
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
	tmp, err := s.writeMetaTemp(a, blob, size)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, s.metaPath(d)); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(s.metaDir())
}

// writeMetaTemp writes the metadata of the tar at blob, of size bytes, to
// a synced temporary file in the metadata directory and returns its path.
func (s *Store) writeMetaTemp(a Assembler, blob string, size int64) (string, error) {
	in, err := os.Open(blob)
	if err != nil {
		return "", err
	}
	defer in.Close()
	tmp := filepath.Join(s.metaDir(), tmpName())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
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
	if st, serr := os.Stat(tmp); err == nil && (serr != nil || st.Size() > size/2) {
		// The headers are most of this tar (tiny files, or data after
		// the end of the archive): the blob costs little more.
		err = errors.New("tar-split metadata is not smaller than the layer")
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// settle stores layer t.digest, just written to the unsynced temporary
// blob t and unpacked into the temporary directory tmp, and renames tmp
// to layers/<hex> (PutLayer: the layer is there at once). When tmp gives
// t back byte for byte, the layer is kept once (prepareOnce), its
// metadata renamed into place before its directory (a layer is there
// only with both). Otherwise t is synced and published as the layer's
// blob. A crash leaves temporaries, which the next Open sweeps, or a
// whole layer. The caller holds the layer's lock and removes tmp if it
// is left.
func (s *Store) settle(t *tempBlob, tmp string) error {
	final := filepath.Join(s.layerRoot(), t.digest.Encoded())
	if !exists(final) {
		p, err := s.prepareOnce(t, tmp)
		if err != nil {
			return err
		}
		if p != nil {
			return s.publishOnce(p)
		}
	}
	if err := s.publishSynced(t); err != nil {
		return err
	}
	if !exists(final) {
		if err := os.Rename(tmp, final); err != nil && !exists(final) {
			return err
		}
	}
	return syncDir(s.layerRoot())
}

// publishSynced syncs the unsynced temporary blob t and publishes it.
func (s *Store) publishSynced(t *tempBlob) error {
	if err := syncTemp(t); err != nil {
		os.Remove(t.path)
		return err
	}
	if err := s.publish(t); err != nil {
		os.Remove(t.path)
		return err
	}
	return syncDir(s.blobDir())
}

// onceLayer is a layer kept once that is durable under temporary names:
// its tar-split metadata and its unpacked directory.
type onceLayer struct {
	d         digest.Digest
	meta, dir string
}

// prepareOnce writes the tar-split metadata of the unsynced temporary
// blob t and checks that the directory tmp gives t back byte for byte.
// If so, t is removed before it was ever synced (its bytes need never
// reach the disk) and one syncfs makes the directory and the metadata
// durable. It returns nil, with nothing changed, when the layer cannot
// be kept once (the blob must be kept); an error means that t is gone
// and the layer could not be stored.
func (s *Store) prepareOnce(t *tempBlob, tmp string) (*onceLayer, error) {
	a, ok := s.u.(Assembler)
	if !ok {
		return nil, nil
	}
	meta, err := s.writeMetaTemp(a, t.path, t.size)
	if err != nil {
		return nil, nil
	}
	if err := readAllOf(s.assembleAt(a, t.digest, meta, tmp)); err != nil {
		os.Remove(meta)
		return nil, nil
	}
	// From here on, the directory and the metadata are the only copy.
	os.Remove(t.path)
	if err := syncFS(s.layerRoot()); err != nil {
		os.Remove(meta)
		return nil, fmt.Errorf("sync layer: %w", err)
	}
	return &onceLayer{d: t.digest, meta: meta, dir: tmp}, nil
}

// publishOnce renames a layer kept once into place: its metadata, then
// its directory, unless the layer is there already (the same content,
// put by another process). A directory there without the blob or the
// metadata (left by an older hull) is not known to give the tar back:
// the checked one replaces it. p.dir is left to the caller.
func (s *Store) publishOnce(p *onceLayer) error {
	final := filepath.Join(s.layerRoot(), p.d.Encoded())
	if exists(final) && s.hasLayer(p.d) {
		os.Remove(p.meta)
		return nil
	}
	if exists(final) {
		aside := filepath.Join(s.layerRoot(), tmpName())
		if err := os.Rename(final, aside); err != nil {
			os.Remove(p.meta)
			return fmt.Errorf("layer %s: %w", p.d, err)
		}
		defer s.u.RemoveAll(aside)
	}
	if err := os.Rename(p.meta, s.metaPath(p.d)); err != nil {
		os.Remove(p.meta)
		return fmt.Errorf("layer %s: %w", p.d, err)
	}
	if err := syncDir(s.metaDir()); err != nil {
		return err
	}
	if err := os.Rename(p.dir, final); err != nil {
		return fmt.Errorf("layer %s: %w", p.d, err)
	}
	return syncDir(s.layerRoot())
}

// readAllOf reads r to its end (the digest check) and closes it.
func readAllOf(r io.ReadCloser, err error) error {
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return err
}

// assembleCheck writes the tar again from the directory and the metadata
// and checks it against d.
func (s *Store) assembleCheck(a Assembler, d digest.Digest) error {
	return readAllOf(s.assemble(a, d))
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
// reader fails, naming the layer, as soon as a file is missing or of
// another size, and at the end with ErrCorrupt when the whole does not
// hash to d, naming the file that changed (a second pass over the files'
// CRC-64): a consumer never sees a clean EOF after bytes that are not the
// layer's. The tar comes straight from the helper's pipe (the large files
// spliced into it), with no copy in between.
func (s *Store) assemble(a Assembler, d digest.Digest) (io.ReadCloser, error) {
	return s.assembleAt(a, d, s.metaPath(d), filepath.Join(s.layerRoot(), d.Encoded()))
}

// assembleAt is assemble from the metadata file meta and the directory dir.
func (s *Store) assembleAt(a Assembler, d digest.Digest, meta, dir string) (io.ReadCloser, error) {
	f, err := openMeta(d, meta)
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("layer %s: %w", d, err)
	}
	// A bigger pipe means fewer wake-ups on both sides; the default
	// limit for a user is 1 MiB, and a smaller pipe only costs time.
	_, _ = unix.FcntlInt(pw.Fd(), unix.F_SETPIPE_SZ, 1<<20)
	r := &assembled{pr: pr, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		err := a.Assemble(f, dir, pw)
		f.Close()
		pw.Close()
		if err != nil {
			r.err = fmt.Errorf("layer %s: %w", d, err)
		}
	}()
	r.verifier = verifier{f: assemblyPipe{r}, h: sha256.New(), want: d, what: "layer"}
	r.findChanged = func() error { return findChanged(a, d, meta, dir) }
	return r, nil
}

// openMeta opens layer d's metadata file path at its tar-split stream.
func openMeta(d digest.Digest, path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", d, err)
	}
	if _, _, err := readMetaHeader(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("layer %s: %w", d, err)
	}
	return f, nil
}

// findChanged names the file of dir that differs from layer d's tar, or
// returns nil.
func findChanged(a Assembler, d digest.Digest, meta, dir string) error {
	f, err := openMeta(d, meta)
	if err != nil {
		return err
	}
	defer f.Close()
	return a.FindChanged(f, dir)
}

// assembled is the reader of assemble; Close stops the assembly. Its
// verifier reads the pipe through pipeRead.
type assembled struct {
	verifier
	pr          *os.File
	done        chan struct{}
	err         error // the assembly's, set before done is closed
	findChanged func() error
}

// assemblyPipe is what assembled's verifier reads: the tar from the
// helper's pipe and, at its end, the assembly's error, if any, instead
// of io.EOF.
type assemblyPipe struct{ r *assembled }

func (p assemblyPipe) Close() error { return nil }

func (p assemblyPipe) Read(b []byte) (int, error) {
	r := p.r
	n, err := r.pr.Read(b)
	if err == io.EOF {
		<-r.done
		if r.err != nil {
			return n, r.err
		}
	}
	return n, err
}

func (r *assembled) Read(p []byte) (int, error) {
	n, err := r.verifier.Read(p)
	if errors.Is(err, ErrCorrupt) {
		if ferr := r.findChanged(); ferr != nil {
			err = fmt.Errorf("%w: %v", err, strings.TrimPrefix(ferr.Error(), "assemble layer: "))
		}
	}
	return n, err
}

func (r *assembled) Close() error {
	r.pr.Close()
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
