//go:build hullinit

package isolation

import _ "embed"

// initBinary is isolation/initbin, built by `make build` just before hull.
//
//go:embed initbin/hull-init
var initBinary []byte
