//go:build !appsbin

package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/sdk"
	"github.com/hull-project/hull/plugins/sdk/netsdk"
)

// modeEnv makes the re-executed test binary play a network plugin.
const modeEnv = "HULL_NETWORK_TEST_MODE"

func TestMain(m *testing.M) {
	switch mode := os.Getenv(modeEnv); mode {
	case "":
	case "instruction":
		sdk.Serve(instruction{})
	case "named":
		netsdk.ServeNetworks(fakeNamed{})
	case "proxy":
		if err := ServeProxy(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	default:
		netsdk.Serve(fakeDriver(mode))
	}
	os.Exit(m.Run())
}

// fakeDriver answers from what it is given, so that the test sees the
// request arrive whole; the mode picks a misbehaviour.
type fakeDriver string

func (d fakeDriver) Setup(_ context.Context, req netsdk.Request) (netsdk.Result, error) {
	switch d {
	case "crash":
		// A crash outside the handler: the runtime's trace goes to the
		// real stderr, which hull reads.
		go panic("boom")
		select {}
	case "fail":
		return netsdk.Result{}, errors.New("no such subnet")
	case "inject":
		return netsdk.Result{DNS: []string{"1.2.3.4\nnameserver 6.6.6.6"}}, nil
	}
	if _, err := os.Stat(req.NetNS); err != nil || req.UserNS != filepath.Join(filepath.Dir(req.NetNS), "user") {
		return netsdk.Result{}, fmt.Errorf("bad namespaces %q %q: %v", req.NetNS, req.UserNS, err)
	}
	if err := os.WriteFile(filepath.Join(req.StateDir, "setup"), []byte(req.ContainerID), 0o600); err != nil {
		return netsdk.Result{}, err
	}
	return netsdk.Result{Interface: "eth0", Address: "192.0.2.10/24", Gateway: "192.0.2.1",
		DNS: []string{req.Options["dns"]}, MTU: 1400, Ports: req.Ports}, nil
}

func (d fakeDriver) Teardown(_ context.Context, id string) error {
	return os.WriteFile(filepath.Join(os.Getenv("STATE"), "teardown"), []byte(id), 0o600)
}

// pluginDir installs the test binary as network plugin name, playing mode.
func pluginDir(t *testing.T, name, mode, state string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, PluginSubdir), 0o755); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\nexec env %s=%s STATE=%s %s\n", modeEnv, mode, state, os.Args[0])
	if err := os.WriteFile(filepath.Join(dir, PluginSubdir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openFake(t *testing.T, mode, options string) (*Attachment, string) {
	t.Helper()
	state := t.TempDir()
	m, err := ParseMode("fake" + options)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(m, OpenOptions{ContainerID: "c1", StateDir: state, PluginDirs: []string{t.TempDir(), pluginDir(t, "fake", mode, state)}})
	if err != nil {
		t.Fatal(err)
	}
	return a, state
}

// gone fails t unless the plugin process has been reaped.
func gone(t *testing.T, a *Attachment) {
	t.Helper()
	pid := a.driver.(*externalPlugin).cmd.Process.Pid
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("plugin process %d still there after Close: %v", pid, err)
	}
}

func TestExternalPluginLifecycle(t *testing.T) {
	a, state := openFake(t, "ok", ":dns=192.0.2.53")
	res, err := a.Setup(context.Background(), os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if res.IP() != "192.0.2.10" || res.Gateway != "192.0.2.1" || len(res.DNS) != 1 || res.DNS[0] != "192.0.2.53" || res.MTU != 1400 {
		t.Errorf("result %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(state, "setup")); string(b) != "c1" {
		t.Errorf("setup saw container %q", b)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(state, "teardown")); string(b) != "c1" {
		t.Errorf("teardown saw container %q", b)
	}
	gone(t, a)
}

func TestExternalPluginFailures(t *testing.T) {
	for mode, want := range map[string][]string{
		"crash":  {"network fake: plugin ", "/network/fake: setup: crashed (exit status 2); stderr: panic: boom"},
		"fail":   {"network fake: plugin ", "/network/fake: setup: no such subnet"},
		"inject": {"network fake: plugin result: invalid IP address"},
	} {
		t.Run(mode, func(t *testing.T) {
			a, _ := openFake(t, mode, "")
			start := time.Now()
			_, err := a.Setup(context.Background(), os.Getpid())
			for _, w := range want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want it to contain %q", err, w)
				}
			}
			if mode == "crash" && !errors.Is(err, plugins.ErrCrashed) {
				t.Errorf("%v is not ErrCrashed", err)
			}
			if err := a.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			gone(t, a)
			if d := time.Since(start); d > 20*time.Second { // a hang, not a slow machine
				t.Errorf("took %s", d)
			}
		})
	}
}

func TestFindExternal(t *testing.T) {
	empty, first, second := t.TempDir(), pluginDir(t, "x", "ok", ""), pluginDir(t, "x", "ok", "")
	if p, err := FindExternal("x", []string{empty, first, second}); err != nil || p != filepath.Join(first, "network", "x") {
		t.Errorf("found %q, %v", p, err)
	}
	_, err := FindExternal("nope", []string{empty, first})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), filepath.Join(first, "network")) ||
		!strings.Contains(err.Error(), "(bridge, slirp4netns, pasta, none, host)") || !strings.Contains(err.Error(), "network plugins: x;") {
		t.Errorf("missing plugin: %v", err)
	}
	if _, err := FindExternal("nope", []string{empty}); err == nil || !strings.Contains(err.Error(), "(no network plugins; looked in ") {
		t.Errorf("missing plugin, none installed: %v", err)
	}
	if err := os.Chmod(filepath.Join(first, "network", "x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FindExternal("x", []string{first, second}); !errors.Is(err, plugins.ErrNotExecutable) {
		t.Errorf("not executable: %v", err)
	}
}

func TestExternalNotAPlugin(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, PluginSubdir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, PluginSubdir, "echo"), []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Mode{Name: "echo"}, OpenOptions{PluginDirs: []string{dir}})
	if !errors.Is(err, plugins.ErrStdout) || !strings.Contains(err.Error(), "network/echo") {
		t.Errorf("got %v", err)
	}
}

// instruction is an instruction plugin, put where a network plugin goes.
type instruction struct{}

func (instruction) Info() sdk.Info { return sdk.Info{Name: "i", Keywords: []string{"I"}} }
func (instruction) CacheInputs(context.Context, sdk.Request) (sdk.CacheInputs, error) {
	return sdk.CacheInputs{}, nil
}
func (instruction) Execute(context.Context, sdk.Request, sdk.Host) (sdk.Response, error) {
	return sdk.Response{}, nil
}

func TestExternalInstructionPluginRefused(t *testing.T) {
	a, _ := openFake(t, "instruction", "")
	_, err := a.Setup(context.Background(), os.Getpid())
	if !errors.Is(err, plugins.ErrNotPlugin) || !strings.Contains(err.Error(), "Network service") {
		t.Errorf("got %v", err)
	}
	_ = a.Close()
	gone(t, a)
}

// plugins.pin covers network plugins: one whose file does not match its pin
// is refused without being started.
func TestExternalPluginPinned(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	state := t.TempDir()
	dir := pluginDir(t, "fake", "ok", state)
	path := filepath.Join(dir, PluginSubdir, "fake")
	canary := filepath.Join(state, "started")
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append([]byte("#!/bin/sh\necho ran > "+canary+"\n"), body[len("#!/bin/sh\n"):]...), 0o755); err != nil {
		t.Fatal(err)
	}
	sum, err := plugins.FileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	pinFile := filepath.Join(cfg, "hull", "plugins.pin")
	if err := os.MkdirAll(filepath.Dir(pinFile), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := ParseMode("fake")
	if err != nil {
		t.Fatal(err)
	}
	open := func() error {
		a, err := Open(m, OpenOptions{ContainerID: "c1", StateDir: state, PluginDirs: []string{dir}})
		if err == nil {
			err = a.Close()
		}
		return err
	}
	wrong := strings.Repeat("0", 64)
	for _, pin := range []string{"fake=" + wrong, path + "=" + wrong} {
		if err := os.WriteFile(pinFile, []byte(pin+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := open()
		if !errors.Is(err, plugins.ErrChecksum) || !strings.Contains(err.Error(), pinFile) || !strings.Contains(err.Error(), sum) {
			t.Errorf("pin %s: err %v, want a checksum refusal naming %s and %s", pin, err, pinFile, sum)
		}
		if _, err := os.Stat(canary); err == nil {
			t.Fatalf("pin %s: the refused plugin was started", pin)
		}
	}
	if err := os.WriteFile(pinFile, []byte("fake="+sum+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := open(); err != nil {
		t.Errorf("matching pin: %v", err)
	}
	if _, err := os.Stat(canary); err != nil {
		t.Errorf("the pinned plugin did not start: %v", err)
	}
}
