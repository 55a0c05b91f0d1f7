package layer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"os"

	"github.com/vbatts/tar-split/tar/asm"
	"github.com/vbatts/tar-split/tar/storage"
	"golang.org/x/sys/unix"
)

// A layer's tar is its unpacked tree plus what the tree cannot hold: the
// exact header bytes, padding and entry order. Disassemble keeps those
// (tar-split metadata, as containers/storage does) so that Assemble can
// write the very same tar again from the tree, and the store can drop the
// tar itself. Assemble takes only the contents of regular files from the
// tree, each of the recorded size, and the caller checks the whole stream
// against the layer's digest, which proves every byte. The CRC-64 that
// the metadata records for each file adds nothing to that proof; it
// serves to name the file that changed once the digest has failed
// (FindChanged, a second pass), so the common read computes none.

// Disassemble reads the uncompressed layer tar r to its end and writes its
// tar-split metadata, gzip-compressed, to w.
func Disassemble(r io.Reader, w io.Writer) error {
	return DisassembleTo(r, io.Discard, w)
}

// DisassembleTo is Disassemble that also passes every byte of the tar on
// to out as it reads it: a layer's digest and its metadata in one pass.
func DisassembleTo(r io.Reader, out, w io.Writer) error {
	zw := gzip.NewWriter(w)
	in, err := asm.NewInputTarStream(r, storage.NewJSONPacker(zw), storage.NewDiscardFilePutter())
	if err != nil {
		return fmt.Errorf("tar-split: %w", err)
	}
	if _, err := io.CopyBuffer(out, in, make([]byte, copyBufSize)); err != nil {
		return fmt.Errorf("tar-split: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("tar-split: %w", err)
	}
	return nil
}

// Assemble writes to w the tar that the metadata meta (from Disassemble)
// describes, reading file contents from the unpacked tree dir. Names come
// from an untrusted tar: each is resolved inside dir (openat2
// RESOLVE_IN_ROOT) and its last component is never followed. A file that
// is not a regular file of the recorded size is an error naming it; a
// file of the right size whose content changed gives a different tar,
// which only the caller's digest check sees (FindChanged names it). When
// w is a pipe in blocking mode (the helper's stdout), the contents of
// large files are spliced into it, never copied through this process.
func Assemble(meta io.Reader, dir string, w io.Writer) error {
	a := assembler{w: w}
	if f, ok := w.(*os.File); ok {
		a.pipe = blockingPipe(f)
	}
	return a.run(meta, dir)
}

// FindChanged reads the files that meta describes from dir and returns an
// error naming the first one that is not what the layer's tar held: not
// a regular file of the recorded size, or content whose CRC-64 differs
// from the recorded one. It returns nil when every file matches.
func FindChanged(meta io.Reader, dir string) error {
	a := assembler{w: io.Discard, crc: crc64.New(storage.CRCTable)}
	return a.run(meta, dir)
}

// CheckTree checks that dir holds every file with content that meta (from
// Disassemble) records where Assemble will look for it: at its name inside
// dir, reached without a symlink, a regular file of the recorded size. It
// reads no content and writes nothing. It is what remains to be checked
// of a tree whose tar's metadata was taken from a diff of that very tree
// (DisassembleTo), whose digest was taken from the same stream: the
// contents are the bytes the diff read from these files, so only the way
// names lead back to files could differ.
func CheckTree(meta io.Reader, dir string) error {
	a := assembler{w: io.Discard, dry: true}
	return a.run(meta, dir)
}

// assembler is the state of one Assemble, FindChanged or CheckTree (dry)
// call.
type assembler struct {
	root int
	dry  bool // only find each file: nothing is read or written
	w    io.Writer
	bw   *bufio.Writer
	pipe int // a blocking pipe w writes to, for splice; 0 for none
	buf  []byte
	crc  interface { // nil: contents are not checked
		io.Writer
		Sum([]byte) []byte
		Reset()
	}
}

// spliceMin is the smallest file whose content is spliced rather than
// copied: below it, the flush of the buffered headers costs more.
const spliceMin = 64 << 10

func (a *assembler) run(meta io.Reader, dir string) error {
	zr, err := gzip.NewReader(bufio.NewReaderSize(meta, 64<<10))
	if err != nil {
		return fmt.Errorf("assemble layer: tar-split: %w", err)
	}
	root, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("assemble layer: %w", &os.PathError{Op: "open", Path: dir, Err: err})
	}
	defer unix.Close(root)
	a.root, a.buf = root, make([]byte, copyBufSize)
	// A pipe takes at most its size a write: buffer headers and small
	// files up to a megabyte.
	a.bw = bufio.NewWriterSize(a.w, copyBufSize)
	up := newEntryReader(zr)
	for {
		e, err := up.Next()
		if err == io.EOF {
			return a.bw.Flush()
		}
		if err != nil {
			return fmt.Errorf("assemble layer: tar-split: %w", err)
		}
		if err := a.entry(e); err != nil {
			return fmt.Errorf("assemble layer: %w", err)
		}
	}
}

func (a *assembler) entry(e *storage.Entry) error {
	switch e.Type {
	case storage.SegmentType:
		if a.dry {
			return nil
		}
		_, err := a.bw.Write(e.Payload)
		return err
	case storage.FileType:
		if e.Size == 0 {
			return nil
		}
		return a.file(e.GetName(), e.Size, e.Payload)
	}
	return fmt.Errorf("tar-split: unknown entry type %d", e.Type)
}

// file writes the content of name, exactly size bytes, checking its CRC
// when a.crc is set.
func (a *assembler) file(name string, size int64, sum []byte) error {
	rel, err := cleanName(name)
	if err != nil {
		return err
	}
	how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	if a.dry {
		// A diff reaches every file without a symlink: so must this.
		how.Flags = unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC
		how.Resolve |= unix.RESOLVE_NO_SYMLINKS
	}
	fd, err := unix.Openat2(a.root, rel, &how)
	if err != nil {
		return &os.PathError{Op: "open", Path: "/" + rel, Err: err}
	}
	defer unix.Close(fd) // read only: no error worth reporting
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: "/" + rel, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size != size {
		return fmt.Errorf("/%s: %w (the layer has a file of %d bytes here)", rel, errTreeDiffers, size)
	}
	if a.dry {
		return nil
	}
	n, err := a.content(fdReader(fd), size)
	if err != nil {
		return fmt.Errorf("/%s: %w", rel, err)
	}
	if n != size {
		return fmt.Errorf("/%s: %w (it is shorter than its size)", rel, errTreeDiffers)
	}
	if a.crc != nil && !bytes.Equal(a.crc.Sum(nil), sum) {
		return fmt.Errorf("/%s: %w (its content changed)", rel, errTreeDiffers)
	}
	return nil
}

// fdReader reads a descriptor the assembler opened (an os.File would cost
// an fcntl a file, and there are thousands).
type fdReader int

func (fd fdReader) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(int(fd), p)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, &os.SyscallError{Syscall: "read", Err: err}
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// content writes (or, checking, hashes) size bytes of f.
func (a *assembler) content(f fdReader, size int64) (int64, error) {
	if a.crc != nil {
		a.crc.Reset()
		return io.CopyBuffer(a.crc, io.LimitReader(f, size), a.buf)
	}
	if a.pipe > 0 && size >= spliceMin {
		if err := a.bw.Flush(); err != nil {
			return 0, err
		}
		n, err := a.splice(int(f), size)
		if n > 0 || !errors.Is(err, unix.EINVAL) {
			return n, err
		}
		a.pipe = 0 // this file system cannot splice: copy from now on
	}
	return io.CopyBuffer(a.bw, io.LimitReader(f, size), a.buf)
}

// splice moves size bytes of the file fd into the pipe; it stops early
// only at the file's end.
func (a *assembler) splice(fd int, size int64) (int64, error) {
	var off int64
	for off < size {
		n, err := unix.Splice(fd, &off, a.pipe, nil, int(min(size-off, 1<<30)), unix.SPLICE_F_MORE)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return off, &os.SyscallError{Syscall: "splice", Err: err}
		}
		if n == 0 {
			break
		}
	}
	return off, nil
}

// blockingPipe returns f's descriptor when f is a pipe whose writes block
// (the helper's stdout), where splice needs no poller, and 0 otherwise.
// It leaves f's mode as it is (File.Fd would make it blocking).
func blockingPipe(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	pipe := 0
	rc.Control(func(fd uintptr) {
		var st unix.Stat_t
		if unix.Fstat(int(fd), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
			return
		}
		if fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0); err == nil && fl&unix.O_NONBLOCK == 0 {
			pipe = int(fd)
		}
	})
	return pipe
}

// errTreeDiffers: the unpacked tree no longer holds what the layer's tar
// held, so the tar cannot be written again from it.
var errTreeDiffers = errors.New("unpacked file differs from the layer")
