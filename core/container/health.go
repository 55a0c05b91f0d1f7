package container

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Healthcheck is Docker's Config.Healthcheck: the image's HEALTHCHECK
// with the run flags applied. Test is ["NONE"] (disabled), ["CMD", ARGS...]
// or ["CMD-SHELL", COMMAND]; a zero duration or Retries is the default.
type Healthcheck struct {
	Test        []string      `json:"Test,omitempty"`
	Interval    time.Duration `json:"Interval,omitempty"`
	Timeout     time.Duration `json:"Timeout,omitempty"`
	StartPeriod time.Duration `json:"StartPeriod,omitempty"`
	Retries     int           `json:"Retries,omitempty"`
}

// Docker's defaults for a health check.
const (
	DefaultHealthInterval = 30 * time.Second
	DefaultHealthTimeout  = 30 * time.Second
	DefaultHealthRetries  = 3
	// HealthLogEntries is how many probe results State.Health keeps.
	HealthLogEntries = 5
	// HealthOutputMax bounds the output kept of one probe, in bytes.
	HealthOutputMax = 4096
)

// Health states, as Docker names them.
const (
	HealthStarting  = "starting"
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// HealthOptions are the --health-* and --no-healthcheck flags; a zero
// field keeps the image's value.
type HealthOptions struct {
	Cmd         string
	Interval    time.Duration
	Timeout     time.Duration
	StartPeriod time.Duration
	Retries     int
	None        bool
}

// Health is Docker's State.Health.
type Health struct {
	Status        string      `json:"Status"`
	FailingStreak int         `json:"FailingStreak"`
	Log           []HealthLog `json:"Log"`
}

// HealthLog is one probe's result.
type HealthLog struct {
	Start    time.Time `json:"Start"`
	End      time.Time `json:"End"`
	ExitCode int       `json:"ExitCode"`
	Output   string    `json:"Output"`
}

// RestartPolicy is Docker's HostConfig.RestartPolicy.
type RestartPolicy struct {
	Name              string `json:"Name"` // "no", "on-failure", "always", "unless-stopped"
	MaximumRetryCount int    `json:"MaximumRetryCount"`
}

// ParseRestart reads a --restart value: no, on-failure[:N], always or
// unless-stopped.
func ParseRestart(s string) (RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	p := RestartPolicy{Name: name}
	switch name {
	case "", "no":
		p.Name = "no"
	case "always", "unless-stopped":
	case "on-failure":
		if hasCount {
			n, err := strconv.Atoi(count)
			if err != nil || n < 0 {
				return p, fmt.Errorf("invalid restart policy %q: the maximum retry count must be a non-negative integer", s)
			}
			p.MaximumRetryCount = n
		}
		return p, nil
	default:
		return p, fmt.Errorf("invalid restart policy %q: no, on-failure[:N], always or unless-stopped", s)
	}
	if hasCount {
		return p, fmt.Errorf("invalid restart policy %q: maximum retry count can only be used with 'on-failure'", s)
	}
	return p, nil
}

// IsNone reports whether the policy never restarts.
func (p RestartPolicy) IsNone() bool { return p.Name == "" || p.Name == "no" }

// ShouldRestart reports whether a container that exited with code, after
// restarts restarts, is started again. A container the user stopped is
// not (stopped says so).
func (p RestartPolicy) ShouldRestart(code, restarts int, stopped bool) bool {
	if stopped {
		return false
	}
	switch p.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return code != 0 && (p.MaximumRetryCount == 0 || restarts < p.MaximumRetryCount)
	}
	return false
}

// setHealthRestart applies the health flags over the image's HEALTHCHECK
// and the --restart policy.
func (c *Container) setHealthRestart(o Options, img ImageRef) error {
	p, err := ParseRestart(o.Restart)
	if err != nil {
		return err
	}
	if !p.IsNone() && o.AutoRemove {
		return errors.New("conflicting options: cannot specify both --restart and --rm")
	}
	c.HostConfig.RestartPolicy = p
	hc, err := mergeHealthcheck(o.Health, img.Healthcheck)
	if err != nil {
		return err
	}
	c.Config.Healthcheck = hc
	return nil
}

// mergeHealthcheck is the image's health check with the flags over it, as
// Docker merges them: each given flag replaces its field.
func mergeHealthcheck(o HealthOptions, img *Healthcheck) (*Healthcheck, error) {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--health-interval", o.Interval}, {"--health-timeout", o.Timeout}, {"--health-start-period", o.StartPeriod}} {
		if d.v < 0 || (d.v > 0 && d.v < time.Millisecond) {
			return nil, fmt.Errorf("%s cannot be less than 1ms", d.name)
		}
	}
	if o.Retries < 0 {
		return nil, errors.New("--health-retries cannot be negative")
	}
	if o.None {
		if o.Cmd != "" || o.Interval != 0 || o.Timeout != 0 || o.StartPeriod != 0 || o.Retries != 0 {
			return nil, errors.New("--no-healthcheck conflicts with --health-* options")
		}
		return &Healthcheck{Test: []string{"NONE"}}, nil
	}
	var hc Healthcheck
	if img != nil {
		hc = *img
		hc.Test = append([]string(nil), img.Test...)
	}
	if o.Cmd != "" {
		hc.Test = []string{"CMD-SHELL", o.Cmd}
	}
	if o.Interval != 0 {
		hc.Interval = o.Interval
	}
	if o.Timeout != 0 {
		hc.Timeout = o.Timeout
	}
	if o.StartPeriod != 0 {
		hc.StartPeriod = o.StartPeriod
	}
	if o.Retries != 0 {
		hc.Retries = o.Retries
	}
	if len(hc.Test) == 0 && hc.Interval == 0 && hc.Timeout == 0 && hc.StartPeriod == 0 && hc.Retries == 0 {
		return nil, nil
	}
	return &hc, nil
}

// HealthProbe is the command a health check runs, or nil when the
// container has none (no HEALTHCHECK, or NONE).
func (c *Container) HealthProbe() []string {
	hc := c.Config.Healthcheck
	if hc == nil || len(hc.Test) == 0 {
		return nil
	}
	switch hc.Test[0] {
	case "CMD":
		if len(hc.Test) > 1 {
			return hc.Test[1:]
		}
	case "CMD-SHELL":
		if len(hc.Test) > 1 {
			return []string{"/bin/sh", "-c", strings.Join(hc.Test[1:], " ")}
		}
	}
	return nil
}

// HealthTiming is the check's interval, time-out, start period and
// retries, defaults filled in.
func (c *Container) HealthTiming() (interval, timeout, startPeriod time.Duration, retries int) {
	hc := c.Config.Healthcheck
	interval, timeout, retries = DefaultHealthInterval, DefaultHealthTimeout, DefaultHealthRetries
	if hc == nil {
		return
	}
	if hc.Interval > 0 {
		interval = hc.Interval
	}
	if hc.Timeout > 0 {
		timeout = hc.Timeout
	}
	if hc.Retries > 0 {
		retries = hc.Retries
	}
	return interval, timeout, hc.StartPeriod, retries
}

// AddHealthResult records one probe of the running container: its log
// (the last HealthLogEntries), the failing streak, and the status, as
// Docker decides it. A failure within the start period, before the first
// success, does not count.
func (c *Container) AddHealthResult(r HealthLog) {
	h := c.State.Health
	if h == nil {
		h = &Health{Status: HealthStarting}
		c.State.Health = h
	}
	if len(r.Output) > HealthOutputMax {
		r.Output = r.Output[:HealthOutputMax]
	}
	h.Log = append(h.Log, r)
	if len(h.Log) > HealthLogEntries {
		h.Log = append([]HealthLog(nil), h.Log[len(h.Log)-HealthLogEntries:]...)
	}
	if r.ExitCode == 0 {
		h.Status, h.FailingStreak = HealthHealthy, 0
		return
	}
	_, _, startPeriod, retries := c.HealthTiming()
	if h.Status == HealthStarting && r.Start.Sub(c.State.StartedAt) < startPeriod {
		return
	}
	h.FailingStreak++
	if h.FailingStreak >= retries {
		h.Status = HealthUnhealthy
	}
}
