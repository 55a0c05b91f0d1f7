//go:build appsbin

package plugins

import "context"

// Inspect starts the plugin, which this build cannot (ErrNeedsFullBinary).
func Inspect(ctx context.Context, path string, opts InspectOptions) (*Report, error) {
	return nil, &Error{Plugin: path, Op: "inspect", Err: ErrNeedsFullBinary}
}
