package builders

import (
	"errors"
	"strings"
	"testing"

	"github.com/hull-project/hull/builders/dockerfile"
)

func TestCheckAllow(t *testing.T) {
	if err := checkAllow([]string{"network.host", "network.host"}); err != nil {
		t.Errorf("--allow network.host: %v", err)
	}
	for _, bad := range []string{"security.insecure", "network", "host", ""} {
		if err := checkAllow([]string{bad}); err == nil {
			t.Errorf("--allow %q accepted", bad)
		}
	}
}

// A step (or a plugin's run) asking for the host's network is refused
// unless the user granted network.host; the build's own --network host is
// the user's choice.
func TestNetworkHostNeedsEntitlement(t *testing.T) {
	b := &build{opts: Options{Network: "none"}}
	_, err := b.network("host")
	if !errors.Is(err, ErrNotEntitled) || !strings.Contains(err.Error(), "--allow network.host") {
		t.Fatalf("network host without --allow: %v, want ErrNotEntitled naming the flag", err)
	}
	for _, step := range []string{"", "default", "none"} {
		if m, err := b.network(step); err != nil || m.Name != "none" {
			t.Errorf("step network %q under --network none: %v, %v", step, m, err)
		}
	}
	b.opts.Allow = []string{EntitlementNetworkHost}
	if m, err := b.network("host"); err != nil || m.Name != "host" {
		t.Errorf("network host with --allow network.host: %v, %v", m, err)
	}
	own := &build{opts: Options{Network: "host"}}
	if m, err := own.network(""); err != nil || m.Name != "host" {
		t.Errorf("hull build --network host: %v, %v", m, err)
	}
}

func TestStepEntitlements(t *testing.T) {
	df, err := dockerfile.Parse(strings.NewReader("FROM scratch\nARG N=host\nRUN --network=$N true\nRUN --security=insecure true\nRUN --network=none true\n"), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	b := &build{df: df}
	st := &stageState{stageResult: &stageResult{}, stage: &df.Stages[0]}
	st.args.set("N", "host")
	ins := df.Stages[0].Instructions
	if err := b.checkStepEntitlements(st, ins[1]); !errors.Is(err, ErrNotEntitled) {
		t.Errorf("RUN --network=$N (host): %v, want ErrNotEntitled", err)
	}
	if err := b.checkStepEntitlements(st, ins[2]); err == nil || !strings.Contains(err.Error(), "security.insecure") {
		t.Errorf("RUN --security=insecure: %v", err)
	}
	if err := b.checkStepEntitlements(st, ins[3]); err != nil {
		t.Errorf("RUN --network=none: %v", err)
	}
	b.opts.Allow = []string{EntitlementNetworkHost}
	if err := b.checkStepEntitlements(st, ins[1]); err != nil {
		t.Errorf("RUN --network=host with --allow network.host: %v", err)
	}
}

// An ADD of a URL built with network.host keys apart from the same ADD
// without it, so a build without --allow never replays what the host's
// loopback served; nothing else changes key.
func TestEntitlementKey(t *testing.T) {
	add := dockerfile.Instruction{Keyword: "ADD", Args: []string{"http://127.0.0.1:8080/x /x"}}
	copyIns := dockerfile.Instruction{Keyword: "COPY", Args: []string{"a /a"}}
	plain, granted := &build{}, &build{opts: Options{Allow: []string{EntitlementNetworkHost}}}
	if k := plain.entitlementKey(add); k != nil {
		t.Errorf("ADD without --allow: key extra %v, want none", k)
	}
	if k := granted.entitlementKey(add); len(k) != 1 {
		t.Errorf("ADD of a URL with --allow network.host: key extra %v, want the entitlement", k)
	}
	if k := granted.entitlementKey(copyIns); k != nil {
		t.Errorf("COPY with --allow: key extra %v, want none", k)
	}
}
