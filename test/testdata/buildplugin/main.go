// Command buildplugin is the integration suite's misbehaving instruction
// plugin. One binary plays several parts, chosen by the name it is
// installed under:
//
//	hull-test-label   overrides the built-in LABEL: sets the labels it is
//	                  given plus overridden-by=hull-test-label
//	hull-test-bad     claims BAD; what it does comes from the file
//	                  <executable>.mode, read at start-up, so that discovery
//	                  (mode absent) sees a well-behaved plugin and the build
//	                  sees the failure: "crash" exits during Execute, "hang"
//	                  never answers CacheInputs, "stdout" writes to stdout
//	                  before the handshake, "proto" answers with another
//	                  protocol version, "log" writes "test-bad: METHOD" to
//	                  stderr from Info, CacheInputs and Execute (with
//	                  sdk.Logger in Execute) and succeeds, "info-panic"
//	                  panics in Info.
//
// It is built by `make integration` (or by the suite itself) and never
// installed anywhere else.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hull-project/hull/plugins/sdk"
)

func main() {
	exe, _ := os.Executable()
	mode := ""
	if b, err := os.ReadFile(exe + ".mode"); err == nil {
		mode = strings.TrimSpace(string(b))
	}
	switch mode {
	case "stdout":
		fmt.Println("hello from a plugin that ignores the rules")
	case "proto":
		// A go-plugin handshake line with a protocol version hull does
		// not speak; then linger so that hull has to kill us.
		fmt.Println("1|99|unix|/nonexistent/hull-test.sock|grpc")
		time.Sleep(time.Minute)
		return
	}
	if filepath.Base(exe) == "hull-test-label" {
		sdk.Serve(label{})
		return
	}
	sdk.Serve(bad{mode: mode})
}

type label struct{}

func (label) Info() sdk.Info {
	return sdk.Info{Name: "test-label", Version: "0.0.1", Keywords: []string{"LABEL"}, Description: "test: LABEL override"}
}

func (label) CacheInputs(context.Context, sdk.Request) (sdk.CacheInputs, error) {
	return sdk.CacheInputs{}, nil
}

func (label) Execute(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	cfg := req.Config
	labels := map[string]string{}
	for k, v := range cfg.Labels {
		labels[k] = v
	}
	for _, a := range strings.Fields(strings.Join(req.Instruction.Args, " ")) {
		k, v, _ := strings.Cut(a, "=")
		labels[k] = strings.Trim(v, `"`)
	}
	labels["overridden-by"] = "hull-test-label"
	cfg.Labels = labels
	return sdk.Response{Config: cfg, History: "LABEL (test plugin)", EmptyLayer: true}, nil
}

type bad struct{ mode string }

func (b bad) Info() sdk.Info {
	if b.mode == "log" {
		fmt.Fprintln(os.Stderr, "test-bad: info")
	}
	if b.mode == "info-panic" {
		panic("test-bad: no info today")
	}
	return sdk.Info{Name: "test-bad", Version: "0.0.1", Keywords: []string{"BAD"}, Description: "test: misbehaves on demand"}
}

func (b bad) CacheInputs(context.Context, sdk.Request) (sdk.CacheInputs, error) {
	if b.mode == "hang" {
		time.Sleep(time.Hour)
	}
	if b.mode == "log" {
		fmt.Fprintln(os.Stderr, "test-bad: cache inputs")
	}
	return sdk.CacheInputs{NoCache: true}, nil
}

func (b bad) Execute(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	if b.mode == "crash" {
		fmt.Fprintln(os.Stderr, "test-bad: crashing on purpose")
		os.Exit(3)
	}
	if b.mode == "log" {
		sdk.Logger().Info("test-bad: execute", "args", strings.Join(req.Instruction.Args, " "))
	}
	return sdk.Response{Config: req.Config, History: "BAD", EmptyLayer: true}, nil
}
