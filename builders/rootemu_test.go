package builders

import (
	"slices"
	"strings"
	"testing"

	"github.com/hull-project/hull/isolation"
)

func TestEmulateRun(t *testing.T) {
	single := isolation.Single(1000, 1000)
	spec := &isolation.Spec{RootEmulation: true, Mapping: single, UID: 1001, GID: 1002,
		AdditionalGIDs: []int{0, 27}, Env: []string{"PATH=/bin"}}
	ws := &workspace{}
	emulateRun(spec, ws, "app")
	if spec.UID != 0 || spec.GID != 0 || !slices.Equal(spec.AdditionalGIDs, []int{0}) {
		t.Errorf("ids %d:%d %v, want 0:0 [0]", spec.UID, spec.GID, spec.AdditionalGIDs)
	}
	if !slices.Equal(ws.lost, []string{"USER app (1001:1002)"}) {
		t.Errorf("lost %q", ws.lost)
	}
	if !slices.Contains(spec.Env, "APT_CONFIG="+aptConfigPath) || !strings.Contains(spec.Files[aptConfigPath], `APT::Sandbox::User "root";`) {
		t.Errorf("env %q files %q: no apt configuration", spec.Env, spec.Files)
	}
	if !strings.HasPrefix(aptConfigPath, "/dev/") {
		t.Errorf("%s is not in the container's private /dev: it would end up in the layer", aptConfigPath)
	}

	// The step's own APT_CONFIG is kept; root stays root and is not lost.
	spec = &isolation.Spec{RootEmulation: true, Mapping: single, Env: []string{"APT_CONFIG=/etc/mine"}}
	ws = &workspace{}
	emulateRun(spec, ws, "")
	if len(ws.lost) != 0 || len(spec.Files) != 0 || !slices.Equal(spec.Env, []string{"APT_CONFIG=/etc/mine"}) {
		t.Errorf("with APT_CONFIG set: lost %q files %q env %q", ws.lost, spec.Files, spec.Env)
	}

	// Forced emulation with a range: the filter fakes the switch to a
	// mapped USER too, so it is recorded as well.
	ids := []isolation.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 200000, Size: 65536}}
	full := isolation.Mapping{UIDs: ids, GIDs: ids}
	spec = &isolation.Spec{RootEmulation: true, Mapping: full, UID: 1001, GID: 1001}
	ws = &workspace{}
	emulateRun(spec, ws, "app")
	if spec.UID != 0 || !slices.Equal(ws.lost, []string{"USER app (1001:1001)"}) {
		t.Errorf("forced emulation with a range: uid %d lost %q", spec.UID, ws.lost)
	}

	// Without emulation nothing changes (a full mapping's USER is real).
	spec = &isolation.Spec{Mapping: single, UID: 1001, GID: 1001}
	emulateRun(spec, &workspace{}, "app")
	if spec.UID != 1001 || spec.Env != nil || spec.Files != nil {
		t.Errorf("without emulation the spec changed: %+v", spec)
	}
}

func TestLostSummary(t *testing.T) {
	base := addLost(nil, "b", "a")
	more := addLost(base[:1], "c")
	if !slices.Equal(base, []string{"a", "b"}) || !slices.Equal(more, []string{"a", "c"}) {
		t.Errorf("addLost shares its input: base %q more %q", base, more)
	}
	var many []string
	for i := range 12 {
		many = addLost(many, string(rune('a'+i)))
	}
	if got := lostSummary(many); got != "a, b, c, d, e, f, g, h, i, j and 2 more" {
		t.Errorf("lostSummary %q", got)
	}
}
