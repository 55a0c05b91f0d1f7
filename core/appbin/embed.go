//go:build appsbin

package appbin

import _ "embed"

// packed is hull built with -tags apps, zstd-compressed, and sum the hex
// SHA-256 of the uncompressed binary: both written by `make build`
// (core/appbin/pack) just before the default binary.
var (
	//go:embed hull-apps.zst
	packed []byte
	//go:embed hull-apps.sha256
	sum string
)
