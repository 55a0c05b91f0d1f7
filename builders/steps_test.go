package builders

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hull-project/hull/isolation"
)

// fakeSteps is a StepRunner that starts nothing: it records what the
// engine asked for and ends each step as told.
type fakeSteps struct {
	got      []StepSpec
	startErr error
	status   isolation.ExitStatus
	output   string // written to the step's stdout
}

func (f *fakeSteps) StartStep(ctx context.Context, s StepSpec) (StepProcess, error) {
	f.got = append(f.got, s)
	if f.startErr != nil {
		return nil, f.startErr
	}
	if s.Stdio.Stdout != nil {
		_, _ = s.Stdio.Stdout.Write([]byte(f.output))
	}
	return fakeStep{f.status}, nil
}

type fakeStep struct{ status isolation.ExitStatus }

func (s fakeStep) Wait() (isolation.ExitStatus, error) { return s.status, nil }

func newStepBuild(steps StepRunner, network string) *build {
	return &build{id: "b1", opts: Options{Network: network}, env: Env{Steps: steps, StateDir: "/nonexistent"}}
}

// A RUN step reaches the start path through the environment, with the
// step's network (else the build's) and the build's hostname.
func TestRunStepGoesThroughStepRunner(t *testing.T) {
	f := &fakeSteps{status: isolation.ExitStatus{Code: 3}}
	b := newStepBuild(f, "none")
	spec := &isolation.Spec{StateDir: t.TempDir()}
	wait, err := b.startRun(context.Background(), spec, isolation.Stdio{}, "")
	if err != nil {
		t.Fatal(err)
	}
	status, err := wait()
	if err != nil || status.Code != 3 {
		t.Fatalf("wait = %+v, %v; want code 3", status, err)
	}
	if len(f.got) != 1 || f.got[0].Spec != spec || f.got[0].Network.Name != "none" || f.got[0].Hostname != buildHostname {
		t.Fatalf("step runner got %+v", f.got)
	}
}

// The host network is the user's to grant: without it nothing starts.
func TestRunStepHostNetworkNeedsEntitlement(t *testing.T) {
	f := &fakeSteps{}
	b := newStepBuild(f, "")
	if _, err := b.startRun(context.Background(), &isolation.Spec{}, isolation.Stdio{}, "host"); err == nil {
		t.Fatal("RUN --network=host started without --allow network.host")
	}
	if len(f.got) != 0 {
		t.Fatalf("a step started: %+v", f.got)
	}
}

// An interrupted build ends its step with the interruption's cause.
func TestRunStepInterrupted(t *testing.T) {
	f := &fakeSteps{}
	b := newStepBuild(f, "none")
	ctx, cancel := context.WithCancelCause(context.Background())
	wait, err := b.startRun(ctx, &isolation.Spec{StateDir: t.TempDir()}, isolation.Stdio{}, "")
	if err != nil {
		t.Fatal(err)
	}
	cause := errors.New("build interrupted by SIGINT")
	cancel(cause)
	if _, err := wait(); !errors.Is(err, cause) {
		t.Fatalf("wait error %v, want %v", err, cause)
	}
}

// A task goes through the same runner; its failure carries its stderr
// or its exit code, and a start error is returned as it is.
func TestTaskGoesThroughStepRunner(t *testing.T) {
	f := &fakeSteps{output: "tar data"}
	b := newStepBuild(f, "")
	var out bytes.Buffer
	if err := b.diffTask(context.Background(), &workspace{}, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "tar data" || len(f.got) != 1 || f.got[0].Spec.Task == nil || f.got[0].Spec.Task.Name != "diff" {
		t.Fatalf("output %q, step runner got %+v", out.String(), f.got)
	}
	f.status = isolation.ExitStatus{Code: 2}
	if err := b.diffTask(context.Background(), &workspace{}, &out); err == nil || !strings.Contains(err.Error(), "diff: exit code 2") {
		t.Fatalf("failed task error %v", err)
	}
	f.startErr = errors.New("no user namespace")
	if err := b.diffTask(context.Background(), &workspace{}, &out); !errors.Is(err, f.startErr) {
		t.Fatalf("start error %v, want %v", err, f.startErr)
	}
}

// Stages run in parallel: each step's start gets its own state dir, so
// that one step's records (its mount stubs) are never read, or removed,
// by another's (a CI run once failed on a shared "run" dir).
func TestStepStateDirsArePrivate(t *testing.T) {
	f := &fakeSteps{}
	b := newStepBuild(f, "")
	b.dir = "/work/b1"
	for _, n := range []int{0, 1} {
		if err := b.diffTask(context.Background(), b.newWorkspace(n), &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.got) != 2 || f.got[0].Spec.StateDir == f.got[1].Spec.StateDir {
		t.Fatalf("two steps share a state dir: %+v", f.got)
	}
	for _, s := range f.got {
		if filepath.Dir(filepath.Dir(s.Spec.StateDir)) != "/nonexistent" {
			t.Fatalf("state dir %s is not in the build's own dir under the state root", s.Spec.StateDir)
		}
	}
}
