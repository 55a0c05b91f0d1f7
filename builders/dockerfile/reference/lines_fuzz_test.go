package reference

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLinesMatchBuildKit is the differential fuzz target of the line
// layer: when both hull's parser and BuildKit's accept a file, they find
// the same instructions on the same lines with the same heredocs. Left
// out: CR (hull drops it from heredoc lines, BuildKit keeps it in the
// body), and NUL and invalid UTF-8, which BuildKit's heredoc lexer reads
// through text/scanner as U+FFFD.
func FuzzLinesMatchBuildKit(f *testing.F) {
	paths, _ := filepath.Glob("../testdata/*/Dockerfile")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		if strings.ContainsAny(src, "\r\x00") || !utf8.ValidString(src) {
			return
		}
		got, herr := hullLines(src)
		want, werr := buildkitLines(src)
		if herr != nil || werr != nil {
			return
		}
		if got != want {
			t.Fatalf("%q\n--- hull\n%s--- BuildKit\n%s", src, got, want)
		}
	})
}
