package copier

import (
	"fmt"
	"path"
	"time"

	"golang.org/x/sys/unix"
)

const copyBufSize = 1 << 20

// regular copies a regular file: a fresh inode (hardlinks within one COPY
// become separate files), content, owner, mode and times.
func (c *copier) regular(e *entry) error {
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
	return c.create(e.dst, perm(st.Mode, c.op.Mode), &st, func(out int) error {
		return c.copyData(out, in)
	})
}

// file creates one of op.Files.
func (c *copier) file(f File, destRel string, asDir bool) error {
	rel := destRel
	if asDir {
		rel = cleanRel(path.Join(destRel, cleanRel(f.Name)))
	}
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
