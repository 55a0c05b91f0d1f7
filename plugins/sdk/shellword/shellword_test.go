package shellword

import (
	"slices"
	"testing"
)

func env(name string) (string, bool) {
	v, ok := map[string]string{"A": "a", "SP": "x  y", "EMPTY": ""}[name]
	return v, ok
}

// The lexer's cases are in builders/dockerfile (expand_test.go, fuzz),
// which calls this package; these cover what only the package offers.
func TestWordsAndOptions(t *testing.T) {
	words, err := Words(`$A "b c" $SP 'd $A' \$A ${EMPTY}`, env, Options{})
	if want := []string{"a", "b c", "x", "y", "d $A", "$A"}; err != nil || !slices.Equal(words, want) {
		t.Errorf("Words = %q, %v; want %q", words, err, want)
	}
	if s, err := Expand("`$A", env, Options{Escape: '`'}); err != nil || s != "$A" {
		t.Errorf("escape `: %q, %v", s, err)
	}
	if s, err := Expand("$A-$NOPE-${NOPE2}", env, Options{KeepUnset: true}); err != nil || s != "a-$NOPE-${NOPE2}" {
		t.Errorf("KeepUnset: %q, %v", s, err)
	}
	if _, err := Expand("${A", env, Options{}); err == nil {
		t.Errorf("unterminated ${: no error")
	}
}

func TestExpandHeredoc(t *testing.T) {
	got, err := ExpandHeredoc("say \"$A\" '${A}' \\$A $ ${SP:-z} \\n\n", env)
	if want := "say \"a\" 'a' $A $ x  y \\n\n"; err != nil || got != want {
		t.Errorf("ExpandHeredoc = %q, %v; want %q", got, err, want)
	}
}

// The ${v#p}, ${v%p} and ${v/p/r} forms follow BuildKit (the differential
// test in builders/dockerfile/reference holds the package to it).
func TestPatternsAsBuildKit(t *testing.T) {
	look := func(name string) (string, bool) {
		v, ok := map[string]string{"F": "archive.tar.gz", "P": "/a/b"}[name]
		return v, ok
	}
	for _, tt := range []struct{ in, want string }{
		{"${F/tar/zip}", "archive.zip.gz"},
		{"${F//a/o}", "orchive.tor.gz"},
		{`${P//\//_}`, "_a_b"},
		{"${F/*./}", "gz"},                // the longest match, as in bash
		{"${F#[a-c]*}", "archive.tar.gz"}, // no bracket expressions: [ is literal
		{"${F%%.*}", "archive"},
		{`${F%"\z"}`, "archive.tar.gz"},
	} {
		if got, err := Expand(tt.in, look, Options{}); err != nil || got != tt.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := Expand(`${F#\a}`, look, Options{}); err == nil {
		t.Errorf(`${F#\a}: no "invalid escape" error`)
	}
	if s, err := Expand("${NOPE:-x}<<${NOPE#y}", look, Options{KeepUnset: true}); err != nil || s != "${NOPE:-x}<<${NOPE#y}" {
		t.Errorf("KeepUnset with modifiers: %q, %v", s, err)
	}
	if w, err := Words("a << EOF b", look, Options{}); err != nil || !slices.Equal(w, []string{"a", "<< EOF", "b"}) {
		t.Errorf("Words with a heredoc marker: %q, %v", w, err)
	}
}
