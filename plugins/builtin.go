package plugins

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"

	"github.com/hull-project/hull/plugins/sdk"
)

// BuiltinArg is the hidden first argument that makes hull serve one of its
// built-in handlers: `hull __hull-plugin NAME`. main dispatches it to
// ServeBuiltin before the CLI sees os.Args.
const BuiltinArg = "__hull-plugin"

// BuiltinCommand is the command line of built-in plugin name: this very
// binary, re-executed.
func BuiltinCommand(name string) *exec.Cmd {
	return exec.Command("/proc/self/exe", BuiltinArg, name)
}

// ServeBuiltin serves handlers[name] as a plugin and never returns; an
// unknown name exits 2 with the known ones on stderr.
func ServeBuiltin(name string, handlers map[string]sdk.Handler) {
	h, ok := handlers[name]
	if !ok {
		names := make([]string, 0, len(handlers))
		for n := range handlers {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "hull: no built-in plugin %q (have %s)\n", name, strings.Join(names, ", "))
		os.Exit(2)
	}
	sdk.Serve(h)
}

// StartBuiltin launches built-in plugin name with opts' deadlines.
func StartBuiltin(name string, opts Options) (*Client, error) {
	opts.Cmd = BuiltinCommand(name)
	opts.Path = ""
	opts.Name = "builtin " + name
	return Start(opts)
}
