package plugins

import (
	"os/exec"

	"github.com/hull-project/hull/isolation/role"
)

// BuiltinCommand is the command line of built-in plugin name: this very
// binary, re-executed as role.Plugin (`hull __hull-plugin NAME`), which
// main dispatches to ServeBuiltin before the CLI sees os.Args.
func BuiltinCommand(name string) *exec.Cmd {
	return exec.Command("/proc/self/exe", role.Plugin, name)
}

// StartBuiltin launches built-in plugin name with opts' deadlines.
func StartBuiltin(name string, opts Options) (*Client, error) {
	opts.Cmd = BuiltinCommand(name)
	opts.Path = ""
	opts.Name = "builtin " + name
	return Start(opts)
}
