// Command pinplugin is the integration suite's witness plugin for pins,
// discovery and `hull plugin ls`: it leaves a trace of every run next to
// its executable, so a test can tell whether hull ran it at all.
//
//	<executable>.launches   a line per process start (discovery included)
//	<executable>.executes   a line per Execute
//
// It claims CANARY (a no-op), and FROM and ARG, which the engine keeps for
// itself: `hull plugin ls` must not list those claims.
package main

import (
	"context"
	"os"

	"github.com/hull-project/hull/plugins/sdk"
)

func main() {
	trace(".launches")
	sdk.Serve(canary{})
}

// trace appends a line to the executable's path + suffix.
func trace(suffix string) {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	f, err := os.OpenFile(exe+suffix, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString("ran\n")
}

type canary struct{}

func (canary) Info() sdk.Info {
	return sdk.Info{Name: "test-pin", Version: "0.0.1", Keywords: []string{"CANARY", "FROM", "ARG"},
		Description: "test: leaves a trace of each run"}
}

func (canary) CacheInputs(context.Context, sdk.Request) (sdk.CacheInputs, error) {
	return sdk.CacheInputs{NoCache: true}, nil
}

func (canary) Execute(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	trace(".executes")
	return sdk.Response{Config: req.Config, History: "CANARY", EmptyLayer: true}, nil
}
