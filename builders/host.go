package builders

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/hull-project/hull/builders/copier"
	"github.com/hull-project/hull/isolation"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// stepHost is what a plugin's requests reach during one step. Every
// request is checked here; nothing a plugin says is trusted with the host.
type stepHost struct {
	b      *build
	st     *stageState
	ws     *workspace
	n      int
	out    *stepWriter
	closed bool
}

var _ sdk.Host = (*stepHost)(nil)

func (h *stepHost) close() {
	h.closed = true
	if h.out != nil {
		h.out.Flush()
	}
}

// layers are the dirs the step sees under its upper dir, topmost first.
func (h *stepHost) layers() []string { return h.st.dirs() }

// Run runs a command in the build container.
func (h *stepHost) Run(ctx context.Context, r sdk.RunRequest) (sdk.RunResult, error) {
	if h.closed {
		return sdk.RunResult{}, fmt.Errorf("run: the step is over")
	}
	if len(r.Args) == 0 {
		return sdk.RunResult{}, fmt.Errorf("run: no command")
	}
	if err := h.ws.ensure(); err != nil {
		return sdk.RunResult{}, err
	}
	spec, err := h.b.runSpec(ctx, h.st, h.ws, r)
	if err != nil {
		return sdk.RunResult{}, err
	}
	if h.out == nil {
		h.out = h.b.out.writer(h.n)
	}
	stdio := isolation.Stdio{Stdout: h.out, Stderr: h.out}
	var stdout, stderr *captureWriter
	if r.CaptureOutput {
		max := r.MaxOutput
		if max <= 0 {
			max = sdk.DefaultMaxOutput
		}
		max = min(max, sdk.MaxCaptureOutput)
		stdout, stderr = &captureWriter{max: max}, &captureWriter{max: max}
		stdio.Stdout, stdio.Stderr = stdout, stderr
	}
	if len(r.Stdin) > 0 {
		stdio.Stdin = bytes.NewReader(r.Stdin)
	}
	wait, err := h.b.startRun(ctx, spec, stdio, r.Network)
	if err != nil {
		return sdk.RunResult{}, fmt.Errorf("run %s: %w", r.Args[0], err)
	}
	status, err := wait()
	if err != nil {
		return sdk.RunResult{}, err
	}
	if spec.RootEmulation {
		h.b.recordAddedIDs(h.st, h.ws)
	}
	res := sdk.RunResult{ExitCode: status.Code}
	if r.CaptureOutput {
		res.Stdout, res.Stderr = stdout.buf.Bytes(), stderr.buf.Bytes()
		res.Truncated = stdout.dropped || stderr.dropped
	}
	return res, nil
}

// captureWriter keeps the first max bytes written to it and drops the
// rest without failing the writer (a command must not die of SIGPIPE or
// EPIPE because its plugin wanted less output).
type captureWriter struct {
	buf     bytes.Buffer
	max     int
	dropped bool
}

func (c *captureWriter) Write(b []byte) (int, error) {
	keep := min(len(b), c.max-c.buf.Len())
	if keep < len(b) {
		c.dropped = true
	}
	c.buf.Write(b[:keep])
	return len(b), nil
}

// Copy copies from the context, a stage or an image into the rootfs.
func (h *stepHost) Copy(ctx context.Context, r sdk.CopyRequest) error {
	if h.closed {
		return fmt.Errorf("copy: the step is over")
	}
	if err := h.ws.ensure(); err != nil {
		return err
	}
	op, err := h.copyOp(ctx, r)
	if err != nil {
		return err
	}
	var sources []isolation.TaskSource
	if len(op.Sources) > 0 {
		if dir, ok := h.b.namedDir(h.st, r.From); ok {
			sources = []isolation.TaskSource{{Dir: dir}}
		} else if r.From == "" {
			sources = []isolation.TaskSource{{Dir: h.b.opts.ContextDir}}
			op.Ignore = h.b.ignore
			op.Reuse = h.ws.reuse
		} else {
			src, err := h.b.fromSource(ctx, h.st, r.From)
			if err != nil {
				return err
			}
			sources = []isolation.TaskSource{{Layers: src.dirs()}}
			// What another stage gave to root may be among what is copied.
			for _, l := range src.lost {
				h.ws.lose(l)
			}
		}
	}
	// The copy task mounts the step's overlay on this upper dir: files
	// are filled there, in place where the file system allows it.
	op.Upper = h.ws.upper()
	var report bytes.Buffer
	if err := h.b.runTask(ctx, h.st, h.ws, "copy", op, sources, &report); err != nil {
		return err
	}
	h.ws.addCopied(report.Bytes())
	return nil
}

// copyOp checks a copy request and resolves owners, mode and URLs.
func (h *stepHost) copyOp(ctx context.Context, r sdk.CopyRequest) (copier.Op, error) {
	op := copier.Op{Dest: r.Dest, Exclude: r.Exclude, Parents: r.Parents, ExtractArchives: r.ExtractArchives}
	if !path.IsAbs(op.Dest) {
		op.Dest = path.Join("/", h.st.config.WorkingDir, op.Dest) + map[bool]string{true: "/"}[strings.HasSuffix(r.Dest, "/")]
	}
	var fetch *fetcher
	for _, s := range r.Sources {
		if isURL(s) {
			if r.From != "" {
				return op, fmt.Errorf("a URL source cannot be used with --from")
			}
			var err error
			if fetch == nil {
				if fetch, err = h.b.fetcher(); err != nil {
					return op, err
				}
			}
			f, err := fetch.download(ctx, s, r.Checksum)
			if err != nil {
				return op, err
			}
			op.Files = append(op.Files, f)
			continue
		}
		op.Sources = append(op.Sources, s)
	}
	if len(op.Files) > 0 && len(r.Sources) > 1 && !strings.HasSuffix(op.Dest, "/") {
		return op, fmt.Errorf("when using ADD with more than one source, the destination must be a directory and end with a /")
	}
	if len(op.Files) > 0 && strings.HasSuffix(op.Dest, "/") {
		// URL files are named after the URL's last path element.
	} else if len(op.Files) == 1 {
		op.Files[0].Name = ""
	}
	if r.Chmod != "" {
		m, err := strconv.ParseUint(r.Chmod, 8, 32)
		if err != nil || m > 0o7777 {
			return op, fmt.Errorf("invalid --chmod %q: only octal modes are supported", r.Chmod)
		}
		mode := uint32(m)
		op.Mode = &mode
	}
	if r.Chown != "" {
		uid, gid, err := h.resolveOwner(r.Chown)
		if err != nil {
			return op, err
		}
		op.UID, op.GID = &uid, &gid
	}
	return op, nil
}

// resolveOwner turns --chown user[:group] into ids, looked up in the
// destination's /etc/passwd and /etc/group, as Docker does.
func (h *stepHost) resolveOwner(spec string) (int, int, error) {
	u, err := h.b.env.Containers.ResolveUser(spec, append([]string{h.ws.upper()}, h.layers()...))
	if err != nil {
		return 0, 0, fmt.Errorf("--chown=%s: %w", spec, err)
	}
	uid, gid := h.b.emulateOwner(h.ws, spec, u.UID, u.GID)
	return uid, gid, nil
}

// ReadFile reads one file of the stage's rootfs.
func (h *stepHost) ReadFile(ctx context.Context, p string) ([]byte, error) {
	if h.closed {
		return nil, fmt.Errorf("read file: the step is over")
	}
	if err := h.ws.ensure(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := h.fs(ctx, "read", fsArgs{Op: "read", Path: h.abs(p), Limit: sdk.MaxMessage - 1024}, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFile writes one file into the rootfs.
func (h *stepHost) WriteFile(ctx context.Context, r sdk.WriteFileRequest) error {
	if h.closed {
		return fmt.Errorf("write file: the step is over")
	}
	if err := h.ws.ensure(); err != nil {
		return err
	}
	p := r.Path
	if !path.IsAbs(p) {
		p = path.Join("/", h.st.config.WorkingDir, p)
	}
	mode := r.Mode
	if mode == 0 {
		mode = 0o644
	}
	op := copier.Op{Dest: path.Dir(p) + "/", Files: []copier.File{{Name: path.Base(p), Content: r.Content, Mode: mode}}}
	if r.Chown != "" {
		uid, gid, err := h.resolveOwner(r.Chown)
		if err != nil {
			return err
		}
		op.UID, op.GID = &uid, &gid
	}
	return h.b.runTask(ctx, h.st, h.ws, "copy", op, nil, nil)
}

// Log prints a line in the step's output.
func (h *stepHost) Log(ctx context.Context, msg string) error {
	h.b.out.log(h.n, msg)
	return nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(b []byte) (int, error) {
	if len(b) > l.n {
		return 0, fmt.Errorf("file larger than %d bytes", sdk.MaxMessage)
	}
	l.n -= len(b)
	return l.w.Write(b)
}
