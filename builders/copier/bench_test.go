package copier

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// bigContext makes the reference workload: 2,000 small files in 20
// directories and one 100 MiB file.
func bigContext(b *testing.B) string {
	dir := b.TempDir()
	small := make([]byte, 2048)
	for i := 0; i < 2000; i++ {
		p := filepath.Join(dir, "src", fmt.Sprintf("d%02d", i%20), fmt.Sprintf("f%04d.txt", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, small, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	big := make([]byte, 100<<20)
	rand.Read(big)
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkCopyBigContext copies the whole context; run with
// TMPDIR=/dev/shm for stable numbers.
func BenchmarkCopyBigContext(b *testing.B) {
	src := bigContext(b)
	for i := 0; i < b.N; i++ {
		dst := b.TempDir()
		if err := Copy(src, dst, Op{Sources: []string{"."}, Dest: "/app/"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashBigContext(b *testing.B) {
	src := bigContext(b)
	for i := 0; i < b.N; i++ {
		if _, err := Hash(src, Op{Sources: []string{"."}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCopySmallFiles copies only the 2,000 small files.
func BenchmarkCopySmallFiles(b *testing.B) {
	src := bigContext(b)
	for i := 0; i < b.N; i++ {
		dst := b.TempDir()
		if err := Copy(src, dst, Op{Sources: []string{"src"}, Dest: "/app/"}); err != nil {
			b.Fatal(err)
		}
	}
}
