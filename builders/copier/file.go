package copier

import (
	"fmt"
	"path"
	"time"

	"golang.org/x/sys/unix"
)

const copyBufSize = 1 << 20

// regular copies a regular file: a fresh inode (hardlinks within one COPY
// become separate files), content, owner, mode and times; or, with
// Op.Reuse, plans a link to the old layer's inode when it is the same
// (reuse.go).
func (c *copier) regular(e *entry) error {
	return c.copyFile(e, true)
}

// copyRegular copies e, never reusing.
func (c *copier) copyRegular(e *entry) error {
	return c.copyFile(e, false)
}

func (c *copier) copyFile(e *entry, reuse bool) error {
	in, err := openSource(c.sel.root, e)
	if err != nil {
		return &pathError{"open", e.src, err}
	}
	defer unix.Close(in)
	var st unix.Stat_t
	if err := unix.Fstat(in, &st); err != nil {
		return &pathError{"stat", e.src, err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return &pathError{"open", e.src, fmt.Errorf("no longer a regular file")}
	}
	if reuse {
		if old, ok := c.reusable(e, &st); ok && c.planLink(e, old) {
			c.note(e, &st)
			return nil
		}
	}
	err = c.create(e.dst, perm(st.Mode, c.op.Mode), &st, func(out int) error {
		if up, ok := c.upperFile(out, e.dst); ok {
			defer unix.Close(up)
			return c.copyData(up, in)
		}
		return c.copyData(out, in)
	})
	if err == nil {
		c.note(e, &st)
	}
	return err
}

// openUpper opens the overlay upper dir of the destination (Op.Upper); a
// failure only leaves every file to be written through the overlay.
func (c *copier) openUpper(dir string) {
	fd, err := openRoot(dir)
	if err != nil {
		return
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		unix.Close(fd)
		return
	}
	c.upper, c.upperDev = fd, st.Dev
}

func (c *copier) closeUpper() {
	if c.upper >= 0 {
		unix.Close(c.upper)
		c.upper = -1
	}
}

// upperFile opens for writing, in the overlay upper dir, the file that
// was just created at rel through the overlay and is open at out: without
// following a symlink or crossing a mount, and only when it is that very
// inode (an overlay whose layers share one file system shows a new file's
// own inode number; the upper dir's device is checked), a regular file,
// empty, with one link. Anything else, including any doubt, is ok=false:
// the caller writes through out, as without an upper dir.
func (c *copier) upperFile(out int, rel string) (int, bool) {
	if c.upper < 0 {
		return -1, false
	}
	var ost unix.Stat_t
	if unix.Fstat(out, &ost) != nil {
		return -1, false
	}
	fd, err := unix.Openat2(c.upper, rel, &unix.OpenHow{
		Flags:   unix.O_WRONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
	})
	if err != nil {
		return -1, false
	}
	var ust unix.Stat_t
	if unix.Fstat(fd, &ust) != nil || ust.Dev != c.upperDev || ust.Ino != ost.Ino ||
		ust.Mode&unix.S_IFMT != unix.S_IFREG || ust.Size != 0 || ust.Nlink != 1 {
		unix.Close(fd)
		return -1, false
	}
	c.inPlace++
	return fd, true
}

// file creates one of op.Files.
func (c *copier) file(f File, destRel string, asDir bool) error {
	rel := destRel
	if asDir {
		rel = cleanRel(path.Join(destRel, cleanRel(f.Name)))
	}
	c.drop(rel)
	mode := f.Mode
	if mode == 0 {
		mode = 0o644
	}
	now := unix.NsecToTimespec(time.Now().UnixNano())
	st := unix.Stat_t{Atim: now, Mtim: now}
	err := c.create(rel, perm(mode, c.op.Mode), &st, func(out int) error {
		return writeAll(out, f.Content)
	})
	if err != nil {
		return fmt.Errorf("create %s: %w", f.Name, err)
	}
	return nil
}

// create makes the file rel (replacing a file or symlink there, never
// following it), fills it, and sets owner, mode and times.
func (c *copier) create(rel string, mode uint32, st *unix.Stat_t, fill func(fd int) error) error {
	pfd, base, err := c.dest.parent(rel)
	if err != nil {
		return err
	}
	if err := c.dest.clear(pfd, base, rel); err != nil {
		return err
	}
	out, err := openChild(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL)
	if err != nil {
		return &pathError{"create", "/" + rel, err}
	}
	if err := c.fillFile(out, mode, fill); err != nil {
		unix.Close(out)
		return &pathError{"write", "/" + rel, err}
	}
	if err := unix.Close(out); err != nil {
		return &pathError{"close", "/" + rel, err}
	}
	if err := setTimes(pfd, base, st); err != nil {
		return &pathError{"set times", "/" + rel, err}
	}
	return nil
}

func (c *copier) fillFile(out int, mode uint32, fill func(fd int) error) error {
	if err := fill(out); err != nil {
		return err
	}
	if err := unix.Fchown(out, c.dest.uid, c.dest.gid); err != nil {
		return err
	}
	return unix.Fchmod(out, mode) // after chown, which clears setuid
}

// copyData copies in to out in the kernel (copy_file_range: a reflink or
// in-kernel copy), falling back to a read/write loop with one reused buffer
// where the kernel refuses (e.g. across some filesystems).
func (c *copier) copyData(out, in int) error {
	for first := true; ; first = false {
		n, err := unix.CopyFileRange(in, nil, out, nil, 1<<30, 0)
		if err != nil {
			if first && fallbackErr(err) {
				return c.readWrite(out, in)
			}
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

func fallbackErr(err error) bool {
	for _, e := range []unix.Errno{unix.EXDEV, unix.EINVAL, unix.ENOSYS, unix.EOPNOTSUPP, unix.EPERM} {
		if isErrno(err, e) {
			return true
		}
	}
	return false
}

func (c *copier) readWrite(out, in int) error {
	if c.buf == nil {
		c.buf = make([]byte, copyBufSize)
	}
	for {
		n, err := unix.Read(in, c.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if err := writeAll(out, c.buf[:n]); err != nil {
			return err
		}
	}
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
