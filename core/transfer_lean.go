//go:build appsbin

package core

import (
	"context"
	"fmt"
	"io"

	"github.com/hull-project/hull/core/appbin"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/transfer"
)

// The default hull of `make build` links no registry client and no
// archive writer (net/http, crypto/tls, go-containerregistry: their
// package init would cost every run and ps, docs/speed.md). Its pull and
// push, save and load commands are the full hull's (core/cli); what core
// itself would pull or save (run's image, build's FROM and -o) answers
// appbin.ErrNeedsFullHull before anything is written, and the CLI hands
// the command to the full hull.

// Pull fails with appbin.ErrNeedsFullHull: pulls run in the full hull.
func (h *Hull) Pull(_ context.Context, ref string, _ transfer.PullOptions) (*image.Image, error) {
	return nil, fmt.Errorf("pull %s: %w", image.FamiliarString(ref), appbin.ErrNeedsFullHull)
}

// Save fails with appbin.ErrNeedsFullHull: archives are written by the
// full hull.
func (h *Hull) Save(refs []string, opts transfer.SaveOptions, _ io.Writer) error {
	return fmt.Errorf("save %s: %w", opts.Format, appbin.ErrNeedsFullHull)
}
