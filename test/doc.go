// Package test holds hull's integration tests. They drive the built binary
// (HULL_BIN) as an unprivileged user, each test against its own store
// (--root in a fresh directory), with fixtures such as the busybox base image
// and malicious tarballs generated in code rather than checked in.
//
// Run them with `make test` (as root it builds the binary, creates the test
// user and runs the suite as that user) or, as an unprivileged user:
//
//	HULL_BIN=$PWD/bin/hull go test -count=1 -v ./test
//
// The package has no non-test code; it deliberately imports nothing from
// hull, so the tests see only what a user of the binary sees.
package test
