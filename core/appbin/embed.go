//go:build appsbin

package appbin

import _ "embed"

// packed is hull built with -tags apps (the app hull), zstd-compressed,
// and sum the hex SHA-256 of the uncompressed binary; packedFull and
// sumFull the same of hull built without it (the full hull): all written
// by `make build` (core/appbin/pack) just before the default binary.
var (
	//go:embed hull-apps.zst
	packed []byte
	//go:embed hull-apps.sha256
	sum string
	//go:embed hull-full.zst
	packedFull []byte
	//go:embed hull-full.sha256
	sumFull string
)
