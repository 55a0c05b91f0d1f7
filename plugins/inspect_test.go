package plugins

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func checksOf(r *Report) map[string]Check {
	m := map[string]Check{}
	for _, c := range r.Checks {
		m[c.Name] = c
	}
	return m
}

func TestInspectConformingPlugin(t *testing.T) {
	t.Setenv(modeEnv, "hello")
	r, err := Inspect(context.Background(), os.Args[0], InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK {
		t.Fatalf("a conforming plugin fails inspection: %+v", r.Checks)
	}
	want := []string{"executable", "magic cookie", "handshake", "health", "info", "cache inputs HELLO", "shutdown"}
	if len(r.Checks) != len(want) {
		t.Fatalf("checks = %+v, want %q", r.Checks, want)
	}
	for i, c := range r.Checks {
		if c.Name != want[i] {
			t.Errorf("check %d = %q, want %q", i, c.Name, want[i])
		}
	}
	if r.Kind != "instruction" || r.Info.Name != "hello" || r.Info.Version != "1.0" || r.Info.Description != "says hello" {
		t.Errorf("report = %+v", r)
	}
	if !strings.HasPrefix(r.Handshake, "1|1|unix|") || !strings.Contains(r.Handshake, "|grpc") {
		t.Errorf("handshake = %q", r.Handshake)
	}
	if sum, _ := FileSHA256(os.Args[0]); r.SHA256 != sum || len(sum) != 64 {
		t.Errorf("sha256 = %q, want %q", r.SHA256, sum)
	}
	if d := checksOf(r)["cache inputs HELLO"].Detail; d != "accepts HELLO with no arguments" {
		t.Errorf("cache inputs detail = %q", d)
	}
}

func TestInspectWrongProtocolVersion(t *testing.T) {
	// Prints a protocol-2 handshake whatever its environment says, and
	// runs on: the magic cookie check waits StartTimeout out, and the
	// handshake must come within it however loaded the machine.
	t.Setenv(modeEnv, "version2")
	r, err := Inspect(context.Background(), os.Args[0], InspectOptions{StartTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := checksOf(r)
	if r.OK || c["handshake"].OK || !strings.Contains(c["handshake"].Detail, `protocol "2", hull speaks 1`) {
		t.Errorf("handshake check = %+v", c["handshake"])
	}
	if c["magic cookie"].OK || !strings.Contains(c["magic cookie"].Detail, "without HULL_PLUGIN") {
		t.Errorf("magic cookie check = %+v", c["magic cookie"])
	}
	if _, ok := c["info"]; ok {
		t.Errorf("checks went on after a failed handshake: %+v", r.Checks)
	}
}

func TestInspectNotAPlugin(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'I am a script' >&2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := Inspect(context.Background(), script, InspectOptions{StartTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := checksOf(r)
	if r.OK || !strings.Contains(c["magic cookie"].Detail, "exited 0 without HULL_PLUGIN") {
		t.Errorf("magic cookie check = %+v", c["magic cookie"])
	}
	if h := c["handshake"]; h.OK || !strings.Contains(h.Detail, "without a handshake; stderr: I am a script") {
		t.Errorf("handshake check = %+v", h)
	}

	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err = Inspect(context.Background(), plain, InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || len(r.Checks) != 1 || r.Checks[0].Name != "executable" || r.Checks[0].OK {
		t.Errorf("a plain file: %+v", r.Checks)
	}
	if _, err := Inspect(context.Background(), filepath.Join(dir, "missing"), InspectOptions{}); err == nil {
		t.Error("a missing file: no error")
	}
}
