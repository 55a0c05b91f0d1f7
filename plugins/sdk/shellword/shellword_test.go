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
