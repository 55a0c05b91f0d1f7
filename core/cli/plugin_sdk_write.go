//go:build !appsbin

package cli

import (
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/plugins/sdk"
)

// writeSDK writes the SDK module into dir (sdk.WriteSource) and says how to
// use it.
func writeSDK(c *cli.Context, dir string) error {
	if err := sdk.WriteSource(dir); err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	fmt.Fprintf(c.App.Writer, "wrote the hull plugin SDK (protocol %d) to %s\nuse it in a plugin's module with:\n  go mod edit -replace %s=%s\n",
		sdk.ProtocolVersion, dir, sdk.ModulePath, abs)
	return nil
}
