//go:build !appsbin

package plugins

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hull-project/hull/plugins/sdk"
)

func TestHello(t *testing.T) {
	c := start(t, "hello")
	if got := c.Info(); got.Name != "hello" || !reflect.DeepEqual(got.Keywords, []string{"HELLO"}) {
		t.Fatalf("Info = %+v", got)
	}
	in, err := c.CacheInputs(context.Background(), helloRequest("world"))
	if err != nil || !reflect.DeepEqual(in.Extra, []string{"world"}) {
		t.Fatalf("CacheInputs = %+v, %v", in, err)
	}
	host := &fakeHost{}
	resp, err := c.Execute(context.Background(), helloRequest("world"), host)
	if err != nil {
		t.Fatal(err)
	}
	if resp.History != "HELLO world" || !reflect.DeepEqual(resp.Config.Env, []string{"PATH=/bin", "GREETED=yes"}) {
		t.Errorf("Response = %+v", resp)
	}
	if !reflect.DeepEqual(host.logs, []string{"hello from build"}) {
		t.Errorf("logs = %q", host.logs)
	}
	if len(host.runs) != 1 || !reflect.DeepEqual(host.runs[0].Args, []string{"/bin/echo", "hi"}) || string(host.runs[0].Stdin) != "in" {
		t.Errorf("runs = %+v", host.runs)
	}
	if len(host.writes) != 1 || host.writes[0].Path != "/hello.txt" || host.writes[0].Mode != 0o600 {
		t.Errorf("writes = %+v", host.writes)
	}
	pid := c.Pid()
	c.Kill()
	if !c.Exited() {
		t.Error("Exited() = false after Kill")
	}
	assertGone(t, pid)
}

// TestRoundTrip sends every field of a Request through the process and
// back: the plugin echoes it in History and returns its Config.
func TestRoundTrip(t *testing.T) {
	c := start(t, "hello")
	req := sdk.Request{
		Instruction: sdk.Instruction{Keyword: "HELLO", Flags: []sdk.Flag{{Name: "a", Value: "b"}, {Name: "bare"}},
			Args: []string{"echo"}, JSON: true, Heredocs: []sdk.Heredoc{{Name: "EOF", Content: "x\n", Expand: true}},
			Original: "HELLO echo", File: "Dockerfile.x", Line: 4, EndLine: 6},
		Config: sdk.Config{User: "u:g", Env: []string{"A=1"}, Entrypoint: []string{"/e"}, Cmd: []string{"c"},
			WorkingDir: "/w", Labels: map[string]string{"l": "v"}, ExposedPorts: []string{"80/tcp"},
			Volumes: []string{"/v"}, StopSignal: "SIGTERM", Shell: []string{"/bin/sh", "-c"}, OnBuild: []string{"RUN x"},
			Healthcheck: &sdk.Healthcheck{Test: []string{"CMD", "true"}, Interval: time.Second, Timeout: 2 * time.Second,
				StartPeriod: 3 * time.Second, StartInterval: 4 * time.Second, Retries: 5},
			ArgsEscaped: true},
		BuildArgs: map[string]string{"V": "1"}, Stage: "s", Platform: "linux/amd64",
	}
	resp, err := c.Execute(context.Background(), req, &fakeHost{})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmtRequest(req); resp.History != want {
		t.Errorf("plugin saw\n%s\nwant\n%s", resp.History, want)
	}
	if !reflect.DeepEqual(resp.Config, req.Config) {
		t.Errorf("Config back = %+v, want %+v", resp.Config, req.Config)
	}
}

func TestHandlerErrorKeepsPlugin(t *testing.T) {
	c := start(t, "hello")
	_, err := c.Execute(context.Background(), helloRequest("fail"), &fakeHost{})
	if err == nil || err.Error() != "Dockerfile:3: plugin "+os.Args[0]+": execute: no greeting today" {
		t.Fatalf("err = %v", err)
	}
	_, err = c.Execute(context.Background(), helloRequest("panic"), &fakeHost{})
	if err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Fatalf("panic err = %v", err)
	}
	if _, err := c.Execute(context.Background(), helloRequest("again"), &fakeHost{}); err != nil {
		t.Fatalf("plugin unusable after a handler error: %v", err)
	}
}

func TestCrash(t *testing.T) {
	c := start(t, "hello")
	pid := c.Pid()
	_, err := c.Execute(context.Background(), helloRequest("crash"), &fakeHost{})
	if !errors.Is(err, ErrCrashed) || !strings.HasPrefix(err.Error(), "Dockerfile:3: plugin ") ||
		!strings.Contains(err.Error(), "exit status 7") {
		t.Fatalf("err = %v, want ErrCrashed with exit status 7", err)
	}
	assertGone(t, pid)
}

func TestHang(t *testing.T) {
	opts := testOptions(command("hello"))
	opts.ExecuteTimeout = 300 * time.Millisecond
	c, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Kill()
	pid := c.Pid()
	begin := time.Now()
	_, err = c.Execute(context.Background(), helloRequest("hang"), &fakeHost{})
	if !errors.Is(err, ErrHung) {
		t.Fatalf("err = %v, want ErrHung", err)
	}
	if d := time.Since(begin); d > 20*time.Second { // a hang, not a slow machine
		t.Errorf("hung call took %s to fail", d)
	}
	assertGone(t, pid)
	if !c.Exited() {
		t.Error("Exited() = false after a hang")
	}
}

func TestStartFailures(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "notexec")
	script := filepath.Join(dir, "script")
	must(t, os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644))
	must(t, os.WriteFile(script, []byte("#!/bin/sh\necho I am not a plugin >&2\n"), 0o755))
	for _, tc := range []struct {
		name string
		opts Options
		want error
		text string
	}{
		{"stdout", testOptions(command("stdout")), ErrStdout, `wrote to stdout before the handshake: "debug: starting up"`},
		{"version", testOptions(command("version2")), ErrProtocolVersion, "Plugin version: 2"},
		{"other cookie", testOptions(command("othercookie")), ErrNotPlugin, "This binary is a plugin"},
		{"script", Options{Path: script}, ErrNotPlugin, "I am not a plugin"},
		{"not executable", Options{Path: notExec}, ErrNotExecutable, notExec},
		{"checksum", withSum(testOptions(command("hello")), strings.Repeat("0", 64)), ErrChecksum, "checksum mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Start(tc.opts)
			if err == nil {
				c.Kill()
				t.Fatal("Start succeeded")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.want, tc.text)
			}
			if tc.opts.Cmd != nil && tc.opts.Cmd.Process != nil {
				assertGone(t, tc.opts.Cmd.Process.Pid)
			}
		})
	}
}

func TestChecksumPinned(t *testing.T) {
	sum, err := FileSHA256(os.Args[0])
	must(t, err)
	c, err := Start(withSum(testOptions(command("hello")), sum))
	if err != nil {
		t.Fatalf("start with the right checksum: %v", err)
	}
	c.Kill()
}

func TestHostRefusals(t *testing.T) {
	c := start(t, "hello")
	host := &fakeHost{}
	_, err := c.Execute(context.Background(), helloRequest("evil"), host)
	if err == nil || !strings.Contains(err.Error(), "host write file: write file: path \"/etc/../../x\" is not clean") {
		t.Fatalf("err = %v", err)
	}
	if len(host.writes) != 0 {
		t.Errorf("an invalid write reached the host: %+v", host.writes)
	}
	if _, err := c.Execute(context.Background(), helloRequest("late"), host); err != nil {
		t.Fatal(err)
	}
	// The plugin's late call ends with the refusal on its stderr; wait for
	// it however slow the machine, then check nothing reached the host.
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(c.stderr.String(), "is not running"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("plugin stderr = %q, want the refusal", c.stderr.String())
		}
	}
	if len(host.logs) != 0 {
		t.Errorf("a call after Execute returned reached the host: %q", host.logs)
	}
}

func withSum(o Options, sum string) Options { o.SHA256 = sum; return o }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
