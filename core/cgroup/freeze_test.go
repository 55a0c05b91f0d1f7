package cgroup

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestFreezeV2(t *testing.T) {
	root := fakeFS(t, map[string]string{
		"hull-1001/hull-c1/cgroup.freeze": "0",
		"hull-1001/hull-c1/cgroup.events": "populated 1\nfrozen 1\n",
	})
	l := Layout{Places: map[string]Place{Memory: {Dir: filepath.Join(root, "hull-1001"), Version: 2}}}
	thaw, err := Freeze(Env{UID: 1001}, l, "hull-c1")
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(root, "hull-1001/hull-c1/cgroup.freeze")); got != "1" {
		t.Errorf("cgroup.freeze = %q while frozen", got)
	}
	if err := thaw(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(root, "hull-1001/hull-c1/cgroup.freeze")); got != "0" {
		t.Errorf("cgroup.freeze = %q after thaw", got)
	}
	if _, err := Freeze(Env{UID: 1001}, l, "hull-other"); !errors.Is(err, ErrNoFreezer) {
		t.Errorf("freeze of a missing group: %v", err)
	}
}

func TestFreezeV1(t *testing.T) {
	root := fakeFS(t, map[string]string{"freezer/hull-1001/hull-c1/freezer.state": "THAWED"})
	env := Env{UID: 1001, V1: map[string]string{Freezer: filepath.Join(root, "freezer")}}
	thaw, err := Freeze(env, Layout{}, "hull-c1")
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(root, "freezer/hull-1001/hull-c1/freezer.state")
	if got := read(t, state); got != "FROZEN" {
		t.Errorf("freezer.state = %q", got)
	}
	if err := thaw(); err != nil || read(t, state) != "THAWED" {
		t.Errorf("thaw: %v, state %q", err, read(t, state))
	}
}

func TestFreezeTimesOutAndThaws(t *testing.T) {
	defer func(d time.Duration) { freezeWait = d }(freezeWait)
	freezeWait = 50 * time.Millisecond
	root := fakeFS(t, map[string]string{
		"g/hull-c1/cgroup.freeze": "0",
		"g/hull-c1/cgroup.events": "frozen 0\n",
	})
	l := Layout{Places: map[string]Place{Pids: {Dir: filepath.Join(root, "g"), Version: 2}}}
	if _, err := Freeze(Env{}, l, "hull-c1"); err == nil {
		t.Fatal("freeze of a group that never freezes succeeded")
	}
	if got := read(t, filepath.Join(root, "g/hull-c1/cgroup.freeze")); got != "0" {
		t.Errorf("cgroup.freeze = %q after a failed freeze", got)
	}
}
