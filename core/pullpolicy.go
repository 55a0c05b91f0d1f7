package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/transfer"
)

// Pull policies of `hull run --pull` and FROM in builds, as Docker's.
const (
	PullAlways  = "always"  // pull even when the image is present
	PullMissing = "missing" // pull only when it is not (the default)
	PullNever   = "never"   // never pull
)

// ImageFor finds ref locally or pulls it, following policy ("" is
// PullMissing). In the default hull a pull is appbin.ErrNeedsFullHull
// (transfer_lean.go), before anything is written; an image in the store
// is found without it.
func (h *Hull) ImageFor(ctx context.Context, ref, policy string, opts transfer.PullOptions) (*image.Image, error) {
	switch policy {
	case PullAlways:
		return h.Pull(ctx, ref, opts)
	case "", PullMissing, PullNever:
	default:
		return nil, fmt.Errorf("invalid pull policy %q: always, missing or never", policy)
	}
	img, err := h.Images.Lookup(ref)
	if !errors.Is(err, image.ErrNotFound) || policy == PullNever {
		return img, err
	}
	if _, nerr := image.NormalizeRef(ref); nerr != nil {
		return nil, err // an id prefix, not a name to pull
	}
	return h.Pull(ctx, ref, opts)
}
