package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/plugintest"
	"github.com/hull-project/hull/plugins/sdk"
)

// fakeHost is a root filesystem in a map.
type fakeHost struct {
	sdk.UnimplementedHost
	mu     sync.Mutex
	files  map[string]string
	writes []sdk.WriteFileRequest
	logs   []string
}

func (h *fakeHost) Run(context.Context, sdk.RunRequest) (sdk.RunResult, error) {
	return sdk.RunResult{}, errors.New("not here")
}
func (h *fakeHost) Copy(context.Context, sdk.CopyRequest) error { return errors.New("not here") }
func (h *fakeHost) ReadFile(_ context.Context, p string) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.files[p]; ok {
		return []byte(s), nil
	}
	return nil, errors.New(p + ": no such file")
}
func (h *fakeHost) WriteFile(_ context.Context, r sdk.WriteFileRequest) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.writes = append(h.writes, r)
	h.files[r.Path] = string(r.Content)
	return nil
}
func (h *fakeHost) Log(_ context.Context, m string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logs = append(h.logs, m)
	return nil
}

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
	host := &fakeHost{files: map[string]string{"/app/conf.tmpl": "port=${PORT} user=$USER missing=[${NOPE}]\n"}}
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
	if got, want := host.files["/app/conf"], "port=8080 user=nobody missing=[]\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
	if host.writes[0].Mode != 0o600 {
		t.Errorf("mode = %#o", host.writes[0].Mode)
	}
	if resp.History != "TEMPLATE /app/conf.tmpl /app/conf # hull-template" || resp.Config.WorkingDir != "/app" {
		t.Errorf("Response = %+v", resp)
	}
	if len(host.logs) != 1 {
		t.Errorf("logs = %q", host.logs)
	}
	req.Instruction.Args = []string{"/missing", "/x"}
	if _, err := c.Execute(context.Background(), req, host); err == nil ||
		err.Error() != "Dockerfile:5: plugin "+bin+": execute: TEMPLATE read /missing: host read file: /missing: no such file" {
		t.Errorf("missing source: err = %v", err)
	}
}

// TestConformance runs the shared suite in process and across a process.
func TestConformance(t *testing.T) {
	req := sdk.Request{Instruction: sdk.Instruction{Keyword: "TEMPLATE", Args: []string{"/t", "/o"}},
		BuildArgs: map[string]string{"A": "1"}}
	plugintest.Run(t, func() sdk.Handler { return template{} },
		func() sdk.Host { return &fakeHost{files: map[string]string{"/t": "a=$A"}} },
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
	newHost := func() sdk.Host { return &fakeHost{files: map[string]string{"/app/t": "a=$A b=${B}"}} }
	req := sdk.Request{Instruction: sdk.Instruction{Keyword: "TEMPLATE", Args: []string{"t /o"}, File: "Dockerfile", Line: 2},
		Config: sdk.Config{WorkingDir: "/app", Env: []string{"B=2"}}, BuildArgs: map[string]string{"A": "1"}}
	bad := req
	bad.Instruction.Flags = []sdk.Flag{{Name: "mode", Value: "999"}}
	missing := req
	missing.Instruction.Args = []string{"/nope /o"}
	plugintest.RunExecutable(t, bin, newHost,
		plugintest.ExecCase{Name: "expand", Request: req, Check: func(t *testing.T, _ sdk.Response, h sdk.Host) {
			if got := h.(*fakeHost).files["/o"]; got != "a=1 b=2" {
				t.Errorf("/o = %q", got)
			}
		}},
		plugintest.ExecCase{Name: "bad mode", Request: bad, WantErr: "TEMPLATE --mode=999: want octal permissions"},
		plugintest.ExecCase{Name: "missing source", Request: missing, WantErr: "TEMPLATE read /nope"},
	)
}
