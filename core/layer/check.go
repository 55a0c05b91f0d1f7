package layer

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Checking an unpacked layer (hull system check) replays its tar on an
// in-memory tree the way Unpack (overlay mode) builds the directory, then
// walks the directory through fds, never following a symlink, and
// compares: type, mode, owner, size and content hash of files, symlink
// targets, hardlinks (one inode), overlay whiteouts (character devices
// 0/0) and opaque markers. Times and xattrs other than the opaque marker
// are not compared.

// CheckOptions say how the directory was unpacked.
type CheckOptions struct {
	// Chown: unpacked with Options.Chown inside a user namespace; files
	// carry the tar's ids where this process's namespace maps them, else
	// 0:0. Without it every file belongs to this process's user.
	Chown bool
}

// kinds of node in the expected tree.
const (
	kindDir      = "directory"
	kindFile     = "file"
	kindSymlink  = "symlink"
	kindFifo     = "fifo"
	kindWhiteout = "whiteout"
)

// node is one expected inode; hardlinked names share one node.
type node struct {
	kind     string
	mode     uint32
	uid, gid int
	size     int64
	sum      [sha256.Size]byte
	target   string // symlink
	opaque   bool
	implicit bool // a parent directory no entry named: only its type is checked
}

// tree is the expected layer directory: canonical paths ("" is the root)
// to nodes, with the directory entries whose metadata is applied last.
type tree struct {
	nodes    map[string]*node
	dirs     []dirMeta
	ids      func(uid, gid int) (int, int)
	chown    bool // ids are set as unpacker.chown sets them
	uid, gid int  // owner of what the unpacking process created itself
}

// Problem is one difference between a layer directory and its tar.
type Problem struct {
	Path string // relative to the layer directory; "." for the root
	What string
}

func (p Problem) String() string { return p.Path + ": " + p.What }

// Check compares the layer directory dir with the uncompressed tar r it
// was unpacked from and returns the differences, sorted by path. An error
// means the check itself could not run (an unreadable tar or directory).
func Check(r io.Reader, dir string, opts CheckOptions) ([]Problem, error) {
	t, err := expectTree(tar.NewReader(r), opts)
	if err != nil {
		return nil, fmt.Errorf("check layer %s: %w", dir, err)
	}
	c := &checker{want: t, seen: map[string]bool{}, walked: map[string]bool{}, inodes: map[*node]fileID{}}
	if err := c.walkRoot(dir); err != nil {
		return nil, fmt.Errorf("check layer %s: %w", dir, err)
	}
	c.missing()
	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Path < c.problems[j].Path })
	return c.problems, nil
}

// expectTree replays the archive.
func expectTree(tr *tar.Reader, opts CheckOptions) (*tree, error) {
	t := &tree{nodes: map[string]*node{"": {kind: kindDir, implicit: true}},
		uid: os.Geteuid(), gid: os.Getegid()}
	t.ids = func(int, int) (int, int) { return t.uid, t.gid }
	if opts.Chown {
		t.ids, t.chown = nsIDs(), true
	}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := t.entry(hdr, tr); err != nil {
			return nil, fmt.Errorf("%s: %w", hdr.Name, err)
		}
	}
	t.finishDirs()
	return t, nil
}

// entry replays one tar entry as unpacker.entry does.
func (t *tree) entry(hdr *tar.Header, r io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	if name == "." {
		t.dirs = append(t.dirs, dirMeta{name: name, hdr: hdr})
		return nil
	}
	parent, base := path.Dir(name), path.Base(name)
	if strings.HasPrefix(base, whiteoutPrefix) {
		return t.whiteout(parent, base)
	}
	switch hdr.Typeflag {
	case tar.TypeChar, tar.TypeBlock:
		return nil
	case tar.TypeDir, tar.TypeReg, tar.TypeRegA, tar.TypeSymlink, tar.TypeLink, tar.TypeFifo:
	default:
		return fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
	}
	dir, err := t.resolve(parent, true)
	if err != nil {
		return err
	}
	key := join(dir, base)
	n, err := t.newNode(hdr, r)
	if err != nil {
		return err
	}
	if old := t.nodes[key]; n.kind == kindDir && old != nil && old.kind == kindDir {
		t.dirs = append(t.dirs, dirMeta{name: name, hdr: hdr})
		return nil // merged: metadata comes at the end
	}
	t.put(key, n)
	if n.kind == kindDir {
		t.dirs = append(t.dirs, dirMeta{name: name, hdr: hdr})
	}
	return nil
}

// newNode is what hdr creates (a hardlink: its target's node).
func (t *tree) newNode(hdr *tar.Header, r io.Reader) (*node, error) {
	uid, gid := t.ids(hdr.Uid, hdr.Gid)
	n := &node{mode: tarMode(hdr), uid: uid, gid: gid}
	if t.chown && (uid != hdr.Uid || gid != hdr.Gid) {
		// As unpacker.chown: an owner the namespace cannot hold loses
		// setuid and setgid with it.
		n.mode &^= unix.S_ISUID | unix.S_ISGID
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		n.kind, n.mode, n.uid, n.gid = kindDir, 0o700, t.uid, t.gid // until finishDirs
	case tar.TypeSymlink:
		n.kind, n.target, n.mode = kindSymlink, hdr.Linkname, 0
	case tar.TypeFifo:
		n.kind = kindFifo
	case tar.TypeLink:
		return t.hardlinkTarget(hdr.Linkname)
	default:
		n.kind = kindFile
		h := sha256.New()
		size, err := io.Copy(h, r)
		if err != nil {
			return nil, err
		}
		n.size = size
		copy(n.sum[:], h.Sum(nil))
	}
	return n, nil
}

func (t *tree) hardlinkTarget(linkname string) (*node, error) {
	target, err := cleanName(linkname)
	if err != nil || target == "." {
		return nil, fmt.Errorf("hardlink target %q", linkname)
	}
	dir, err := t.resolve(path.Dir(target), false)
	if err != nil {
		return nil, fmt.Errorf("hardlink target: %w", err)
	}
	n := t.nodes[join(dir, path.Base(target))]
	if n == nil || n.kind == kindDir {
		return nil, fmt.Errorf("hardlink target %q: no such file", linkname)
	}
	return n, nil
}

// whiteout replays a ".wh." entry in directory parent.
func (t *tree) whiteout(parent, base string) error {
	if base == whiteoutOpaque {
		dir, err := t.resolve(parent, true)
		if err != nil {
			return err
		}
		t.nodes[dir].opaque = true
		return nil
	}
	if strings.HasPrefix(base, whiteoutMeta) {
		return nil
	}
	target := strings.TrimPrefix(base, whiteoutPrefix)
	if target == "" || target == "." || target == ".." {
		return fmt.Errorf("whiteout of %q", target)
	}
	dir, err := t.resolve(parent, true)
	if err != nil {
		return err
	}
	t.put(join(dir, target), &node{kind: kindWhiteout, uid: t.uid, gid: t.gid})
	return nil
}

// put places n at key, replacing what was there and below it.
func (t *tree) put(key string, n *node) {
	if old := t.nodes[key]; old != nil && old.kind == kindDir {
		for p := range t.nodes {
			if strings.HasPrefix(p, key+"/") {
				delete(t.nodes, p)
			}
		}
	}
	t.nodes[key] = n
}

// resolve turns directory p (clean, relative) into its canonical path in
// the tree, following symlinks inside the root as openat2
// RESOLVE_IN_ROOT does; missing directories are created (0755, owned by
// the unpacking process) when create is set.
func (t *tree) resolve(p string, create bool) (string, error) {
	cur, parts, hops := "", split(p), 0
	for len(parts) > 0 {
		part := parts[0]
		parts = parts[1:]
		switch part {
		case ".":
			continue
		case "..":
			cur = parentOf(cur)
			continue
		}
		next := join(cur, part)
		n := t.nodes[next]
		switch {
		case n == nil && create:
			t.nodes[next] = &node{kind: kindDir, mode: 0o755, uid: t.uid, gid: t.gid, implicit: true}
			cur = next
		case n == nil:
			return "", fmt.Errorf("%s: no such directory", next)
		case n.kind == kindDir:
			cur = next
		case n.kind == kindSymlink:
			if hops++; hops > 40 {
				return "", fmt.Errorf("%s: too many symlinks", p)
			}
			if strings.HasPrefix(n.target, "/") {
				cur = ""
			}
			parts = append(split(n.target), parts...)
		default:
			return "", fmt.Errorf("%s: not a directory", next)
		}
	}
	return cur, nil
}

// finishDirs applies directory metadata deepest first, the last entry of
// a directory winning, as unpacker.finishDirs does.
func (t *tree) finishDirs() {
	sort.SliceStable(t.dirs, func(i, j int) bool { return depth(t.dirs[i].name) > depth(t.dirs[j].name) })
	for _, d := range t.dirs {
		key := ""
		if d.name != "." {
			dir, err := t.resolve(path.Dir(d.name), false)
			if err != nil {
				continue
			}
			key = join(dir, path.Base(d.name))
		}
		n := t.nodes[key]
		if n == nil || n.kind != kindDir {
			continue
		}
		n.uid, n.gid = t.ids(d.hdr.Uid, d.hdr.Gid)
		n.mode, n.implicit = tarMode(d.hdr), false
	}
}

func split(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func join(dir, base string) string {
	if dir == "" {
		return base
	}
	return dir + "/" + base
}

func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// nsIDs is how unpacker.chown sets owners in this process's user
// namespace: the tar's ids where the namespace maps both, else 0:0.
func nsIDs() func(uid, gid int) (int, int) {
	uids, gids := readIDMap("/proc/self/uid_map"), readIDMap("/proc/self/gid_map")
	return func(uid, gid int) (int, int) {
		if !validID(uid) || !validID(gid) || !inRanges(uids, uid) || !inRanges(gids, gid) {
			return 0, 0
		}
		return uid, gid
	}
}

// readIDMap reads the inside ranges of a uid_map or gid_map.
func readIDMap(file string) [][2]int {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out [][2]int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			continue
		}
		start, err1 := strconv.Atoi(fields[0])
		size, err2 := strconv.Atoi(fields[2])
		if err1 == nil && err2 == nil {
			out = append(out, [2]int{start, start + size})
		}
	}
	return out
}

func inRanges(ranges [][2]int, id int) bool {
	for _, r := range ranges {
		if id >= r[0] && id < r[1] {
			return true
		}
	}
	return false
}

// errCheckRead marks a directory the check could not read.
var errCheckRead = errors.New("cannot read")
