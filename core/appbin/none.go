//go:build !appsbin

package appbin

// Without the appsbin build tag (a plain `go build`) there is no full
// binary to hand the app-file commands to: Exec says so.
var (
	packed, packedFull []byte
	sum, sumFull       string
)
