package container

import (
	"strings"
	"testing"
	"time"
)

func TestParseRestart(t *testing.T) {
	for in, want := range map[string]RestartPolicy{
		"": {Name: "no"}, "no": {Name: "no"}, "always": {Name: "always"}, "unless-stopped": {Name: "unless-stopped"},
		"on-failure": {Name: "on-failure"}, "on-failure:3": {Name: "on-failure", MaximumRetryCount: 3},
	} {
		if got, err := ParseRestart(in); err != nil || got != want {
			t.Errorf("ParseRestart(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"sometimes", "on-failure:x", "on-failure:-1", "always:3", "no:1"} {
		if _, err := ParseRestart(bad); err == nil {
			t.Errorf("ParseRestart(%q) accepted", bad)
		}
	}
}

func TestShouldRestart(t *testing.T) {
	onFailure3 := RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}
	for _, c := range []struct {
		p        RestartPolicy
		code, n  int
		stopped  bool
		expected bool
	}{
		{RestartPolicy{Name: "no"}, 1, 0, false, false},
		{RestartPolicy{Name: "always"}, 0, 100, false, true},
		{RestartPolicy{Name: "always"}, 0, 0, true, false},
		{RestartPolicy{Name: "unless-stopped"}, 137, 0, true, false},
		{onFailure3, 0, 0, false, false},
		{onFailure3, 1, 2, false, true},
		{onFailure3, 1, 3, false, false},
		{RestartPolicy{Name: "on-failure"}, 1, 1000, false, true},
	} {
		if got := c.p.ShouldRestart(c.code, c.n, c.stopped); got != c.expected {
			t.Errorf("%+v code %d after %d (stopped %v): %v", c.p, c.code, c.n, c.stopped, got)
		}
	}
}

func TestRestartWithRmRefused(t *testing.T) {
	c := &Container{}
	err := c.setHealthRestart(Options{Restart: "always", AutoRemove: true}, ImageRef{})
	if err == nil || !strings.Contains(err.Error(), "--restart and --rm") {
		t.Errorf("--restart always --rm: %v", err)
	}
	if err := c.setHealthRestart(Options{Restart: "no", AutoRemove: true}, ImageRef{}); err != nil {
		t.Errorf("--restart no --rm: %v", err)
	}
}

func TestMergeHealthcheck(t *testing.T) {
	img := &Healthcheck{Test: []string{"CMD", "true"}, Interval: time.Minute, Retries: 5}
	hc, err := mergeHealthcheck(HealthOptions{Cmd: "test -f /ok", Retries: 2}, img)
	if err != nil || strings.Join(hc.Test, "|") != "CMD-SHELL|test -f /ok" || hc.Interval != time.Minute || hc.Retries != 2 {
		t.Errorf("merged: %+v, %v", hc, err)
	}
	if hc, _ := mergeHealthcheck(HealthOptions{None: true}, img); hc == nil || hc.Test[0] != "NONE" {
		t.Errorf("--no-healthcheck: %+v", hc)
	}
	if _, err := mergeHealthcheck(HealthOptions{None: true, Cmd: "x"}, nil); err == nil {
		t.Error("--no-healthcheck with --health-cmd accepted")
	}
	if hc, _ := mergeHealthcheck(HealthOptions{}, nil); hc != nil {
		t.Errorf("no check: %+v", hc)
	}
	c := &Container{Config: Config{Healthcheck: &Healthcheck{Test: []string{"NONE"}}}}
	if c.HealthProbe() != nil {
		t.Error("NONE has a probe")
	}
	c.Config.Healthcheck = &Healthcheck{Test: []string{"CMD-SHELL", "exit 1"}}
	if got := strings.Join(c.HealthProbe(), " "); got != "/bin/sh -c exit 1" {
		t.Errorf("CMD-SHELL probe: %q", got)
	}
}

func TestAddHealthResult(t *testing.T) {
	start := time.Now()
	c := &Container{Config: Config{Healthcheck: &Healthcheck{Test: []string{"CMD", "x"}, Retries: 2, StartPeriod: time.Minute}}}
	c.SetRunning(1, start)
	fail := HealthLog{Start: start.Add(time.Second), ExitCode: 1, Output: strings.Repeat("x", 5000)}
	c.AddHealthResult(fail) // in the start period: not counted
	if h := c.State.Health; h.Status != HealthStarting || h.FailingStreak != 0 || len(h.Log[0].Output) != HealthOutputMax {
		t.Fatalf("after a failure in the start period: %+v", h)
	}
	c.AddHealthResult(HealthLog{Start: start.Add(2 * time.Second)})
	if h := c.State.Health; h.Status != HealthHealthy {
		t.Fatalf("after a success: %+v", h)
	}
	c.AddHealthResult(fail)
	if h := c.State.Health; h.Status != HealthHealthy || h.FailingStreak != 1 {
		t.Fatalf("after one failure: %+v", h)
	}
	for i := 0; i < 4; i++ {
		c.AddHealthResult(fail)
	}
	if h := c.State.Health; h.Status != HealthUnhealthy || h.FailingStreak != 5 || len(h.Log) != HealthLogEntries {
		t.Fatalf("after failures: status %s streak %d log %d", h.Status, h.FailingStreak, len(h.Log))
	}
}
