package instructions

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hull-project/hull/plugins/sdk"
)

// fakeHost records every call and answers Run with exitCode.
type fakeHost struct {
	sdk.UnimplementedHost // the calls the built-ins never make
	exitCode              int
	runs                  []sdk.RunRequest
	copies                []sdk.CopyRequest
	writes                []sdk.WriteFileRequest
	logs                  []string
	files                 map[string]string
}

func (h *fakeHost) Run(_ context.Context, r sdk.RunRequest) (sdk.RunResult, error) {
	h.runs = append(h.runs, r)
	return sdk.RunResult{ExitCode: h.exitCode}, nil
}

func (h *fakeHost) Copy(_ context.Context, r sdk.CopyRequest) error {
	h.copies = append(h.copies, r)
	return nil
}

func (h *fakeHost) ReadFile(_ context.Context, p string) ([]byte, error) {
	if s, ok := h.files[p]; ok {
		return []byte(s), nil
	}
	return nil, errors.New(p + ": no such file")
}

func (h *fakeHost) WriteFile(_ context.Context, r sdk.WriteFileRequest) error {
	h.writes = append(h.writes, r)
	return nil
}

func (h *fakeHost) Log(_ context.Context, msg string) error {
	h.logs = append(h.logs, msg)
	return nil
}

// inst builds a shell-form instruction: `inst("RUN", "echo hi")`.
func inst(keyword, args string, flags ...sdk.Flag) sdk.Instruction {
	in := sdk.Instruction{Keyword: keyword, Flags: flags}
	if args != "" {
		in.Args = []string{args}
	}
	return in
}

// jsonInst builds a JSON-form instruction.
func jsonInst(keyword string, args ...string) sdk.Instruction {
	return sdk.Instruction{Keyword: keyword, Args: args, JSON: true}
}

func flag(name, value string) sdk.Flag { return sdk.Flag{Name: name, Value: value} }

// execute runs one request through the exported handler.
func execute(t *testing.T, req sdk.Request, host *fakeHost) (sdk.Response, error) {
	t.Helper()
	hs := Builtins()
	if len(hs) != 1 {
		t.Fatalf("Builtins() = %d handlers, want 1", len(hs))
	}
	return hs[0].Execute(context.Background(), req, host)
}

// mustExecute fails the test on an error.
func mustExecute(t *testing.T, req sdk.Request, host *fakeHost) sdk.Response {
	t.Helper()
	resp, err := execute(t, req, host)
	if err != nil {
		t.Fatalf("Execute(%s %v): %v", req.Instruction.Keyword, req.Instruction.Args, err)
	}
	return resp
}

func wantErr(t *testing.T, req sdk.Request, substr string) {
	t.Helper()
	_, err := execute(t, req, &fakeHost{})
	if err == nil || !strings.Contains(err.Error(), substr) {
		t.Errorf("Execute(%s %v %v) error = %v, want one containing %q",
			req.Instruction.Keyword, req.Instruction.Flags, req.Instruction.Args, err, substr)
	}
}

func deepEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}
