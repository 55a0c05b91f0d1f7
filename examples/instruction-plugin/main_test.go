package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/plugintest"
	"github.com/hull-project/hull/plugins/sdk"
)

// TestPluginProcess builds the example and runs it as hull would.
func TestPluginProcess(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hull-template")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	c, err := plugins.Start(plugins.Options{Path: bin})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Kill()
	if i := c.Info(); i.Name != "template" || len(i.Keywords) != 1 || i.Keywords[0] != "TEMPLATE" {
		t.Fatalf("Info = %+v", i)
	}
	// plugintest.FakeHost is an in-memory root filesystem with the core's
	// rules (paths, symlinks, typed errors).
	host := plugintest.NewFakeHost(map[string]string{"/app/conf.tmpl": "port=${PORT} user=$USER missing=[${NOPE}]\n"})
	req := sdk.Request{
		Instruction: sdk.Instruction{Keyword: "TEMPLATE", Args: []string{"conf.tmpl", "/app/conf"},
			Flags: []sdk.Flag{{Name: "mode", Value: "0600"}}, File: "Dockerfile", Line: 5},
		Config:    sdk.Config{WorkingDir: "/app", Env: []string{"USER=nobody", "PORT=1"}},
		BuildArgs: map[string]string{"PORT": "8080"},
	}
	resp, err := c.Execute(context.Background(), req, host)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := host.File("/app/conf"); string(got) != "port=8080 user=nobody missing=[]\n" || !want {
		t.Errorf("wrote %q", got)
	}
	if fi, err := host.Stat(context.Background(), "/app/conf"); err != nil || fi.Mode.Perm() != 0o600 {
		t.Errorf("stat = %+v, %v", fi, err)
	}
	if resp.History != "TEMPLATE /app/conf.tmpl /app/conf # hull-template" || resp.Config.WorkingDir != "/app" {
		t.Errorf("Response = %+v", resp)
	}
	if logs := host.Logs(); len(logs) != 1 {
		t.Errorf("logs = %q", logs)
	}
	req.Instruction.Args = []string{"/missing", "/x"}
	if _, err := c.Execute(context.Background(), req, host); err == nil ||
		err.Error() != "Dockerfile:5: plugin "+bin+": execute: TEMPLATE read /missing: host read file: read /missing: file does not exist" {
		t.Errorf("missing source: err = %v", err)
	}
}

// TestConformance runs the shared suite in process and across a process.
func TestConformance(t *testing.T) {
	req := sdk.Request{Instruction: sdk.Instruction{Keyword: "TEMPLATE", Args: []string{"/t", "/o"}},
		BuildArgs: map[string]string{"A": "1"}}
	plugintest.Run(t, func() sdk.Handler { return template{} },
		func() sdk.Host { return plugintest.NewFakeHost(map[string]string{"/t": "a=$A"}) },
		plugintest.Case{Name: "expand", Request: req})
}

// TestExecutableConformance runs the built plugin through the suite every
// plugin executable passes, whatever its language (the Python example
// passes the same one).
func TestExecutableConformance(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hull-template")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	newHost := func() sdk.Host { return plugintest.NewFakeHost(map[string]string{"/app/t": "a=$A b=${B}"}) }
	req := sdk.Request{Instruction: sdk.Instruction{Keyword: "TEMPLATE", Args: []string{"t /o"}, File: "Dockerfile", Line: 2},
		Config: sdk.Config{WorkingDir: "/app", Env: []string{"B=2"}}, BuildArgs: map[string]string{"A": "1"}}
	bad := req
	bad.Instruction.Flags = []sdk.Flag{{Name: "mode", Value: "999"}}
	missing := req
	missing.Instruction.Args = []string{"/nope /o"}
	plugintest.RunExecutable(t, bin, newHost,
		plugintest.ExecCase{Name: "expand", Request: req, Check: func(t *testing.T, _ sdk.Response, h sdk.Host) {
			if got, _ := h.(*plugintest.FakeHost).File("/o"); string(got) != "a=1 b=2" {
				t.Errorf("/o = %q", got)
			}
		}},
		plugintest.ExecCase{Name: "bad mode", Request: bad, WantErr: "TEMPLATE --mode=999: want octal permissions"},
		plugintest.ExecCase{Name: "missing source", Request: missing, WantErr: "TEMPLATE read /nope"},
	)
}
