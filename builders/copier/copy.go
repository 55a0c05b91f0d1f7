package copier

import (
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Copy performs op: sources are read from srcRoot and written under
// dstRoot, both host paths of directory trees. Every path is resolved
// inside its root (see the package documentation).
func Copy(srcRoot, dstRoot string, op Op) error {
	_, err := CopyReport(srcRoot, dstRoot, op)
	return err
}

// CopyReport is Copy, and reports what a later Op.Reuse may build on.
func CopyReport(srcRoot, dstRoot string, op Op) (Report, error) {
	if len(op.Sources) == 0 && srcRoot == "" {
		// Only op.Files (heredocs, downloads): nothing is read from a
		// source tree.
		srcRoot = dstRoot
	}
	src, err := openRoot(srcRoot)
	if err != nil {
		return Report{}, err
	}
	defer unix.Close(src)
	dst, err := openRoot(dstRoot)
	if err != nil {
		return Report{}, err
	}
	defer unix.Close(dst)
	c, err := newCopier(src, dst, op)
	if err != nil {
		return Report{}, err
	}
	defer c.dest.close()
	if op.Upper != "" {
		c.openUpper(op.Upper)
		defer c.closeUpper()
		c.openReuse()
		defer c.closeReuse()
	}
	if err := c.run(); err != nil {
		return Report{}, err
	}
	return c.report, nil
}

// copier holds the state of one Copy.
type copier struct {
	op   Op
	sel  *selector
	dest *dest
	buf  []byte // fallback copy buffer, reused for every file
	// upper is the destination's overlay upper dir (Op.Upper), -1 when
	// there is none or it could not be opened; upperDev its device.
	upper    int
	upperDev uint64
	inPlace  int // files filled through upper
	// reuseRoot is Op.Reuse's layer dir, -1 when there is none or it
	// could not be opened; pending are the files to link from it, by
	// destination (reuse.go).
	reuseRoot int
	pending   map[string]*pendingLink
	report    Report
}

func newCopier(src, dst int, op Op) (*copier, error) {
	sel, err := newSelector(src, op)
	if err != nil {
		return nil, err
	}
	uid, gid := 0, 0
	if op.UID != nil {
		uid = *op.UID
	}
	if op.GID != nil {
		gid = *op.GID
	}
	return &copier{op: op, sel: sel, dest: newDest(dst, uid, gid), upper: -1, reuseRoot: -1}, nil
}

func (c *copier) run() error {
	var tops []top
	if len(c.op.Sources) > 0 {
		var err error
		if tops, err = c.sel.tops(c.op); err != nil {
			return err
		}
	}
	destRel := cleanRel(c.op.Dest)
	asDir := c.destIsDir(destRel, tops)
	for _, t := range tops {
		if err := c.source(t, destRel, asDir); err != nil {
			return err
		}
	}
	for _, f := range c.op.Files {
		if err := c.file(f, destRel, asDir); err != nil {
			return err
		}
	}
	// Before the directories' times are set: linking changes them.
	if err := c.linkPending(); err != nil {
		return err
	}
	if err := c.dest.finish(c.op.Mode); err != nil {
		return fmt.Errorf("copy to %s: %w", c.op.Dest, err)
	}
	return nil
}

// destIsDir applies Docker's rule: Dest is a directory when it ends with
// "/", when several things are copied, with --parents, when the only source
// is a directory or an archive to extract, or when it already is one.
func (c *copier) destIsDir(destRel string, tops []top) bool {
	d := c.op.Dest
	if strings.HasSuffix(d, "/") || strings.HasSuffix(d, "/.") || d == "." || c.op.Parents {
		return true
	}
	if len(tops)+len(c.op.Files) != 1 {
		return true
	}
	if len(tops) == 1 && tops[0].st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return true
	}
	if len(tops) == 1 && c.op.ExtractArchives && c.isArchive(tops[0]) {
		return true
	}
	return c.dest.isDir(destRel)
}

// source copies one top-level source.
func (c *copier) source(t top, destRel string, asDir bool) error {
	isDir := t.st.Mode&unix.S_IFMT == unix.S_IFDIR
	if c.op.ExtractArchives && !isDir && c.isArchive(t) {
		return c.extract(t, destRel)
	}
	dst := destRel
	switch {
	case c.op.Parents:
		dst = path.Join(destRel, t.kept)
	case isDir:
		if _, err := c.dest.ensureDir(destRel); err != nil {
			return fmt.Errorf("copy %s to %s: %w", t.rel, c.op.Dest, err)
		}
	case asDir:
		dst = path.Join(destRel, path.Base(t.rel))
	}
	w := &walker{sel: c.sel}
	if err := w.source(t, dst, c.op.Parents && isDir); err != nil {
		return fmt.Errorf("copy %s: %w", t.rel, err)
	}
	for i := range w.out {
		if err := c.put(&w.out[i]); err != nil {
			return fmt.Errorf("copy %s: %w", w.out[i].src, err)
		}
	}
	return nil
}

// put creates one entry at its destination.
func (c *copier) put(e *entry) error {
	c.drop(e.dst)
	switch e.kind() {
	case unix.S_IFDIR:
		return c.dest.dir(e.dst, &e.st)
	case unix.S_IFLNK:
		return c.symlink(e)
	}
	return c.regular(e)
}

func (c *copier) symlink(e *entry) error {
	pfd, base, err := c.dest.parent(e.dst)
	if err != nil {
		return err
	}
	if err := c.dest.clear(pfd, base, e.dst); err != nil {
		return err
	}
	if err := unix.Symlinkat(e.link, pfd, base); err != nil {
		return &pathError{"symlink", "/" + e.dst, err}
	}
	if err := unix.Fchownat(pfd, base, c.dest.uid, c.dest.gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &pathError{"chown", "/" + e.dst, err}
	}
	return setTimes(pfd, base, &e.st)
}
