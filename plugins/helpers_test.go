package plugins

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/hull-project/hull/plugins/sdk"
)

// modeEnv makes the re-executed test binary play a plugin (see TestMain).
const modeEnv = "HULL_PLUGINS_TEST_MODE"

func TestMain(m *testing.M) {
	switch os.Getenv(modeEnv) {
	case "":
		os.Exit(m.Run())
	case "hello":
		sdk.Serve(&hello{})
	case "stdout":
		fmt.Println("debug: starting up")
		sdk.Serve(&hello{})
	case "version2":
		// What a plugin built for protocol 2 answers.
		fmt.Println("1|2|unix|/nonexistent.sock|grpc")
		time.Sleep(time.Minute)
	case "othercookie":
		// A go-plugin binary of another program.
		plugin.Serve(&plugin.ServeConfig{HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion: 1, MagicCookieKey: "OTHER_PLUGIN", MagicCookieValue: "x"}})
	}
	os.Exit(3)
}

// command re-executes the test binary as a plugin in mode.
func command(mode string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = []string{modeEnv + "=" + mode}
	return cmd
}

// hello handles HELLO (and the failure keywords CRASH, HANG, PANIC, FAIL,
// LATE): it logs, runs a command, writes a file and changes the config.
type hello struct {
	mu   sync.Mutex
	host sdk.Host // kept by LATE to call back after Execute returned
}

func (h *hello) Info() sdk.Info {
	return sdk.Info{Name: "hello", Version: "1.0", Keywords: []string{"HELLO"}, Description: "says hello"}
}

func (h *hello) CacheInputs(_ context.Context, req sdk.Request) (sdk.CacheInputs, error) {
	return sdk.CacheInputs{Extra: req.Instruction.Args}, nil
}

func (h *hello) Execute(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	switch strings.Join(req.Instruction.Args, " ") {
	case "crash":
		os.Exit(7)
	case "hang":
		time.Sleep(time.Hour)
	case "panic":
		panic("boom")
	case "fail":
		return sdk.Response{}, errors.New("no greeting today")
	case "late":
		return h.late(ctx, host)
	case "echo":
		// Sends back the request so the round trip of every field shows.
		return sdk.Response{Config: req.Config, History: fmtRequest(req)}, nil
	case "evil":
		return sdk.Response{}, host.WriteFile(ctx, sdk.WriteFileRequest{Path: "/etc/../../x", Content: []byte("x")})
	}
	return h.greet(ctx, req, host)
}

func (h *hello) greet(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	if err := host.Log(ctx, "hello from "+req.Stage); err != nil {
		return sdk.Response{}, err
	}
	res, err := host.Run(ctx, sdk.RunRequest{Args: []string{"/bin/echo", "hi"}, Env: req.Config.Env, Stdin: []byte("in")})
	if err != nil {
		return sdk.Response{}, err
	}
	if res.ExitCode != 0 {
		return sdk.Response{}, fmt.Errorf("echo exited %d", res.ExitCode)
	}
	if err := host.WriteFile(ctx, sdk.WriteFileRequest{Path: "/hello.txt", Content: []byte("hi\n"), Mode: 0o600}); err != nil {
		return sdk.Response{}, err
	}
	cfg := req.Config
	cfg.Env = append(cfg.Env, "GREETED=yes")
	return sdk.Response{Config: cfg, History: "HELLO " + strings.Join(req.Instruction.Args, " ")}, nil
}

// late returns at once and then tries to use host from a goroutine, which
// the core must refuse; the outcome is logged to stderr for the test.
func (h *hello) late(ctx context.Context, host sdk.Host) (sdk.Response, error) {
	go func() {
		time.Sleep(50 * time.Millisecond)
		err := host.Log(context.Background(), "too late")
		fmt.Fprintf(os.Stderr, "late log: %v\n", err)
	}()
	return sdk.Response{EmptyLayer: true}, nil
}

// fakeHost records what the plugin asked for.
type fakeHost struct {
	sdk.UnimplementedHost // the calls these tests do not make
	mu                    sync.Mutex
	logs                  []string
	runs                  []sdk.RunRequest
	writes                []sdk.WriteFileRequest
	files                 map[string][]byte
}

var _ sdk.Host = (*fakeHost)(nil)

func (f *fakeHost) Run(_ context.Context, r sdk.RunRequest) (sdk.RunResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs = append(f.runs, r)
	return sdk.RunResult{}, nil
}

func (f *fakeHost) Copy(context.Context, sdk.CopyRequest) error { return errors.New("no copy here") }

func (f *fakeHost) ReadFile(_ context.Context, p string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.files[p]
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, os.ErrNotExist)
	}
	return b, nil
}

func (f *fakeHost) WriteFile(_ context.Context, r sdk.WriteFileRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, r)
	return nil
}

func (f *fakeHost) Log(_ context.Context, msg string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, msg)
	return nil
}

// start launches mode with testOptions and kills it at cleanup.
func start(t *testing.T, mode string) *Client {
	t.Helper()
	c, err := Start(testOptions(command(mode)))
	if err != nil {
		t.Fatalf("start %s: %v", mode, err)
	}
	t.Cleanup(c.Kill)
	return c
}

// testOptions' deadlines end a hung test in 20 s, not the defaults'
// minutes, and leave a start or a call on a loaded machine time enough;
// the tests of a hang set shorter ones.
func testOptions(cmd *exec.Cmd) Options {
	return Options{Cmd: cmd, StartTimeout: 20 * time.Second, CallTimeout: 20 * time.Second,
		ExecuteTimeout: 20 * time.Second, Log: newTail(1 << 16)}
}

// assertGone fails unless process pid has exited and been reaped.
func assertGone(t *testing.T, pid int) {
	t.Helper()
	if pid <= 0 {
		return
	}
	if p, err := os.FindProcess(pid); err == nil && p.Signal(syscall.Signal(0)) == nil {
		t.Errorf("plugin process %d still exists", pid)
	}
}

func helloRequest(args ...string) sdk.Request {
	return sdk.Request{
		Instruction: sdk.Instruction{Keyword: "HELLO", Args: args, File: "Dockerfile", Line: 3, EndLine: 3,
			Original: "HELLO " + strings.Join(args, " ")},
		Config: sdk.Config{Env: []string{"PATH=/bin"}},
		Stage:  "build",
	}
}

// fmtRequest is how the hello plugin prints a request it received.
func fmtRequest(r sdk.Request) string {
	hc := r.Config.Healthcheck
	r.Config.Healthcheck = nil
	if hc == nil {
		return fmt.Sprintf("%#v", r)
	}
	return fmt.Sprintf("%#v %#v", r, *hc)
}
