package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/appbin"
	"github.com/hull-project/hull/core/cgroup"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/isolation"
)

// ExitTimeout is hull's exit code when --timeout killed the container, as
// timeout(1) uses it.
const ExitTimeout = 124

// ErrTimeout is returned (wrapped) when --timeout killed the container.
var ErrTimeout = errors.New("container exceeded --timeout")

// ErrLimit is returned (wrapped) when a limit cannot be enforced and
// --strict-limits asks for it to be an error.
var ErrLimit = errors.New("limit cannot be enforced")

// limitPlan says how a container's limits are enforced on this host.
type limitPlan struct {
	resources cgroup.Resources
	ctrls     []string           // cgroup controllers the container's group uses
	rlimits   []isolation.Rlimit // fallbacks where no cgroup controller exists
	warnings  []string
}

// planLimits maps the record's limits onto the cgroup layout. A limit
// without its controller gets an rlimit fallback where one exists, and a
// warning in any case (an error under --strict-limits): never silence.
// measure adds the memory controller, when there is one, for peak memory.
func planLimits(l container.Limits, layout cgroup.Layout, measure bool) (limitPlan, error) {
	p := limitPlan{resources: cgroup.Resources{Memory: l.Memory, MemorySwap: l.MemorySwap,
		NanoCPUs: l.NanoCPUs, CPUShares: l.CPUShares, PidsLimit: l.PidsLimit}}
	if l.Memory > 0 && l.MemorySwap == 0 {
		// Docker's default: as much swap as memory.
		p.resources.MemorySwap = 2 * l.Memory
	}
	for _, c := range p.resources.Needs() {
		if layout.Has(c) {
			p.ctrls = append(p.ctrls, c)
			continue
		}
		msg, fallback := unenforced(c, l)
		if l.Strict {
			return p, fmt.Errorf("%w: %s: %s (--strict-limits)", ErrLimit, msg, layout.Reasons[c])
		}
		p.rlimits = append(p.rlimits, fallback...)
		p.warnings = append(p.warnings, fmt.Sprintf("%s: %s", msg, layout.Reasons[c]))
	}
	if measure && layout.Has(cgroup.Memory) && !contains(p.ctrls, cgroup.Memory) {
		p.ctrls = append(p.ctrls, cgroup.Memory)
	}
	return p, nil
}

// unenforced says what happens to the limits of controller c without it.
func unenforced(c string, l container.Limits) (string, []isolation.Rlimit) {
	switch c {
	case cgroup.Memory:
		if l.Memory == 0 {
			return "--memory-swap is not enforced", nil
		}
		n := uint64(l.Memory)
		return "--memory is only approximated by RLIMIT_AS (each process's address space, not the container's memory)",
			[]isolation.Rlimit{{Type: "as", Soft: n, Hard: n}}
	case cgroup.Pids:
		n := uint64(l.PidsLimit)
		return "--pids-limit is only approximated by RLIMIT_NPROC (processes per user id, not per container)",
			[]isolation.Rlimit{{Type: "nproc", Soft: n, Hard: n}}
	}
	return "--cpus and --cpu-shares are not enforced", nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// cgroupLayout is this host's cgroup delegation. HULL_NO_CGROUPS=1
// pretends there is none (to see, or test, the fallbacks).
func cgroupLayout() cgroup.Layout {
	if os.Getenv("HULL_NO_CGROUPS") == "1" {
		l := cgroup.Layout{Places: map[string]cgroup.Place{}, Reasons: map[string]string{}}
		for _, c := range cgroup.Controllers {
			l.Reasons[c] = "cgroups disabled by HULL_NO_CGROUPS=1"
		}
		return l
	}
	return cgroup.Discover(cgroup.Probe())
}

// settleOwnCgroup moves hull into the leaf of its own cgroup v2 when
// containers' groups would go there (cgroup.Settle), before it starts a
// monitor that creates them.
func settleOwnCgroup() {
	if err := cgroup.Settle(cgroupLayout()); err != nil {
		slog.Debug("own cgroup", "err", err)
	}
}

// sandbox is one start's limits and time-out: the container's cgroup,
// made before the container runs and removed after it ends.
type sandbox struct {
	group    *cgroup.Group
	timeout  time.Duration
	started  time.Time
	timedOut bool
	stats    cgroup.Stats
	closed   bool
}

// newSandbox plans c's limits, prints the warnings to warn, adds the
// rlimit fallbacks to spec and creates the cgroup (measure: also for
// peak memory).
func newSandbox(c *container.Container, spec *isolation.Spec, warn io.Writer, measure bool) (*sandbox, error) {
	s := &sandbox{timeout: c.HostConfig.Timeout}
	l := c.HostConfig.Limits
	if l.Memory == 0 && l.MemorySwap == 0 && l.NanoCPUs == 0 && l.CPUShares == 0 && l.PidsLimit == 0 && !measure {
		return s, nil
	}
	layout := cgroupLayout()
	plan, err := planLimits(l, layout, measure)
	if err != nil {
		return nil, err
	}
	for _, w := range plan.warnings {
		if warn != nil {
			fmt.Fprintf(warn, "hull: warning: %s\n", w)
		}
	}
	spec.Rlimits = append(spec.Rlimits, plan.rlimits...)
	if len(plan.ctrls) > 0 {
		if s.group, err = cgroup.Create(layout, "hull-"+c.ID, plan.ctrls, plan.resources); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Enter puts the child into the cgroup before it sets anything up (the
// launcher's first Created step).
func (s *sandbox) Enter(pid int) error {
	if s.group == nil {
		return nil
	}
	if err := s.group.Add(pid); err != nil {
		return err
	}
	s.started = time.Now()
	return nil
}

var _ launch.Sandbox = (*sandbox)(nil)

// context ends at the time-out, if there is one.
func (s *sandbox) context(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.started.IsZero() {
		s.started = time.Now()
	}
	if s.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.timeout)
}

// finish notes whether the time-out ended the container and closes the
// sandbox, once the container has ended; ctx is the one context returned.
func (s *sandbox) finish(ctx context.Context) {
	s.timedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
	s.Close()
}

// Close reads the group's statistics, kills what is left in it and
// removes it: after the container ended, or when it never ran. A second
// call does nothing.
func (s *sandbox) Close() {
	if s == nil || s.group == nil || s.closed {
		return
	}
	s.closed = true
	s.stats = s.group.Stats()
	s.group.Kill()
	if err := s.group.Remove(); err != nil {
		slog.Warn("remove cgroup", "err", err)
	}
}

// exit is the code and error hull reports for status.
func (s *sandbox) exit(status isolation.ExitStatus) (int, error) {
	if s.timedOut {
		return ExitTimeout, fmt.Errorf("%w %s; killed", ErrTimeout, s.timeout)
	}
	return status.Code, nil
}

// Result is what `hull run --result FILE` writes: one JSON object a CI
// system can read.
type Result struct {
	ContainerID string `json:"container_id,omitempty"`
	ExitCode    int    `json:"exit_code"`
	// Signal is the signal that ended the container's PID 1, if one did.
	Signal   string  `json:"signal,omitempty"`
	Duration float64 `json:"duration_seconds"`
	// PeakMemory is in bytes; null when no memory cgroup measured it.
	PeakMemory  *int64 `json:"peak_memory_bytes"`
	OOMKilled   bool   `json:"oom_killed"`
	TimedOut    bool   `json:"timed_out"`
	ImageID     string `json:"image_id,omitempty"`
	ImageDigest string `json:"image_digest,omitempty"`
	// Error is hull's own error, when it could not run the container.
	Error string `json:"error,omitempty"`
}

// result is the Result of a finished start.
func (s *sandbox) result(status isolation.ExitStatus) Result {
	r := Result{ExitCode: status.Code, OOMKilled: s.stats.OOMKills > 0, TimedOut: s.timedOut,
		Duration: time.Since(s.started).Seconds()}
	if status.Signal != 0 {
		r.Signal = unix.SignalName(status.Signal)
	}
	if s.timedOut {
		r.ExitCode, r.Signal = ExitTimeout, "SIGKILL"
	}
	if s.group != nil && s.stats.PeakMemory > 0 {
		peak := s.stats.PeakMemory
		r.PeakMemory = &peak
	}
	return r
}

// writeResult writes r to file atomically (temp file and rename), so a
// CI job never reads half an object.
func writeResult(file string, r Result) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".hull-result-*")
	if err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	_, err = tmp.Write(append(data, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write result %s: %w", file, err)
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// writeRunResult completes r with the container's image and writes it.
func (h *Hull) writeRunResult(file string, c *container.Container, r Result) error {
	r.ContainerID, r.ImageID = c.ID, c.ImageID
	if img, err := h.Images.Lookup(c.ImageID); err == nil {
		r.ImageDigest = img.Digest
	}
	return writeResult(file, r)
}

// resultFailed writes a result for a run that failed before the container
// ended (hull's error, exit code 125, 126 or 127); a result already
// written is kept. It returns err.
func (h *Hull) resultFailed(file string, err error) error {
	// A run the default hull hands to the full hull (a pull) has no
	// outcome yet: the full hull writes it.
	if file == "" || err == nil || errors.Is(err, ErrTimeout) || errors.Is(err, appbin.ErrNeedsFullHull) {
		return err
	}
	if _, serr := os.Stat(file); serr == nil {
		return err
	}
	if werr := writeResult(file, Result{ExitCode: ExitCode(err), Error: err.Error()}); werr != nil {
		slog.Warn("write result", "err", werr)
	}
	return err
}

// warnLimits prints the warnings of c's limit plan to w (a detached
// run, whose monitor has no terminal to warn on); errors are the
// monitor's to report.
func warnLimits(c *container.Container, w io.Writer) {
	if w == nil {
		return
	}
	plan, err := planLimits(c.HostConfig.Limits, cgroupLayout(), false)
	if err != nil {
		return
	}
	for _, msg := range plan.warnings {
		fmt.Fprintf(w, "hull: warning: %s\n", msg)
	}
}

// MappingFor is the id mapping c runs with: the store's, or the one its
// --userns asks for.
func (h *Hull) MappingFor(c *container.Container) (isolation.Mapping, error) {
	if m, ok, err := h.joinedMapping(c); ok {
		return m, err
	}
	switch c.HostConfig.UsernsMode {
	case container.UsernsKeepID:
		return isolation.KeepID(h.Mapping, os.Getuid(), os.Getgid())
	case container.UsernsHost:
		return isolation.Single(os.Getuid(), os.Getgid()), nil
	}
	return h.Mapping, nil
}

// LimitSupport is one line of `hull info`'s limits: how a flag is
// enforced here ("cgroup v1 DIR", "rlimit …", "no") and why not.
type LimitSupport struct {
	Flags    string
	Enforced bool
	How      string
	Why      string `json:",omitempty"`
}

// limitSupport describes every limit flag against layout.
func limitSupport(layout cgroup.Layout) []LimitSupport {
	rows := []struct{ flags, ctrl, fallback string }{
		{"--memory, --memory-swap", cgroup.Memory, "RLIMIT_AS per process (approximation; an error with --strict-limits)"},
		{"--pids-limit", cgroup.Pids, "RLIMIT_NPROC per user id (approximation; an error with --strict-limits)"},
		{"--cpus, --cpu-shares", cgroup.CPU, "not enforced (warning; an error with --strict-limits)"},
	}
	var out []LimitSupport
	for _, r := range rows {
		if p, ok := layout.Places[r.ctrl]; ok {
			out = append(out, LimitSupport{Flags: r.flags, Enforced: true, How: fmt.Sprintf("cgroup v%d %s", p.Version, p.Dir)})
			continue
		}
		out = append(out, LimitSupport{Flags: r.flags, How: r.fallback, Why: layout.Reasons[r.ctrl]})
	}
	return append(out, LimitSupport{Flags: "--ulimit", Enforced: true, How: "setrlimit in the container (lowering only)"},
		LimitSupport{Flags: "--timeout", Enforced: true, How: "hull kills the container (the monitor, when detached)"})
}

// killDescendants sends SIGKILL to every descendant of pid (not pid
// itself). The whole tree is collected first (from the parent pids in
// /proc/PID/stat), so that none escapes by being reparented meanwhile.
func killDescendants(pid int) {
	children := map[int][]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range dirs {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// "PID (COMM) STATE PPID …"; COMM may hold spaces and parentheses.
		rest := string(data[strings.LastIndexByte(string(data), ')')+1:])
		fields := strings.Fields(rest)
		p, err1 := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(f, "/proc/"), "/stat"))
		if len(fields) < 2 || err1 != nil {
			continue
		}
		if ppid, err := strconv.Atoi(fields[1]); err == nil {
			children[ppid] = append(children[ppid], p)
		}
	}
	var all []int
	for queue := children[pid]; len(queue) > 0; queue = queue[1:] {
		all = append(all, queue[0])
		queue = append(queue, children[queue[0]]...)
	}
	for _, c := range all {
		_ = unix.Kill(c, unix.SIGKILL)
	}
}
