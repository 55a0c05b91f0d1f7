//go:build !appsbin

package plugins

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hull-project/hull/isolation/role"
	"github.com/hull-project/hull/plugins/sdk"
)

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
