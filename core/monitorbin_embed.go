//go:build hullmon

package core

import _ "embed"

// monitorBinary is core/monitor/monbin, built by `make build` before hull.
//
//go:embed monitor/monbin/hull-monitor
var monitorBinary []byte
