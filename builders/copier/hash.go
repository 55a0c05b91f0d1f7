package copier

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"sort"

	"golang.org/x/sys/unix"
)

// Hash returns "sha256:<hex>" over what Copy would read for op from
// srcRoot: for every selected entry, in order of its source path, the path,
// mode (type and permission bits), size, symlink target and file content;
// then op.Files (name, mode, content). Ownership, times and the destination
// are not part of it: the engine keys those from the instruction itself.
// A missing source is the same error as in Copy.
func Hash(srcRoot string, op Op) (string, error) {
	return HashCached(srcRoot, op, nil)
}

// SumCache remembers file content digests by path and stat, so that an
// unchanged context is not read again: a file whose size, inode, mtime and
// ctime match gets its remembered digest.
type SumCache interface {
	Get(path string, st *unix.Stat_t) (sum string, ok bool)
	Put(path string, st *unix.Stat_t, sum string)
}

// HashCached is Hash with file content digests taken from c when their
// stat is unchanged (c may be nil).
func HashCached(srcRoot string, op Op, c SumCache) (string, error) {
	root, err := openRoot(srcRoot)
	if err != nil {
		return "", err
	}
	defer unix.Close(root)
	sel, err := newSelector(root, op)
	if err != nil {
		return "", err
	}
	entries, err := selectAll(sel, op)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	buf := make([]byte, copyBufSize)
	for i := range entries {
		if err := hashEntry(h, root, &entries[i], buf, c); err != nil {
			return "", fmt.Errorf("hash %s: %w", entries[i].src, err)
		}
	}
	for _, f := range op.Files {
		fmt.Fprintf(h, "file\x00%s\x00%o\x00%d\x00", f.Name, f.Mode, len(f.Content))
		h.Write(f.Content)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// selectAll walks every source as Copy would, sorted by source path.
func selectAll(sel *selector, op Op) ([]entry, error) {
	if len(op.Sources) == 0 {
		return nil, nil
	}
	tops, err := sel.tops(op)
	if err != nil {
		return nil, err
	}
	w := &walker{sel: sel}
	for _, t := range tops {
		if err := w.source(t, ".", t.st.Mode&unix.S_IFMT == unix.S_IFDIR); err != nil {
			return nil, fmt.Errorf("hash %s: %w", t.rel, err)
		}
	}
	sort.SliceStable(w.out, func(i, j int) bool { return w.out[i].src < w.out[j].src })
	return w.out, nil
}

func hashEntry(h hash.Hash, root int, e *entry, buf []byte, c SumCache) error {
	size := e.st.Size
	if e.kind() == unix.S_IFDIR {
		size = 0 // directory sizes depend on the filesystem
	}
	fmt.Fprintf(h, "%s\x00%o\x00%d\x00%s\x00", e.src, e.st.Mode, size, e.link)
	if e.kind() != unix.S_IFREG {
		return nil
	}
	if c != nil {
		if sum, ok := c.Get(e.src, &e.st); ok {
			io.WriteString(h, sum)
			return nil
		}
	}
	fd, err := openSource(root, e)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), e.src)
	defer f.Close()
	fh := sha256.New()
	if _, err := io.CopyBuffer(fh, f, buf); err != nil {
		return err
	}
	sum := hex.EncodeToString(fh.Sum(nil))
	if c != nil {
		c.Put(e.src, &e.st, sum)
	}
	io.WriteString(h, sum)
	return nil
}
