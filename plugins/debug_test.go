package plugins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/hull-project/hull/plugins/sdk"
)

// noisyEnv makes the re-executed test binary serve noisy (see init): a
// plugin that writes to stderr from every method, crashes or panics on
// demand. An init, not a TestMain mode, keeps it out of helpers_test.go.
const noisyEnv = "HULL_PLUGINS_TEST_NOISY"

func init() {
	if mode := os.Getenv(noisyEnv); mode != "" {
		sdk.Serve(noisy{mode: mode})
	}
}

func noisyCommand(mode string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = []string{noisyEnv + "=" + mode}
	return cmd
}

// noisy writes "noisy: METHOD" to stderr in every method. Mode "info-panic"
// panics in Info. Execute's first argument says what it does: "crash N"
// writes marker N to stderr and exits 5, "panic" panics, "goexit-panic"
// panics on another goroutine (which no recover reaches), "log" writes
// lines through os.Stderr and returns.
type noisy struct{ mode string }

func (n noisy) Info() sdk.Info {
	fmt.Fprintln(os.Stderr, "noisy: info")
	if n.mode == "info-panic" {
		panic("info went wrong")
	}
	return sdk.Info{Name: "noisy", Version: "1", Keywords: []string{"NOISY"}}
}

func (n noisy) CacheInputs(context.Context, sdk.Request) (sdk.CacheInputs, error) {
	fmt.Fprintln(os.Stderr, "noisy: cache inputs")
	return sdk.CacheInputs{}, nil
}

func (n noisy) Execute(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	args := req.Instruction.Args
	switch args[0] {
	case "crash":
		fmt.Fprintf(os.Stderr, "noisy: about to crash\nnoisy: marker %s\n", args[1])
		os.Exit(5)
	case "panic":
		panic("execute went wrong")
	case "goexit-panic":
		done := make(chan struct{})
		go func() { panic("lost goroutine") }()
		<-done
	}
	fmt.Fprintln(os.Stderr, "noisy: execute")
	return sdk.Response{Config: req.Config, History: "NOISY", EmptyLayer: true}, nil
}

func noisyRequest(args ...string) sdk.Request {
	return sdk.Request{Instruction: sdk.Instruction{Keyword: "NOISY", Args: args, File: "Dockerfile", Line: 2}}
}

// A crashed plugin's stderr is in the error every time, not only when
// its last write won the race with the exit.
func TestCrashQuotesStderrEveryTime(t *testing.T) {
	for i := 0; i < 10; i++ {
		opts := testOptions(noisyCommand("plain"))
		opts.Debug = false
		c, err := Start(opts)
		if err != nil {
			t.Fatal(err)
		}
		marker := fmt.Sprintf("m%d", i)
		_, err = c.Execute(context.Background(), noisyRequest("crash", marker), &fakeHost{})
		c.Kill()
		if !errors.Is(err, ErrCrashed) {
			t.Fatalf("run %d: err = %v, want ErrCrashed", i, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "exit status 5") || !strings.Contains(msg, "noisy: marker "+marker) ||
			!strings.Contains(msg, "noisy: about to crash | noisy: marker "+marker) {
			t.Fatalf("run %d: err = %q, want exit status 5 and the stderr lines", i, msg)
		}
		if strings.Contains(msg, "\n") {
			t.Fatalf("run %d: the error is not one line: %q", i, msg)
		}
	}
}

// A panic in any method is an error naming the plugin and the panic, on
// one line, not a stack trace; the plugin survives a handler's panic.
func TestPanicIsAnError(t *testing.T) {
	_, err := Start(testOptions(noisyCommand("info-panic")))
	if err == nil || !strings.Contains(err.Error(), "plugin "+os.Args[0]+": info: ") ||
		!strings.Contains(err.Error(), "panic: info went wrong") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("panicking Info: err = %q", err)
	}
	c, err := Start(testOptions(noisyCommand("plain")))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Kill()
	_, err = c.Execute(context.Background(), noisyRequest("panic"), &fakeHost{})
	if err == nil || err.Error() != "Dockerfile:2: plugin "+os.Args[0]+": execute: panic: execute went wrong" {
		t.Fatalf("panicking Execute: err = %q", err)
	}
	if _, err := c.Execute(context.Background(), noisyRequest("ok"), &fakeHost{}); err != nil {
		t.Fatalf("plugin unusable after a panic: %v", err)
	}
	// A panic no recover reaches kills the process: the error quotes the
	// panic line, not the goroutine dump after it.
	_, err = c.Execute(context.Background(), noisyRequest("goexit-panic"), &fakeHost{})
	if !errors.Is(err, ErrCrashed) || !strings.Contains(err.Error(), "panic: lost goroutine") ||
		strings.Contains(err.Error(), "goroutine ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("unrecovered panic: err = %q", err)
	}
}

// With Debug, every stderr line of every method shows at once on Log,
// prefixed with the plugin's name; without it nothing does.
func TestStderrLive(t *testing.T) {
	for _, debug := range []bool{true, false} {
		var live syncBuffer
		opts := testOptions(noisyCommand("plain"))
		opts.Log, opts.Debug, opts.Name = &live, debug, "noisy-plugin"
		c, err := Start(opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CacheInputs(context.Background(), noisyRequest("ok")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Execute(context.Background(), noisyRequest("ok"), &fakeHost{}); err != nil {
			t.Fatal(err)
		}
		c.Kill()
		got := live.String()
		if !debug {
			if got != "" {
				t.Errorf("without Debug, Log got %q", got)
			}
			continue
		}
		for _, want := range []string{"plugin noisy-plugin: noisy: info\n", "plugin noisy-plugin: noisy: cache inputs\n",
			"plugin noisy-plugin: noisy: execute\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("Log lacks %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "[ERROR]") || strings.Contains(got, "[DEBUG]") {
			t.Errorf("go-plugin's own lines reached Log:\n%s", got)
		}
	}
}

func TestStderrSummary(t *testing.T) {
	s := NewStderr("x", nil)
	w := s.Writer()
	if s.Summary() != "" || s.note() != "" {
		t.Errorf("empty stderr: %q", s.Summary())
	}
	fmt.Fprintf(w, "one\ntwo\n\n")
	fmt.Fprint(w, `{"@level":"warn","@message":"careful","@module":"plugin","@timestamp":"t","n":3}`+"\n")
	fmt.Fprint(w, "three\nfour")
	w.Flush()
	if got, want := s.Summary(), "two | [WARN] careful n=3 | three | four"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	fmt.Fprintf(w, "before\npanic: oh no\n\ngoroutine 1 [running]:\nmain.main()\n\t/x.go:3 +0x1\ncreated by main.f in goroutine 1\n\t/x.go:9 +0x2\ncreated\n")
	if got, want := s.Summary(), "four | before | panic: oh no | created"; got != want {
		t.Errorf("Summary after a panic = %q, want %q", got, want)
	}
	fmt.Fprintln(w, strings.Repeat("é", 400))
	if got := s.Summary(); len(got) > 4*(stderrLineBytes+8) || !strings.HasSuffix(got, "...") {
		t.Errorf("a long line is not cut: %d bytes", len(got))
	}
	for i := 0; i < 2*stderrKeep; i++ {
		fmt.Fprintln(w, i)
	}
	if n := strings.Count(s.String(), "\n") + 1; n != stderrKeep {
		t.Errorf("kept %d lines, want %d", n, stderrKeep)
	}
}

// syncBuffer is a bytes.Buffer for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tail is the Log of testOptions (helpers_test.go).
type tail = syncBuffer

func newTail(int) *tail { return &tail{} }
