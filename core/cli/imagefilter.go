package cli

import (
	"time"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/image"
)

// resolveImageTimes turns images' before= and since= (an image's name or
// id) into that image's creation time (RFC 3339), as Docker compares
// them; an image that does not exist is an error.
func resolveImageTimes(h *core.Hull, f filters) error {
	for _, k := range []string{"before", "since"} {
		for i, v := range f[k] {
			views, errs := h.Inspect([]string{v}, "image")
			if len(errs) > 0 {
				return errs[0]
			}
			f[k][i] = views[0].(core.ImageView).Created
		}
	}
	return nil
}

// matchImageTimes applies the resolved before= and since= to img.
func (f filters) matchImageTimes(img *image.Image) bool {
	for _, v := range f["before"] {
		if t, err := time.Parse(time.RFC3339Nano, v); err != nil || !img.Created.Before(t) {
			return false
		}
	}
	for _, v := range f["since"] {
		if t, err := time.Parse(time.RFC3339Nano, v); err != nil || !img.Created.After(t) {
			return false
		}
	}
	return true
}
