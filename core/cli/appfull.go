//go:build apps

package cli

// completeInFullHull does nothing in the full hull: its own command tree
// has the app commands' subcommands and flags (see appstub.go).
func completeInFullHull() error { return nil }
