package copier

import (
	"path"
	"sort"

	"github.com/moby/patternmatcher"
	"golang.org/x/sys/unix"
)

// walker collects the entries of one source in a single pass, reading
// directories through fds opened one component at a time with O_NOFOLLOW,
// so symlinks inside a source are recorded, never followed.
type walker struct {
	sel *selector
	out []entry
}

// source adds top t. dst is where t itself goes; for a directory without
// --parents that is the destination directory, which is not an entry of its
// own (its contents are copied, not itself).
func (w *walker) source(t top, dst string, self bool) error {
	switch t.st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return w.topDir(t, dst, self)
	case unix.S_IFREG:
		if w.excluded(path.Base(t.rel)) {
			return nil
		}
		w.out = append(w.out, entry{src: t.rel, dst: dst, st: t.st, follow: true})
	}
	// Sockets, fifos and devices are skipped, as Docker does.
	return nil
}

func (w *walker) topDir(t top, dst string, self bool) error {
	fd, err := openIn(w.sel.root, t.rel, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var ign patternmatcher.MatchInfo
	ignored := false
	if w.sel.ignore != nil && t.rel != "." {
		ignored, ign, err = w.sel.ignore.MatchesUsingParentResults(t.rel, patternmatcher.MatchInfo{})
		if err != nil {
			return err
		}
	}
	mark := len(w.out)
	if self {
		w.out = append(w.out, entry{src: t.rel, dst: dst, st: t.st})
	}
	if err := w.dir(fd, t.rel, dst, "", ign, patternmatcher.MatchInfo{}); err != nil {
		return err
	}
	if ignored && len(w.out) == mark+boolInt(self) {
		w.out = w.out[:mark]
	}
	return nil
}

// dir adds the contents of the directory open at fd. src and dst are its
// paths from the two roots, inner its path inside the source ("" for the
// source itself); ign and exc carry the parent's pattern results.
func (w *walker) dir(fd int, src, dst, inner string, ign, exc patternmatcher.MatchInfo) error {
	names, err := readNames(fd)
	if err != nil {
		return &pathError{"read directory", src, err}
	}
	sort.Strings(names)
	for _, name := range names {
		e := entry{src: path.Join(src, name), dst: path.Join(dst, name)}
		if err := unix.Fstatat(fd, name, &e.st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if isErrno(err, unix.ENOENT) {
				continue // removed since the listing
			}
			return &pathError{"stat", e.src, err}
		}
		if err := w.child(fd, name, e, path.Join(inner, name), ign, exc); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) child(pfd int, name string, e entry, inner string, ign, exc patternmatcher.MatchInfo) error {
	skip, ign, exc, err := w.sel.skip(e.src, inner, ign, exc)
	if err != nil {
		return err
	}
	switch e.kind() {
	case unix.S_IFDIR:
		return w.childDir(pfd, name, e, inner, skip, ign, exc)
	case unix.S_IFREG:
		if !skip {
			w.out = append(w.out, e)
		}
	case unix.S_IFLNK:
		if skip {
			return nil
		}
		if e.link, err = readlinkAt(pfd, name); err != nil {
			return &pathError{"readlink", e.src, err}
		}
		w.out = append(w.out, e)
	}
	return nil
}

// childDir adds a directory and its contents. A skipped directory is
// still walked when exception patterns could re-include something in it,
// and kept only if something was.
func (w *walker) childDir(pfd int, name string, e entry, inner string, skip bool, ign, exc patternmatcher.MatchInfo) error {
	if skip && !w.sel.exceptions() {
		return nil
	}
	fd, err := openChild(pfd, name, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return &pathError{"open", e.src, err}
	}
	defer unix.Close(fd)
	mark := len(w.out)
	w.out = append(w.out, e)
	if err := w.dir(fd, e.src, e.dst, inner, ign, exc); err != nil {
		return err
	}
	if skip && len(w.out) == mark+1 {
		w.out = w.out[:mark]
	}
	return nil
}

// skip applies .dockerignore to the path from the source root and
// --exclude to the path inside the source.
func (s *selector) skip(src, inner string, ign, exc patternmatcher.MatchInfo) (bool, patternmatcher.MatchInfo, patternmatcher.MatchInfo, error) {
	var ignored, excluded bool
	var err error
	if s.ignore != nil {
		if ignored, ign, err = s.ignore.MatchesUsingParentResults(src, ign); err != nil {
			return false, ign, exc, err
		}
	}
	if s.exclude != nil {
		if excluded, exc, err = s.exclude.MatchesUsingParentResults(inner, exc); err != nil {
			return false, ign, exc, err
		}
	}
	return ignored || excluded, ign, exc, nil
}

// exceptions reports whether any "!" pattern could re-include something
// below an excluded directory.
func (s *selector) exceptions() bool {
	return (s.ignore != nil && s.ignore.Exclusions()) || (s.exclude != nil && s.exclude.Exclusions())
}

func (w *walker) excluded(inner string) bool {
	if w.sel.exclude == nil {
		return false
	}
	ok, _ := w.sel.exclude.MatchesOrParentMatches(inner)
	return ok
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pathError is os.PathError with the path shown relative to its root.
type pathError struct {
	op, path string
	err      error
}

func (e *pathError) Error() string { return e.op + " " + e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }
