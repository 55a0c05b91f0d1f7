//go:build !appsbin

package copier

import (
	"io"

	"github.com/ulikunitz/xz"
)

// xzReader decompresses an xz stream (ADD's auto-extraction).
func xzReader(r io.Reader) (io.Reader, error) { return xz.NewReader(r) }
