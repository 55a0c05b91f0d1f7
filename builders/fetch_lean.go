//go:build appsbin

package builders

import (
	"context"
	"fmt"

	"github.com/hull-project/hull/builders/copier"
	"github.com/hull-project/hull/plugins"
)

// The default hull of `make build` links no HTTP client (net/http,
// crypto/tls: their package init would cost every run and ps,
// docs/speed.md). It runs no build step either (it cannot start the
// instruction plugins, plugins.CanStart), so no ADD of a URL gets here:
// the full hull it embeds runs such builds. Should one get here, it
// fails as a step that needs the full hull does.

// fetcher downloads nothing in this build.
type fetcher struct{}

func (b *build) fetcher() (*fetcher, error) { return &fetcher{}, nil }

func (f *fetcher) download(_ context.Context, src, _ string) (copier.File, error) {
	return copier.File{}, fmt.Errorf("ADD %s: %w", src, plugins.ErrNeedsFullBinary)
}
