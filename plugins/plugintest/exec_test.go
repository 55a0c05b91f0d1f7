package plugintest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hull-project/hull/plugins/sdk"
)

// upper handles UPPER TEXT DEST: it writes TEXT upper-cased to DEST.
type upper struct{}

func (upper) Info() sdk.Info {
	return sdk.Info{Name: "upper", Version: "1", Keywords: []string{"UPPER"}, Description: "upper-case a word into a file"}
}

func (upper) CacheInputs(_ context.Context, req sdk.Request) (sdk.CacheInputs, error) {
	_, _, err := upperArgs(req)
	return sdk.CacheInputs{}, err
}

func (upper) Execute(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	text, dest, err := upperArgs(req)
	if err != nil {
		return sdk.Response{}, err
	}
	return sdk.Response{History: "UPPER"}, host.WriteFile(ctx, sdk.WriteFileRequest{Path: dest, Content: []byte(strings.ToUpper(text))})
}

func upperArgs(req sdk.Request) (text, dest string, err error) {
	if req.Instruction.Keyword != "UPPER" {
		return "", "", fmt.Errorf("not UPPER: %s", req.Instruction.Keyword)
	}
	if len(req.Instruction.Args) != 2 {
		return "", "", fmt.Errorf("UPPER wants TEXT DEST, got %d arguments", len(req.Instruction.Args))
	}
	return req.Instruction.Args[0], req.Instruction.Args[1], nil
}

// TestRunExecutable runs the suite on this test binary serving upper
// through a wrapper script, as a plugin directory would hold it, with the
// default FakeHost.
func TestRunExecutable(t *testing.T) {
	ServeIfChild(t, func() sdk.Handler { return upper{} })
	script := filepath.Join(t.TempDir(), "hull-upper")
	body := fmt.Sprintf("#!/bin/sh\nexec '%s' -test.run='^TestRunExecutable$'\n", os.Args[0])
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(childEnv, t.Name())
	RunExecutable(t, script, nil,
		ExecCase{Name: "write", Request: sdk.Request{Instruction: sdk.Instruction{Keyword: "UPPER", Args: []string{"hi", "/out"}}},
			Check: func(t *testing.T, _ sdk.Response, host sdk.Host) {
				if b, _ := host.(*FakeHost).File("/out"); string(b) != "HI" {
					t.Errorf("/out = %q", b)
				}
			}},
		ExecCase{Name: "bad args", Request: sdk.Request{Instruction: sdk.Instruction{Keyword: "UPPER", Args: []string{"hi"}}},
			WantErr: "UPPER wants TEXT DEST, got 1 arguments"},
	)
}
