package test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Set once by TestMain, read-only afterwards.
var (
	// hullBin is the absolute path of the binary under test.
	hullBin string
	// baseDir holds everything the suite creates (stores, fixtures).
	baseDir string
	// busyboxTar is the busybox base image, built once and imported into
	// every store that needs it.
	busyboxTar string
)

// TestMain refuses to run rather than skip: a suite that silently skips
// looks green while testing nothing.
func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "integration tests: %v\n", err)
		os.Exit(2)
	}
	code := m.Run()
	if err := removeTree(baseDir); err != nil {
		fmt.Fprintf(os.Stderr, "integration tests: clean up %s: %v\n", baseDir, err)
	}
	os.Exit(code)
}

func setup() error {
	if os.Geteuid() == 0 {
		return fmt.Errorf("integration tests must run as an unprivileged user; use make test")
	}
	bin := os.Getenv("HULL_BIN")
	if bin == "" {
		return fmt.Errorf("HULL_BIN is not set: point it at the built hull binary (make test does)")
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return fmt.Errorf("HULL_BIN %s: %w", bin, err)
	}
	if st, err := os.Stat(abs); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("HULL_BIN %s is not an executable file (%v)", abs, err)
	}
	hullBin = abs
	baseDir, err = os.MkdirTemp("", "hull-it")
	if err != nil {
		return fmt.Errorf("create base dir: %w", err)
	}
	busyboxTar, err = makeBusyboxTar(baseDir)
	if err != nil {
		return fmt.Errorf("build busybox image: %w", err)
	}
	return nil
}
