package core

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hull-project/hull/core/cgroup"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/isolation"
)

func TestPlanLimitsUsesCgroupsAndDockerSwapDefault(t *testing.T) {
	layout := cgroup.Layout{Places: map[string]cgroup.Place{
		cgroup.Memory: {Dir: "/m", Version: 1}, cgroup.Pids: {Dir: "/p", Version: 1}, cgroup.CPU: {Dir: "/c", Version: 1}}}
	p, err := planLimits(container.Limits{Memory: 64 << 20, PidsLimit: 10, NanoCPUs: 1e9}, layout, false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.ctrls, []string{cgroup.Memory, cgroup.Pids, cgroup.CPU}) || len(p.rlimits) != 0 || len(p.warnings) != 0 {
		t.Errorf("plan: %+v", p)
	}
	if p.resources.MemorySwap != 128<<20 {
		t.Errorf("default memory+swap = %d, want twice the memory (Docker)", p.resources.MemorySwap)
	}
}

func TestPlanLimitsFallbacksWarn(t *testing.T) {
	layout := cgroup.Layout{Places: map[string]cgroup.Place{}, Reasons: map[string]string{
		cgroup.Memory: "no memory", cgroup.Pids: "no pids", cgroup.CPU: "no cpu"}}
	p, err := planLimits(container.Limits{Memory: 64 << 20, PidsLimit: 10, CPUShares: 100}, layout, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []isolation.Rlimit{{Type: "as", Soft: 64 << 20, Hard: 64 << 20}, {Type: "nproc", Soft: 10, Hard: 10}}
	if !reflect.DeepEqual(p.rlimits, want) {
		t.Errorf("rlimits %+v, want %+v", p.rlimits, want)
	}
	if len(p.warnings) != 3 || !strings.Contains(p.warnings[2], "--cpus and --cpu-shares are not enforced: no cpu") {
		t.Errorf("warnings: %q", p.warnings)
	}
	if len(p.ctrls) != 0 {
		t.Errorf("controllers without a place: %v", p.ctrls)
	}
}

func TestPlanLimitsStrict(t *testing.T) {
	layout := cgroup.Layout{Places: map[string]cgroup.Place{cgroup.Memory: {Dir: "/m", Version: 2}},
		Reasons: map[string]string{cgroup.Pids: "no pids"}}
	if _, err := planLimits(container.Limits{Memory: 64 << 20, Strict: true}, layout, false); err != nil {
		t.Errorf("an enforceable limit refused: %v", err)
	}
	_, err := planLimits(container.Limits{PidsLimit: 5, Strict: true}, layout, false)
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "no pids") {
		t.Errorf("strict: %v", err)
	}
}

func TestPlanLimitsMeasureAddsMemory(t *testing.T) {
	layout := cgroup.Layout{Places: map[string]cgroup.Place{cgroup.Memory: {Dir: "/m", Version: 1}}}
	p, _ := planLimits(container.Limits{}, layout, true)
	if !reflect.DeepEqual(p.ctrls, []string{cgroup.Memory}) {
		t.Errorf("measure: %v", p.ctrls)
	}
}
