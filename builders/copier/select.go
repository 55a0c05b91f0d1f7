package copier

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/patternmatcher"
	"golang.org/x/sys/unix"
)

// ErrNotFound is wrapped by the error Copy and Hash return when a source
// names nothing (or only what .dockerignore excludes). The engine prints it
// after its "COPY failed: " prefix.
var ErrNotFound = errors.New("file not found in build context or excluded by .dockerignore")

// errNoSources is the glob variant of ErrNotFound, worded as Docker does.
var errNoSources = fmt.Errorf("no source files were specified: %w", ErrNotFound)

// top is one source path after glob expansion: rel is its clean path from
// the source root, kept the part of it --parents keeps, st its (followed)
// stat.
type top struct {
	rel  string
	kept string
	st   unix.Stat_t
}

// entry is one file, directory or symlink selected for copying.
type entry struct {
	src  string // path from the source root, as the walk reached it
	dst  string // path from the destination root
	st   unix.Stat_t
	link string // symlink target
	// follow is set for a top-level source: named in the Dockerfile, it
	// is followed (inside the root) if it is a symlink.
	follow bool
}

func (e *entry) kind() uint32 { return e.st.Mode & unix.S_IFMT }

// openSource opens a selected regular file for reading. O_NONBLOCK: if the
// name was swapped for a fifo since the walk, open must not hang.
func openSource(root int, e *entry) (int, error) {
	flags := unix.O_RDONLY | unix.O_NONBLOCK
	if !e.follow {
		flags |= unix.O_NOFOLLOW
	}
	return openIn(root, e.src, flags)
}

// selector applies an Op's source selection to one source root.
type selector struct {
	root    int
	ignore  *patternmatcher.PatternMatcher // nil: no .dockerignore
	exclude *patternmatcher.PatternMatcher // nil: no --exclude
}

func newSelector(root int, op Op) (*selector, error) {
	s := &selector{root: root}
	var err error
	if s.ignore, err = matcher(op.Ignore); err != nil {
		return nil, fmt.Errorf("parse .dockerignore: %w", err)
	}
	if s.exclude, err = matcher(op.Exclude); err != nil {
		return nil, fmt.Errorf("parse --exclude: %w", err)
	}
	return s, nil
}

func matcher(patterns []string) (*patternmatcher.PatternMatcher, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	return patternmatcher.New(patterns)
}

// tops expands every source of op, in order, glob matches sorted. A literal
// source that does not exist, and a glob that matches nothing, are errors.
func (s *selector) tops(op Op) ([]top, error) {
	var out []top
	for _, src := range op.Sources {
		rel := cleanRel(src)
		matches := []string{rel}
		if hasMeta(rel) {
			var err error
			if matches, err = s.glob(rel); err != nil {
				return nil, fmt.Errorf("expand %s: %w", src, err)
			}
		}
		pivot := parentsPivot(src)
		n := len(out)
		for _, m := range matches {
			t, ok, err := s.stat(m)
			if err != nil {
				return nil, fmt.Errorf("stat %s: %w", src, err)
			}
			if !ok || s.topIgnored(t) {
				continue
			}
			t.kept = keptPath(m, pivot)
			out = append(out, t)
		}
		if len(out) == n {
			if hasMeta(rel) {
				return nil, fmt.Errorf("%w: %s", errNoSources, src)
			}
			return nil, fmt.Errorf("%w: stat %s: file does not exist", ErrNotFound, src)
		}
	}
	return out, nil
}

// stat follows rel inside the root. ok is false when it does not exist.
func (s *selector) stat(rel string) (top, bool, error) {
	fd, err := openIn(s.root, rel, unix.O_PATH)
	if isErrno(err, unix.ENOENT) || isErrno(err, unix.ENOTDIR) {
		return top{}, false, nil
	}
	if err != nil {
		return top{}, false, err
	}
	defer unix.Close(fd)
	t := top{rel: rel}
	if err := unix.Fstat(fd, &t.st); err != nil {
		return top{}, false, err
	}
	return t, true, nil
}

// topIgnored reports whether .dockerignore drops a whole top-level file.
// Directories are walked (their children may be re-included) and dropped
// later if nothing in them survives.
func (s *selector) topIgnored(t top) bool {
	if s.ignore == nil || t.rel == "." || t.st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return false
	}
	ignored, _ := s.ignore.MatchesOrParentMatches(t.rel)
	return ignored
}

// glob expands pattern one path segment at a time with filepath.Match,
// as Docker does; directories are listed inside the root.
func (s *selector) glob(pattern string) ([]string, error) {
	matches := []string{"."}
	for _, seg := range strings.Split(pattern, "/") {
		var next []string
		for _, m := range matches {
			if !hasMeta(seg) {
				next = append(next, path.Join(m, seg))
				continue
			}
			names, err := s.list(m)
			if err != nil {
				return nil, err
			}
			for _, name := range names {
				if ok, err := filepath.Match(seg, name); err != nil {
					return nil, err
				} else if ok {
					next = append(next, path.Join(m, name))
				}
			}
		}
		matches = next
	}
	sort.Strings(matches)
	return matches, nil
}

// list returns the names in directory rel, none if it is not a directory.
func (s *selector) list(rel string) ([]string, error) {
	fd, err := openIn(s.root, rel, unix.O_RDONLY|unix.O_DIRECTORY)
	if isErrno(err, unix.ENOENT) || isErrno(err, unix.ENOTDIR) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return readNames(fd)
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// parentsPivot is the number of leading segments --parents drops: those
// before a "/./" marker (BuildKit's syntax), none without one.
func parentsPivot(src string) int {
	i := strings.Index(src, "/./")
	if i < 0 {
		return 0
	}
	prefix := cleanRel(src[:i])
	if prefix == "." {
		return 0
	}
	return strings.Count(prefix, "/") + 1
}

func keptPath(rel string, pivot int) string {
	segs := strings.Split(rel, "/")
	if pivot >= len(segs) {
		return "."
	}
	return strings.Join(segs[pivot:], "/")
}
