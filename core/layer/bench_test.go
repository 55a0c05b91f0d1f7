package layer

import (
	"bytes"
	"fmt"
	"io"
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

// assembleTar is a layer shaped like a distribution's base image: 6,000
// files in 60 directories, most a few KiB, some tens of KiB and a few of
// a MiB (about 96 MiB in all), with pseudo-random content.
func assembleTar(b *testing.B) []byte {
	rnd := make([]byte, 1<<20)
	for i := range rnd {
		rnd[i] = byte(i*7 + i>>8*13)
	}
	var items []item
	for d := range 60 {
		dir := fmt.Sprintf("usr/lib/pkg%02d/", d)
		items = append(items, dirItem(dir, 0o755))
		for f := range 100 {
			size := []int{200, 3000, 6000, 12000, 40000}[f%5]
			if f == 99 && d%2 == 0 {
				size = 1 << 20
			}
			items = append(items, fileItem(fmt.Sprintf("%sf%03d", dir, f), string(rnd[:size]), 0o644))
		}
	}
	return tarOf(b, items...)
}

// BenchmarkAssemble writes a layer's tar again from its unpacked
// directory and tar-split metadata (what save and push do for a layer
// kept once).
func BenchmarkAssemble(b *testing.B) {
	data := assembleTar(b)
	dir := b.TempDir()
	if err := Unpack(bytes.NewReader(data), dir, Options{}); err != nil {
		b.Fatal(err)
	}
	var meta bytes.Buffer
	if err := Disassemble(bytes.NewReader(data), &meta); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Assemble(bytes.NewReader(meta.Bytes()), dir, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDisassemble writes a layer's tar-split metadata (import, pull,
// load and build do it once a layer).
func BenchmarkDisassemble(b *testing.B) {
	data := assembleTar(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Disassemble(bytes.NewReader(data), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
