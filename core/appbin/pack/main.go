// Command pack compresses the full hull (built with -tags apps) for
// core/appbin to embed: `pack IN OUT` writes OUT.zst and OUT.sha256 (the
// hex SHA-256 of IN, which the default hull checks the extracted copy
// against). `make build` runs it; it is not part of hull.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: pack IN OUT")
		os.Exit(2)
	}
	if err := pack(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "pack: %v\n", err)
		os.Exit(1)
	}
}

func pack(in, out string) error {
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(out + ".zst")
	if err != nil {
		return err
	}
	defer dst.Close()
	enc, err := zstd.NewWriter(dst, zstd.WithEncoderLevel(zstd.SpeedBetterCompression))
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(enc, io.TeeReader(src, h)); err != nil {
		return fmt.Errorf("compress %s: %w", in, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("compress %s: %w", in, err)
	}
	if err := dst.Close(); err != nil {
		return err
	}
	return os.WriteFile(out+".sha256", []byte(hex.EncodeToString(h.Sum(nil))), 0o644)
}
