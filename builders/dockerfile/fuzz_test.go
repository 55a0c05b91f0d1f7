package dockerfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic and that every error is
// an *Error with a sensible line.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*/Dockerfile")
	errPaths, _ := filepath.Glob("testdata/errors/*.Dockerfile")
	for _, p := range append(paths, errPaths...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("# escape=`\nFROM a\nRUN <<-\"X\" 3<<Y\n\tx\n\tX\ny\nY\n")
	f.Fuzz(func(t *testing.T, src string) {
		df, err := Parse(strings.NewReader(src), "Dockerfile")
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v is %T, not *Error", err, err)
			}
			if perr.Line < 0 || perr.Line > strings.Count(src, "\n")+1 {
				t.Fatalf("error line %d out of range: %v", perr.Line, err)
			}
			return
		}
		if len(df.Stages) == 0 {
			t.Fatal("parse succeeded without a stage")
		}
		for _, st := range df.Stages {
			if st.From.Keyword != "FROM" || st.BaseName == "" {
				t.Fatalf("bad stage %+v", st)
			}
			for _, inst := range st.Instructions {
				if inst.StartLine < 1 || inst.EndLine < inst.StartLine {
					t.Fatalf("bad lines %d-%d", inst.StartLine, inst.EndLine)
				}
			}
		}
	})
}

// FuzzExpand checks that Expand never panics and that text without any
// special character comes back unchanged.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"$A", "${A:-${B}}", `"a\"b" 'c'`, "${A%%*.}", "${A#[a-z]}", "${A:?x}", `\`, "${"} {
		f.Add(s)
	}
	lookup := func(name string) (string, bool) {
		if name == "A" {
			return "a b.c", true
		}
		return "", name == "E"
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Expand(s, lookup, '\\')
		words, _ := ExpandWords(s, lookup, '`')
		for _, w := range words {
			if w == "" {
				t.Fatalf("ExpandWords(%q) returned an empty word", s)
			}
		}
		if err != nil {
			return
		}
		if !strings.ContainsAny(s, "$'\"\\") && got != s {
			t.Fatalf("Expand(%q) = %q, want it unchanged", s, got)
		}
	})
}
