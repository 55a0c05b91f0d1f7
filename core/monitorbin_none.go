//go:build !hullmon

package core

// monitorBinary is empty without the hullmon build tag: hull then runs
// itself as the monitor (role.Monitor, the same code).
var monitorBinary []byte
