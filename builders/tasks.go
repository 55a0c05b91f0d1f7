package builders

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hull-project/hull/builders/copier"
	"github.com/hull-project/hull/core/layer"
	"github.com/hull-project/hull/isolation/child"
	"golang.org/x/sys/unix"
)

// Tasks are the operations builds run inside a step's namespaces; main.go
// hands them to the container init.
func Tasks() map[string]child.TaskFunc {
	return map[string]child.TaskFunc{
		"copy":  copyTask,
		"mkdir": mkdirTask,
		"diff":  diffTaskMain,
		"fs":    fsTask,
	}
}

type mkdirArgs struct {
	Path string `json:"path"`
}

type diffArgs struct {
	Dir string `json:"dir"`
}

func copyTask(rootfs string, sources []string, args json.RawMessage) error {
	return copyTaskTo(os.Stdout, rootfs, sources, args)
}

// copyTaskTo runs the copy and writes its report to out: the task's
// output, which builders reads (reuse.go).
func copyTaskTo(out io.Writer, rootfs string, sources []string, args json.RawMessage) error {
	var op copier.Op
	if err := json.Unmarshal(args, &op); err != nil {
		return err
	}
	src := ""
	if len(sources) > 0 {
		src = sources[0]
	}
	r, err := copier.CopyReport(src, rootfs, op)
	if err != nil || (len(r.Files) == 0 && r.Reused == 0) {
		return err
	}
	return json.NewEncoder(out).Encode(r)
}

func mkdirTask(rootfs string, _ []string, args json.RawMessage) error {
	var a mkdirArgs
	if err := json.Unmarshal(args, &a); err != nil {
		return err
	}
	return child.MkdirAllInRoot(rootfs, a.Path)
}

func diffTaskMain(_ string, _ []string, args json.RawMessage) error {
	var a diffArgs
	if err := json.Unmarshal(args, &a); err != nil {
		return err
	}
	return layer.Diff(a.Dir, os.Stdout)
}

// resolveInContext resolves a context path for a bind mount, inside the
// context root (symlinks cannot lead out), returning the real path.
func resolveInContext(ctxDir, p string) (string, error) {
	rfd, err := unix.Open(ctxDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("open context: %w", err)
	}
	defer unix.Close(rfd)
	rel := filepath.Clean("/" + p)[1:]
	if rel == "" {
		rel = "."
	}
	fd, err := unix.Openat2(rfd, rel, &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		return "", fmt.Errorf("--mount source %s: %w", p, err)
	}
	defer unix.Close(fd)
	return os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}
