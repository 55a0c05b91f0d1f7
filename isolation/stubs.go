package isolation

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Stub is a mount target the container's init created because the root
// file system lacked it: an empty file for /etc/hosts, a directory for a
// RUN --mount target. A build removes its stubs before it diffs the step,
// as BuildKit does, so that a layer holds what the step made and not what
// hull mounted over.
type Stub struct {
	// Path is the stub's container path, relative and free of symlinks.
	Path string `json:"path"`
	Dir  bool   `json:"dir,omitempty"`
	// ParentBefore and ParentAfter are the parent directory's mtime before
	// and right after the stub was made: the parent gets its old mtime
	// back only when nothing else changed it since.
	ParentBefore unix.Timespec `json:"parent_before"`
	ParentAfter  unix.Timespec `json:"parent_after"`
}

// WriteStubs records stubs in stateDir's mount-stubs.json (the child,
// before pivot_root, when Spec.RecordStubs asks for it).
func WriteStubs(stateDir string, stubs []Stub) error {
	data, err := json.Marshal(stubs)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(stateDir, "mount-stubs.json"), data, 0o600)
}

// RemoveStubs removes from spec's upper dir the stubs its start recorded,
// newest first, each only while it is still the empty file or directory
// the init made, and gives each parent its mtime back. Everything is
// looked up through descriptors with no symlink followed: the upper dir
// is what the container left.
func RemoveStubs(spec *Spec) error {
	record := filepath.Join(spec.StateDir, "mount-stubs.json")
	data, err := os.ReadFile(record)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read mount stubs: %w", err)
	}
	// The state dir serves the next start too: the record is this one's.
	if err := os.Remove(record); err != nil {
		return fmt.Errorf("read mount stubs: %w", err)
	}
	var stubs []Stub
	if err := json.Unmarshal(data, &stubs); err != nil {
		return fmt.Errorf("read mount stubs: %w", err)
	}
	root, err := unix.Open(spec.Rootfs.UpperDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: spec.Rootfs.UpperDir, Err: err}
	}
	defer unix.Close(root)
	for i := len(stubs) - 1; i >= 0; i-- {
		if err := removeStub(root, stubs[i]); err != nil {
			return fmt.Errorf("remove mount stub /%s: %w", stubs[i].Path, err)
		}
	}
	return nil
}

func removeStub(root int, s Stub) error {
	dir, name := path.Split(strings.Trim(path.Clean("/"+s.Path), "/"))
	if name == "" {
		return nil
	}
	pfd, err := unix.Openat2(root, "./"+dir, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		return nil // not in the upper dir (never copied up), or replaced
	}
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	var st, parent unix.Stat_t
	if err := unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	if err := unix.Fstat(pfd, &parent); err != nil {
		return err
	}
	flags := 0
	switch {
	case s.Dir && st.Mode&unix.S_IFMT == unix.S_IFDIR:
		flags = unix.AT_REMOVEDIR
	case !s.Dir && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size == 0:
	default:
		return nil // the step made something of its own there: keep it
	}
	if err := unix.Unlinkat(pfd, name, flags); err != nil {
		if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
			return nil
		}
		return err
	}
	if parent.Mtim != s.ParentAfter {
		return nil
	}
	times := []unix.Timeval{unix.NsecToTimeval(unix.TimespecToNsec(parent.Atim)), unix.NsecToTimeval(unix.TimespecToNsec(s.ParentBefore))}
	return unix.Futimes(pfd, times)
}
