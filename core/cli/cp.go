package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
)

func cpCommand() *cli.Command {
	return &cli.Command{Name: "cp", Usage: "Copy files/folders between a container and the local filesystem",
		ArgsUsage: "CONTAINER:SRC_PATH DEST_PATH|-  or  SRC_PATH|- CONTAINER:DEST_PATH",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 2, 2); err != nil {
				return err
			}
			srcRef, src := splitCopyArg(c.Args().Get(0))
			dstRef, dst := splitCopyArg(c.Args().Get(1))
			switch {
			case srcRef != "" && dstRef != "":
				return errors.New("copying between containers is not supported")
			case srcRef == "" && dstRef == "":
				return errors.New("must specify at least one container source")
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			if srcRef != "" {
				return copyOut(h, srcRef, src, dst)
			}
			return copyIn(h, src, dstRef, dst)
		}}
}

// splitCopyArg splits CONTAINER:PATH; a path that starts with "/" or "."
// (or has no colon) is local, as in Docker.
func splitCopyArg(arg string) (ref, p string) {
	if strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, ".") {
		return "", arg
	}
	ref, p, ok := strings.Cut(arg, ":")
	if !ok {
		return "", arg
	}
	return ref, p
}

func copyOut(h *core.Hull, ref, src, dst string) error {
	if dst == "-" {
		return h.CopyFrom(ref, src, os.Stdout)
	}
	pr, pw := io.Pipe()
	produced := make(chan error, 1)
	go func() {
		err := h.CopyFrom(ref, src, pw)
		pw.CloseWithError(err)
		produced <- err
	}()
	var err error
	if fi, serr := os.Stat(dst); serr == nil && fi.IsDir() {
		err = core.UnpackHost(pr, dst)
	} else {
		err = core.UnpackHost(core.RenameTop(pr, filepath.Base(dst)), filepath.Dir(dst))
	}
	pr.Close()
	// The container side's error (no such path) says more than what the
	// unpacking made of the cut stream; a closed pipe only echoes ours.
	if perr := <-produced; perr != nil && !errors.Is(perr, io.ErrClosedPipe) {
		return perr
	}
	return err
}

func copyIn(h *core.Hull, src, ref, dst string) error {
	if src == "-" {
		return h.CopyTo(ref, dst, "", os.Stdin)
	}
	if _, err := os.Lstat(src); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(core.TarHost(src, pw)) }()
	defer pr.Close()
	return h.CopyTo(ref, dst, filepath.Base(filepath.Clean("/"+dst)), pr)
}
