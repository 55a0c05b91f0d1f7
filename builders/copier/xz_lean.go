//go:build appsbin

package copier

import (
	"errors"
	"io"
)

// The default hull of `make build` links no xz decoder (its package init
// would cost every run and ps, docs/speed.md): it runs no build step, so
// no copy task of its own extracts an archive; the full hull it embeds,
// which runs the steps and their tasks from its own executable, does.
func xzReader(io.Reader) (io.Reader, error) {
	return nil, errors.New("xz archives are extracted by the full hull")
}
