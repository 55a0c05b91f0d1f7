package plugintest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/sdk"
)

// ExecCase is one request RunExecutable sends to a plugin executable.
type ExecCase struct {
	Name    string
	Request sdk.Request
	// WantErr, when set, is a part of the error Execute must return: the
	// handler's own error (say, for bad arguments), after which the plugin
	// keeps running. CacheInputs may then fail too. Empty: both succeed.
	WantErr string
	// Check, when set, looks at a successful Execute's response and at the
	// Host it ran against (the one newHost made for it).
	Check func(t *testing.T, resp sdk.Response, host sdk.Host)
}

// unknownKeyword is a keyword no plugin claims.
const unknownKeyword = "HULLCONFORMANCEUNKNOWN"

// RunExecutable drives the plugin executable at path, written in any
// language, through hull's real protocol, as hull would:
//
//   - the wire protocol, without go-plugin's client (plugins.Inspect): the
//     magic cookie check, the handshake line, the health service, Info,
//     a CacheInputs call per keyword and Shutdown;
//   - then through hull's client (plugins.Start): the same Info; for each
//     case, CacheInputs (twice, the same answer) and Execute against a Host
//     from newHost, every Host call passing the core's checks;
//   - the error paths: an unknown keyword and each keyword with no
//     arguments are answered (an error for the unknown keyword) without a
//     crash; every case that must fail fails with the handler's error and
//     leaves the plugin running;
//   - the cases that succeed, again all at once (calls may come
//     concurrently), with the same results;
//   - a clean exit when hull is done with it.
//
// newHost nil gives each call an empty FakeHost.
func RunExecutable(t *testing.T, path string, newHost func() sdk.Host, cases ...ExecCase) {
	t.Helper()
	if newHost == nil {
		newHost = func() sdk.Host { return NewFakeHost(nil) }
	}
	ctx := context.Background()
	r, err := plugins.Inspect(ctx, path, plugins.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Checks {
		if !c.OK {
			t.Errorf("protocol check %q: %s", c.Name, c.Detail)
		}
	}
	if !r.OK {
		t.FailNow()
	}
	if r.Kind != sdk.PluginKind {
		t.Fatalf("kind %q, want %q", r.Kind, sdk.PluginKind)
	}

	c, err := plugins.Start(plugins.Options{Path: path})
	if err != nil {
		t.Fatalf("start plugin: %v", err)
	}
	defer c.Kill()
	if !reflect.DeepEqual(normalCopy(c.Info()), normalCopy(r.Info)) {
		t.Errorf("Info differs between two processes: %+v, then %+v", r.Info, c.Info())
	}
	alive := func(t *testing.T, after string) {
		t.Helper()
		if c.Exited() {
			t.Fatalf("the plugin exited after %s", after)
		}
	}

	responses := map[string]sdk.Response{}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			in, err := c.CacheInputs(ctx, tc.Request)
			handlerError(t, "CacheInputs", err, tc.WantErr != "")
			if err == nil {
				again, err := c.CacheInputs(ctx, tc.Request)
				if err != nil || !reflect.DeepEqual(normalCopy(in), normalCopy(again)) {
					t.Errorf("CacheInputs is not deterministic: %+v, then %+v, %v", in, again, err)
				}
			}
			host := newHost()
			resp, err := c.Execute(ctx, tc.Request, host)
			handlerError(t, "Execute", err, tc.WantErr != "")
			switch {
			case tc.WantErr != "" && err == nil:
				t.Errorf("Execute succeeded, want an error with %q", tc.WantErr)
			case tc.WantErr != "" && !strings.Contains(err.Error(), tc.WantErr):
				t.Errorf("Execute error %q, want it to contain %q", err, tc.WantErr)
			case tc.WantErr == "" && err == nil:
				responses[tc.Name] = resp
				if tc.Check != nil {
					tc.Check(t, resp, host)
				}
			}
			alive(t, "this case")
		})
	}

	t.Run("unknown keyword", func(t *testing.T) {
		req := sdk.Request{Instruction: sdk.Instruction{Keyword: unknownKeyword, Args: []string{"a", "b"},
			Original: unknownKeyword + " a b", File: "Dockerfile", Line: 1, EndLine: 1}}
		if len(cases) > 0 {
			req = cases[0].Request
			req.Instruction.Keyword = unknownKeyword
		}
		_, err := c.CacheInputs(ctx, req)
		handlerError(t, "CacheInputs", err, true)
		_, err = c.Execute(ctx, req, newHost())
		handlerError(t, "Execute", err, true)
		if err == nil {
			t.Errorf("Execute of %s succeeded; a plugin must refuse a keyword it does not handle", unknownKeyword)
		}
		alive(t, "an unknown keyword")
	})

	t.Run("no arguments", func(t *testing.T) {
		for _, k := range r.Info.Keywords {
			req := sdk.Request{Instruction: sdk.Instruction{Keyword: k, Original: k, File: "Dockerfile", Line: 1, EndLine: 1}}
			_, err := c.CacheInputs(ctx, req)
			handlerError(t, k+" CacheInputs", err, true)
			_, err = c.Execute(ctx, req, newHost())
			handlerError(t, k+" Execute", err, true)
			alive(t, k+" with no arguments")
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, tc := range cases {
			want, ok := responses[tc.Name]
			if !ok {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := c.Execute(ctx, tc.Request, newHost())
				if err != nil {
					t.Errorf("%s: Execute, run concurrently: %v", tc.Name, err)
				} else if !reflect.DeepEqual(normalCopy(resp), normalCopy(want)) {
					t.Errorf("%s: Execute, run concurrently = %+v, alone %+v", tc.Name, resp, want)
				}
			}()
		}
		wg.Wait()
	})

	c.Kill()
	if !c.Exited() {
		t.Errorf("the plugin is still running after Kill")
	}
}

// handlerError fails t when err is a failure of the plugin rather than
// its handler's answer (a crash, a hang, a broken connection), or when
// an error came where none may.
func handlerError(t *testing.T, op string, err error, mayFail bool) {
	t.Helper()
	if err == nil {
		return
	}
	var pe *plugins.Error
	switch {
	case !errors.As(err, &pe) || !pe.Handler:
		t.Errorf("%s: the plugin failed instead of answering: %v", op, err)
	case !mayFail:
		t.Errorf("%s: %v", op, err)
	}
}
