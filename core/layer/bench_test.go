package layer

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchTar is a layer of 2,000 4 KiB files in 40 directories.
func benchTar(b *testing.B) []byte {
	body := string(bytes.Repeat([]byte("x"), 4096))
	var items []item
	for d := range 40 {
		dir := fmt.Sprintf("usr/share/pkg%02d/", d)
		items = append(items, dirItem(dir, 0o755))
		for f := range 50 {
			items = append(items, fileItem(fmt.Sprintf("%sfile%02d", dir, f), body, 0o644))
		}
	}
	return tarOf(b, items...)
}

func BenchmarkUnpack(b *testing.B) {
	data := benchTar(b)
	for _, cache := range []bool{true, false} {
		b.Run(fmt.Sprintf("cache=%v", cache), func(b *testing.B) {
			defer func(old bool) { cacheParents = old }(cacheParents)
			cacheParents = cache
			parent := b.TempDir()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				dir := filepath.Join(parent, fmt.Sprint(i))
				i++
				if err := os.Mkdir(dir, 0o755); err != nil {
					b.Fatal(err)
				}
				if err := Unpack(bytes.NewReader(data), dir, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
