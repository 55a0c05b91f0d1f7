package core

import (
	"context"

	"github.com/hull-project/hull/plugins"
)

// InspectPlugin reports a plugin executable's Info, its sha256 and
// whether it passes a quick conformance check of hull's plugin protocol
// (`hull plugin inspect`). The error is only about reading the file; a
// plugin that fails the check gives a Report with OK false.
func InspectPlugin(ctx context.Context, path string) (*plugins.Report, error) {
	return plugins.Inspect(ctx, path, plugins.InspectOptions{})
}
