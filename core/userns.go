package core

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/layer"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/role"
)

// nsUnpacker extracts and removes layer trees. With a subordinate id range
// it works inside a user namespace so that files keep their owners (and can
// be removed again); with a single mapping it works in-process.
type nsUnpacker struct{ mapping isolation.Mapping }

// NewUnpacker returns the image store's Unpacker for mapping m.
func NewUnpacker(m isolation.Mapping) image.Unpacker { return nsUnpacker{m} }

var _ image.Unpacker = nsUnpacker{}

func (u nsUnpacker) Unpack(r io.Reader, dir string) error {
	if !u.mapping.IsFull() {
		return layer.Unpack(r, dir, layer.Options{})
	}
	return isolation.RunHelper(u.mapping, r, "unpack", dir)
}

// Assemble writes a layer's tar again from its directory and tar-split
// metadata inside a user namespace with the store's mapping, where every
// file of the layer is readable (a file of mode 0600 owned by a container
// user is not, to the host user), whatever the mapping.
func (u nsUnpacker) Assemble(meta io.Reader, dir string, w io.Writer) error {
	return isolation.RunHelperOutput(u.mapping, meta, w, "assemble", dir)
}

// FindChanged names the file of a layer's directory that differs from its
// tar's, inside the user namespace as Assemble reads it.
func (u nsUnpacker) FindChanged(meta io.Reader, dir string) error {
	return isolation.RunHelper(u.mapping, meta, "find-changed", dir)
}

// Disassemble reads the blob, a file of the user's, in-process.
func (u nsUnpacker) Disassemble(tar io.Reader, meta io.Writer) error {
	return layer.Disassemble(tar, meta)
}

var _ image.Assembler = nsUnpacker{}

// RemoveAll first tries in-process (the common case: everything is the
// user's) and falls back to the user namespace for subordinate-id files.
func (u nsUnpacker) RemoveAll(dir string) error {
	err := removeTree(dir)
	if err == nil || !u.mapping.IsFull() {
		return err
	}
	return isolation.RunHelper(u.mapping, nil, "rm", dir)
}

// removeTree is os.RemoveAll that also copes with read-only directories.
func removeTree(dir string) error {
	if err := os.RemoveAll(dir); err == nil || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	// A directory without write or search permission stops RemoveAll:
	// open up every directory first. The tree may be a live volume that
	// a container changes under us, so the walk goes by descriptors and
	// never follows a link: a directory swapped for a symlink between
	// the listing and the open is skipped, never chmod-ed through.
	openUpTree(unix.AT_FDCWD, dir, 0)
	return os.RemoveAll(dir)
}

// openUpTree makes the directory name (under the directory fd parent) and
// every directory below it 0700. Each is opened with O_PATH|O_NOFOLLOW
// and changed through its /proc/self/fd link, which names that very
// inode: a directory swapped for a symlink is never opened, and a swap
// after the open changes nothing but the directory that was opened.
func openUpTree(parent int, name string, depth int) {
	pfd, err := unix.Openat(parent, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(pfd)
	self := "/proc/self/fd/" + strconv.Itoa(pfd)
	_ = unix.Chmod(self, 0o700)
	if depth > 4096 {
		return
	}
	dfd, err := unix.Open(self, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	d := os.NewFile(uintptr(dfd), name)
	defer d.Close()
	for {
		ents, err := d.ReadDir(256)
		for _, e := range ents {
			if e.IsDir() {
				openUpTree(dfd, e.Name(), depth+1)
			}
		}
		if err != nil || len(ents) == 0 {
			return
		}
	}
}

// HelperMain is the user-namespace side of nsUnpacker (role.Userns; args
// are argv[2:]). Its error is one line on the helper's stderr, which
// isolation.RunHelper makes the error of the call.
func HelperMain(args []string) error {
	if _, err := isolation.AwaitMapping(); err != nil {
		return err
	}
	if len(args) > 0 && args[0] == "stage2" {
		args = args[1:]
	}
	if len(args) > 0 && args[0] == unshareOp {
		return unshareExec(args[1:])
	}
	if len(args) != 2 {
		return fmt.Errorf("usage: %s unpack|rm|check|assemble|find-changed DIR", role.Userns)
	}
	var err error
	switch args[0] {
	case "unpack":
		err = layer.Unpack(os.Stdin, args[1], layer.Options{Chown: true})
	case "rm":
		err = removeTree(args[1])
	case "check":
		err = checkLayerMain(os.Stdin, args[1], os.Stdout)
	case "assemble":
		// Buffered inside, the large files spliced into the pipe.
		err = layer.Assemble(os.Stdin, args[1], os.Stdout)
	case "find-changed":
		err = layer.FindChanged(os.Stdin, args[1])
	default:
		err = fmt.Errorf("unknown helper operation %q", args[0])
	}
	return err
}
