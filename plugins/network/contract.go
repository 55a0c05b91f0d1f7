package network

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// The contract is the SDK's (netsdk re-exports the same netspec types):
// the built-in drivers implement the very Driver external plugins do.
type (
	Driver      = netspec.Driver
	Request     = netspec.Request
	Mode        = netspec.Mode
	PortMapping = netspec.PortMapping
	Result      = netspec.Result
)

// Built-in driver names (netspec's).
const (
	None        = netspec.None
	Host        = netspec.Host
	Bridge      = netspec.Bridge
	Slirp4netns = netspec.Slirp4netns
	Pasta       = netspec.Pasta
	Default     = netspec.Default
)

// ParseMode is netspec.ParseMode, the one --network parser.
func ParseMode(s string) (Mode, error) { return netspec.ParseMode(s) }

// ErrUnavailable means the driver's program is missing; the error names it.
var ErrUnavailable = errors.New("network driver unavailable")

// boolOption reads a true/false option, refusing anything else.
func boolOption(opts map[string]string, key string) (bool, error) {
	v, ok := opts[key]
	if !ok {
		return false, nil
	}
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("network option %s=%q: want true or false", key, v)
}

// checkOptions refuses options a driver does not know.
func checkOptions(driver string, opts map[string]string, known ...string) error {
	for k := range opts {
		ok := false
		for _, kk := range known {
			ok = ok || k == kk
		}
		if !ok {
			return fmt.Errorf("network %s: unknown option %q (known: %s)", driver, k, strings.Join(known, ", "))
		}
	}
	return nil
}
