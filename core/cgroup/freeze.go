package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Freezer is the v1 controller that can freeze a group (v2 groups have
// cgroup.freeze without one).
const Freezer = "freezer"

// freezeWait bounds how long Freeze waits for the kernel to report the
// group frozen.
var freezeWait = 5 * time.Second

// Freeze freezes the group called name (a container's, "hull-ID") with
// the cgroup freezer: cgroup.freeze in the unified hierarchy, else
// freezer.state under env's v1 freezer hierarchy (in the user's
// delegated hull-UID directory). It returns the thaw function, or
// ErrNoFreezer when the group exists in neither.
func Freeze(env Env, l Layout, name string) (thaw func() error, err error) {
	for _, dir := range freezeCandidates(env, l, name) {
		if _, err := os.Stat(filepath.Join(dir.Dir, freezeFile(dir.Version))); err != nil {
			continue
		}
		if err := setFrozen(dir, true); err != nil {
			_ = setFrozen(dir, false)
			return nil, err
		}
		return func() error { return setFrozen(dir, false) }, nil
	}
	return nil, ErrNoFreezer
}

// ErrNoFreezer: the group has no freezer hull may use.
var ErrNoFreezer = errors.New("no cgroup freezer for the group")

// freezeCandidates are the directories where group name may live: under
// each v2 Place of l, then under the v1 freezer's delegated directory.
func freezeCandidates(env Env, l Layout, name string) []Place {
	var out []Place
	seen := map[string]bool{}
	for _, c := range Controllers {
		if p, ok := l.Places[c]; ok && p.Version == 2 && !seen[p.Dir] {
			seen[p.Dir] = true
			out = append(out, Place{Dir: filepath.Join(p.Dir, name), Version: 2})
		}
	}
	if mnt, ok := env.V1[Freezer]; ok {
		out = append(out, Place{Dir: filepath.Join(mnt, DelegationName(env.UID), name), Version: 1})
	}
	return out
}

func freezeFile(version int) string {
	if version == 1 {
		return "freezer.state"
	}
	return "cgroup.freeze"
}

// setFrozen writes the freeze state and, when freezing, waits until the
// kernel reports every task of the group frozen.
func setFrozen(p Place, frozen bool) error {
	value := map[bool]string{true: "1", false: "0"}[frozen]
	if p.Version == 1 {
		value = map[bool]string{true: "FROZEN", false: "THAWED"}[frozen]
	}
	if err := write(p.Dir, freezeFile(p.Version), value); err != nil {
		return err
	}
	if !frozen {
		return nil
	}
	for deadline := time.Now().Add(freezeWait); ; time.Sleep(5 * time.Millisecond) {
		if isFrozen(p) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("freeze cgroup %s: not frozen after %s", p.Dir, freezeWait)
		}
	}
}

// isFrozen reads the group's state: "frozen 1" in cgroup.events (v2),
// FROZEN in freezer.state (v1; FREEZING while tasks are still running).
func isFrozen(p Place) bool {
	if p.Version == 1 {
		data, err := os.ReadFile(filepath.Join(p.Dir, "freezer.state"))
		return err == nil && strings.TrimSpace(string(data)) == "FROZEN"
	}
	return readKey(filepath.Join(p.Dir, "cgroup.events"), "frozen") == 1
}

// Thaw thaws the group called name that Freeze (of this or an earlier
// hull process: docker pause and unpause are two commands) froze. It
// returns ErrNoFreezer when the group exists in no freezer hierarchy.
func Thaw(env Env, l Layout, name string) error {
	for _, dir := range freezeCandidates(env, l, name) {
		if _, err := os.Stat(filepath.Join(dir.Dir, freezeFile(dir.Version))); err != nil {
			continue
		}
		return setFrozen(dir, false)
	}
	return ErrNoFreezer
}
