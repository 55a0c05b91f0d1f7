package layer

import (
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
// tree, checks each against the CRC-64 recorded with it, and the caller
// checks the whole stream against the layer's digest.

// Disassemble reads the uncompressed layer tar r to its end and writes its
// tar-split metadata, gzip-compressed, to w.
func Disassemble(r io.Reader, w io.Writer) error {
	zw := gzip.NewWriter(w)
	in, err := asm.NewInputTarStream(r, storage.NewJSONPacker(zw), storage.NewDiscardFilePutter())
	if err != nil {
		return fmt.Errorf("tar-split: %w", err)
	}
	if _, err := io.Copy(io.Discard, in); err != nil {
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
// is not a regular file of the recorded size, or whose content does not
// match its recorded CRC-64, is an error naming it.
func Assemble(meta io.Reader, dir string, w io.Writer) error {
	zr, err := gzip.NewReader(meta)
	if err != nil {
		return fmt.Errorf("assemble layer: tar-split: %w", err)
	}
	root, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("assemble layer: %w", &os.PathError{Op: "open", Path: dir, Err: err})
	}
	defer unix.Close(root)
	a := assembler{root: root, w: w, buf: make([]byte, copyBufSize), crc: crc64.New(storage.CRCTable)}
	up := storage.NewJSONUnpacker(zr)
	for {
		e, err := up.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("assemble layer: tar-split: %w", err)
		}
		if err := a.entry(e); err != nil {
			return fmt.Errorf("assemble layer: %w", err)
		}
	}
}

// assembler is the state of one Assemble call.
type assembler struct {
	root int
	w    io.Writer
	buf  []byte
	crc  interface {
		io.Writer
		Sum([]byte) []byte
		Reset()
	}
}

func (a *assembler) entry(e *storage.Entry) error {
	switch e.Type {
	case storage.SegmentType:
		_, err := a.w.Write(e.Payload)
		return err
	case storage.FileType:
		if e.Size == 0 {
			return nil
		}
		return a.file(e.GetName(), e.Size, e.Payload)
	}
	return fmt.Errorf("tar-split: unknown entry type %d", e.Type)
}

// file copies the content of name, exactly size bytes, checking its CRC.
func (a *assembler) file(name string, size int64, sum []byte) error {
	rel, err := cleanName(name)
	if err != nil {
		return err
	}
	fd, err := unix.Openat2(a.root, rel, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return &os.PathError{Op: "open", Path: "/" + rel, Err: err}
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: "/" + rel, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size != size {
		return fmt.Errorf("/%s: %w (the layer has a file of %d bytes here)", rel, errTreeDiffers, size)
	}
	a.crc.Reset()
	n, err := io.CopyBuffer(io.MultiWriter(a.w, a.crc), io.LimitReader(f, size), a.buf)
	if err != nil {
		return fmt.Errorf("/%s: %w", rel, err)
	}
	if n != size || !bytes.Equal(a.crc.Sum(nil), sum) {
		return fmt.Errorf("/%s: %w (its content changed)", rel, errTreeDiffers)
	}
	return nil
}

// errTreeDiffers: the unpacked tree no longer holds what the layer's tar
// held, so the tar cannot be written again from it.
var errTreeDiffers = errors.New("unpacked file differs from the layer")
