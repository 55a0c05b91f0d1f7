package plugintest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hull-project/hull/plugins/plugintest"
	"github.com/hull-project/hull/plugins/sdk"
)

// upper handles UPPER <path>: reads a file, writes it back upper-cased.
type upper struct{}

func (upper) Info() sdk.Info {
	return sdk.Info{Name: "upper", Version: "0.1", Keywords: []string{"UPPER"}}
}

func (upper) CacheInputs(_ context.Context, req sdk.Request) (sdk.CacheInputs, error) {
	return sdk.CacheInputs{Extra: req.Instruction.Args}, nil
}

func (upper) Execute(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	if len(req.Instruction.Args) != 1 {
		return sdk.Response{}, errors.New("UPPER takes one path")
	}
	p := req.Instruction.Args[0]
	b, err := host.ReadFile(ctx, p)
	if err != nil {
		return sdk.Response{}, err
	}
	if err := host.WriteFile(ctx, sdk.WriteFileRequest{Path: p, Content: []byte(strings.ToUpper(string(b)))}); err != nil {
		return sdk.Response{}, err
	}
	return sdk.Response{Config: req.Config, History: "UPPER " + p}, nil
}

func TestUpper(t *testing.T) {
	req := func(args ...string) sdk.Request {
		return sdk.Request{Instruction: sdk.Instruction{Keyword: "UPPER", Args: args}, Config: sdk.Config{Env: []string{"A=1"}}}
	}
	plugintest.Run(t, func() sdk.Handler { return upper{} }, func() sdk.Host { return plugintest.NewFakeHost(map[string]string{"/f": "abc"}) },
		plugintest.Case{Name: "ok", Request: req("/f")},
		plugintest.Case{Name: "missing", Request: req("/nope"), WantErr: true},
		plugintest.Case{Name: "usage", Request: req(), WantErr: true},
	)
}
