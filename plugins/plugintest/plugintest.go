// Package plugintest is the conformance suite every instruction handler
// passes, built-in or external: the same requests run in-process and
// across a real plugin process (the test binary re-executed), and must
// give the same answers and the same Host calls.
//
// It does not judge what a handler does, only that it keeps the contract:
// a valid and stable Info, deterministic CacheInputs, and identical
// behaviour on both sides of the process boundary.
package plugintest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/sdk"
)

// childEnv names the test whose re-executed binary must serve a plugin.
const childEnv = "HULL_PLUGINTEST_SERVE"

// Case is one request a handler must handle the same way in and out of
// process.
type Case struct {
	Name    string
	Request sdk.Request
	WantErr bool // Execute must fail (an error the handler returns)
}

// Run checks newHandler's handlers against cases with a fresh Host from
// newHost for each run. Call it at most once per test function.
func Run(t *testing.T, newHandler func() sdk.Handler, newHost func() sdk.Host, cases ...Case) {
	ServeIfChild(t, newHandler)
	t.Helper()
	checkInfo(t, newHandler())
	c, err := plugins.Start(plugins.Options{Cmd: Command(t), Name: "plugintest " + t.Name()})
	if err != nil {
		t.Fatalf("start plugin process: %v", err)
	}
	t.Cleanup(c.Kill)
	if got, want := c.Info(), newHandler().Info(); !reflect.DeepEqual(got, want) {
		t.Errorf("Info across the process boundary = %+v, in process %+v", got, want)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			local := runCase(t, newHandler(), newHost(), tc)
			remote := runCase(t, c, newHost(), tc)
			compare(t, local, remote)
		})
	}
}

// ServeIfChild serves newHandler() and exits when this process is the
// re-executed test binary of t (see Command); otherwise it returns.
func ServeIfChild(t *testing.T, newHandler func() sdk.Handler) {
	if os.Getenv(childEnv) == t.Name() {
		sdk.Serve(newHandler())
	}
}

// Command re-executes the test binary so that it runs only t, which must
// call ServeIfChild first.
func Command(t *testing.T) *exec.Cmd {
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(parts, "/"))
	cmd.Env = []string{childEnv + "=" + t.Name()}
	return cmd
}

func checkInfo(t *testing.T, h sdk.Handler) {
	t.Helper()
	i := h.Info()
	if i.Name == "" || i.Version == "" {
		t.Errorf("Info %+v: name and version are required", i)
	}
	seen := map[string]bool{}
	for _, k := range i.Keywords {
		if k == "" || strings.ToUpper(k) != k || strings.ContainsAny(k, " \t\n") || seen[k] {
			t.Errorf("Info keyword %q: want unique upper-case words", k)
		}
		seen[k] = true
	}
	if len(i.Keywords) == 0 {
		t.Errorf("Info %+v handles no keyword", i)
	}
	if !reflect.DeepEqual(h.Info(), i) {
		t.Errorf("Info changes between calls")
	}
}

// outcome is everything observable about one run of a case.
type outcome struct {
	Inputs     sdk.CacheInputs
	InputsErr  bool
	Response   sdk.Response
	ExecuteErr bool
	Calls      []string
}

func runCase(t *testing.T, h sdk.Handler, host sdk.Host, tc Case) outcome {
	t.Helper()
	ctx := context.Background()
	var o outcome
	in, err := h.CacheInputs(ctx, tc.Request)
	o.Inputs, o.InputsErr = in, err != nil
	again, err2 := h.CacheInputs(ctx, tc.Request)
	if !reflect.DeepEqual(in, again) || (err == nil) != (err2 == nil) {
		t.Errorf("CacheInputs is not deterministic: %+v then %+v", in, again)
	}
	rec := &recorder{host: host}
	resp, err := h.Execute(ctx, tc.Request, rec)
	o.Response, o.ExecuteErr, o.Calls = resp, err != nil, rec.calls
	if (err != nil) != tc.WantErr {
		t.Errorf("Execute error = %v, want error %v", err, tc.WantErr)
	}
	return o
}

func compare(t *testing.T, local, remote outcome) {
	t.Helper()
	if !reflect.DeepEqual(normal(local), normal(remote)) {
		t.Errorf("in process and across a process differ:\n in process: %+v\n   remote:   %+v", local, remote)
	}
}

// normal makes empty and nil the same: the wire does not keep the
// difference.
func normal(o outcome) outcome {
	v := reflect.ValueOf(&o).Elem()
	normalValue(v)
	return o
}

func normalValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 && v.CanSet() {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		if v.Kind() == reflect.Slice {
			for i := 0; i < v.Len(); i++ {
				normalValue(v.Index(i))
			}
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).CanSet() {
				normalValue(v.Field(i))
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			normalValue(v.Elem())
		}
	}
}

// recorder passes calls to a Host and notes them, in order.
type recorder struct {
	host  sdk.Host
	mu    sync.Mutex
	calls []string
}

func (r *recorder) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf(format, args...))
}

func (r *recorder) Run(ctx context.Context, req sdk.RunRequest) (sdk.RunResult, error) {
	r.note("run %#v", normalCopy(req))
	return r.host.Run(ctx, req)
}

func (r *recorder) Copy(ctx context.Context, req sdk.CopyRequest) error {
	r.note("copy %#v", normalCopy(req))
	return r.host.Copy(ctx, req)
}

func (r *recorder) ReadFile(ctx context.Context, path string) ([]byte, error) {
	r.note("read %q", path)
	return r.host.ReadFile(ctx, path)
}

func (r *recorder) WriteFile(ctx context.Context, req sdk.WriteFileRequest) error {
	r.note("write %#v", normalCopy(req))
	return r.host.WriteFile(ctx, req)
}

func (r *recorder) Log(ctx context.Context, msg string) error {
	r.note("log %q", msg)
	return r.host.Log(ctx, msg)
}

func normalCopy[T any](v T) T {
	normalValue(reflect.ValueOf(&v).Elem())
	return v
}

func (r *recorder) Stat(ctx context.Context, path string) (sdk.FileInfo, error) {
	r.note("stat %q", path)
	return r.host.Stat(ctx, path)
}

func (r *recorder) Lstat(ctx context.Context, path string) (sdk.FileInfo, error) {
	r.note("lstat %q", path)
	return r.host.Lstat(ctx, path)
}

func (r *recorder) ListDir(ctx context.Context, path string) ([]sdk.FileInfo, error) {
	r.note("list dir %q", path)
	return r.host.ListDir(ctx, path)
}

func (r *recorder) Remove(ctx context.Context, req sdk.RemoveRequest) error {
	r.note("remove %#v", req)
	return r.host.Remove(ctx, req)
}

func (r *recorder) Mkdir(ctx context.Context, req sdk.MkdirRequest) error {
	r.note("mkdir %#v", req)
	return r.host.Mkdir(ctx, req)
}

func (r *recorder) Symlink(ctx context.Context, req sdk.SymlinkRequest) error {
	r.note("symlink %#v", req)
	return r.host.Symlink(ctx, req)
}

func (r *recorder) Builtin(ctx context.Context, req sdk.Request) (sdk.Response, error) {
	r.note("builtin %#v", normalCopy(req))
	return r.host.Builtin(ctx, req)
}
