package plugins

import (
	"fmt"
	"os/exec"
	"sort"
	"strings"

	"github.com/hull-project/hull/isolation/role"
	"github.com/hull-project/hull/plugins/sdk"
)

// BuiltinCommand is the command line of built-in plugin name: this very
// binary, re-executed as role.Plugin (`hull __hull-plugin NAME`), which
// main dispatches to ServeBuiltin before the CLI sees os.Args.
func BuiltinCommand(name string) *exec.Cmd {
	return exec.Command("/proc/self/exe", role.Plugin, name)
}

// ServeBuiltin serves handlers[name] as a plugin (args are argv[2:]) and
// does not return once it serves; a missing or unknown name is a
// role.Exit of 2 naming the known ones.
func ServeBuiltin(args []string, handlers map[string]sdk.Handler) error {
	if len(args) == 0 {
		return &role.Exit{Code: 2, Msg: "hull: " + role.Plugin + ": no plugin name"}
	}
	name := args[0]
	h, ok := handlers[name]
	if !ok {
		names := make([]string, 0, len(handlers))
		for n := range handlers {
			names = append(names, n)
		}
		sort.Strings(names)
		return &role.Exit{Code: 2, Msg: fmt.Sprintf("hull: no built-in plugin %q (have %s)", name, strings.Join(names, ", "))}
	}
	sdk.Serve(h)
	return nil
}

// StartBuiltin launches built-in plugin name with opts' deadlines.
func StartBuiltin(name string, opts Options) (*Client, error) {
	opts.Cmd = BuiltinCommand(name)
	opts.Path = ""
	opts.Name = "builtin " + name
	return Start(opts)
}
