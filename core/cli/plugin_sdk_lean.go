//go:build appsbin

package cli

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core/appbin"
)

// writeSDK runs in the full hull: the SDK's source is embedded in package
// sdk, which links gRPC and go-plugin, and this hull links neither
// (docs/speed.md).
func writeSDK(*cli.Context, string) error {
	return appbin.Exec(os.Args, os.Environ())
}
