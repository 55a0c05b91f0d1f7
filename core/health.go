package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/isolation"
)

// ErrNoHealthcheck: the container has no health check to run.
var ErrNoHealthcheck = errors.New("has no defined healthcheck")

// WatchHealth runs the health check of container id, started as pid, every
// interval until ctx ends or the container is no longer that start, and
// records each result. The container's monitor runs it (and a foreground
// `hull run`, the monitor of its container). Without a check it returns at
// once.
func (h *Hull) WatchHealth(ctx context.Context, id string, pid int) {
	c, err := h.Containers.Get(id)
	if err != nil || c.HealthProbe() == nil {
		return
	}
	interval, _, _, _ := c.HealthTiming()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if c, err = h.Containers.Get(id); err != nil || !c.State.Running || c.State.Pid != pid {
			return
		}
		h.checkHealth(ctx, c)
	}
}

// HealthcheckRun runs the health check of a running container once, by
// hand (hull healthcheck run), records it, and returns whether the probe
// passed and the status it leaves: healthy, unhealthy or starting.
func (h *Hull) HealthcheckRun(ctx context.Context, ref string) (bool, string, error) {
	c, err := h.running(ref)
	if err != nil {
		return false, "", err
	}
	if c.HealthProbe() == nil {
		return false, "", fmt.Errorf("container %s %w", container.ShortID(c.ID), ErrNoHealthcheck)
	}
	r, status := h.checkHealth(ctx, c)
	return r.ExitCode == 0, status, nil
}

// checkHealth runs one probe of c and records it while c is still the
// same start; it returns the result and the status it leaves.
func (h *Hull) checkHealth(ctx context.Context, c *container.Container) (container.HealthLog, string) {
	_, timeout, _, _ := c.HealthTiming()
	r := h.probe(ctx, c, c.HealthProbe(), timeout)
	status := ""
	h.record(c.ID, func(cur *container.Container) {
		if cur.State.Running && cur.State.Pid == c.State.Pid {
			cur.AddHealthResult(r)
		}
		if cur.State.Health != nil {
			status = cur.State.Health.Status
		}
	})
	return r, status
}

// probe runs args in the running container c through the exec path (its
// own session, the container's confinement and cgroups) and returns the
// result: exit code and output (at most HealthOutputMax bytes of stdout
// and stderr together). Past timeout, or when ctx ends, the probe's
// processes are killed and the exit code is -1, as Docker reports it.
func (h *Hull) probe(ctx context.Context, c *container.Container, args []string, timeout time.Duration) (r container.HealthLog) {
	r = container.HealthLog{Start: time.Now().UTC(), ExitCode: -1}
	defer func() { r.End = time.Now().UTC() }()
	spec, err := h.execSpec(c, ExecOptions{Args: args})
	if err != nil {
		r.Output = err.Error()
		return r
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		r.Output = err.Error()
		return r
	}
	proc, err := isolation.ExecWithHooks(c.State.Pid, spec, isolation.Stdio{Stdout: pw, Stderr: pw}, joinContainerCgroups(c))
	pw.Close()
	if err != nil {
		pr.Close()
		r.ExitCode, r.Output = ExitCode(err), err.Error()
		return r
	}
	output := make(chan string, 1)
	go func() {
		defer pr.Close()
		b, _ := io.ReadAll(io.LimitReader(pr, container.HealthOutputMax))
		_, _ = io.Copy(io.Discard, pr)
		output <- string(b)
	}()
	type waited struct {
		status isolation.ExitStatus
		err    error
	}
	done := make(chan waited, 1)
	go func() {
		st, err := proc.Wait()
		done <- waited{st, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case w := <-done:
		if w.err == nil {
			r.ExitCode = w.status.Code
		}
	case <-timer.C:
		killProbe(proc, func() { <-done })
		r.Output = fmt.Sprintf("Health check exceeded timeout (%s)", timeout)
		return r
	case <-ctx.Done():
		killProbe(proc, func() { <-done })
		r.Output = "health check cancelled"
		return r
	}
	select {
	case r.Output = <-output:
	case <-time.After(outputDrain):
		// A process the probe left behind holds the pipe.
		slog.Debug("health check output", "id", c.ID, "err", "still open")
	}
	return r
}

// killProbe kills a probe's process tree (nsenter, the in-container stage,
// the command and its children) and waits for nsenter.
func killProbe(proc *isolation.Process, wait func()) {
	killDescendants(proc.Pid)
	_ = proc.Signal(syscall.SIGKILL)
	wait()
}

// imageHealthcheck is the image's HEALTHCHECK as the record keeps it.
func imageHealthcheck(img *image.Image) *container.Healthcheck {
	hc := img.Extras.Healthcheck
	if hc == nil {
		return nil
	}
	return &container.Healthcheck{Test: hc.Test, Interval: hc.Interval, Timeout: hc.Timeout,
		StartPeriod: hc.StartPeriod, Retries: hc.Retries}
}
