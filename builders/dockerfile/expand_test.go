package dockerfile

import (
	"slices"
	"testing"
)

func testEnv(name string) (string, bool) {
	v, ok := map[string]string{
		"A":     "a",
		"B":     "bee",
		"EMPTY": "",
		"SP":    "x  y",
		"PATH":  "/usr/local/bin:/usr/bin",
		"FILE":  "archive.tar.gz",
		"_u1":   "under",
		"1":     "one",
	}[name]
	return v, ok
}

func TestExpand(t *testing.T) {
	tests := []struct {
		in, want string
		escape   rune
	}{
		{in: "plain", want: "plain"},
		{in: "$A", want: "a"},
		{in: "${A}", want: "a"},
		{in: "$A$B", want: "abee"},
		{in: "${A}x", want: "ax"},
		{in: "$Ax", want: ""}, // the name is Ax
		{in: "$_u1-", want: "under-"},
		{in: "$1x", want: "onex"},
		{in: "$UNSET", want: ""},
		{in: "a$", want: "a$"},
		{in: "$ A", want: "$ A"},
		{in: "${UNSET:-def}", want: "def"},
		{in: "${EMPTY:-def}", want: "def"},
		{in: "${EMPTY-def}", want: ""},
		{in: "${UNSET-def}", want: "def"},
		{in: "${A:-def}", want: "a"},
		{in: "${A:+alt}", want: "alt"},
		{in: "${EMPTY:+alt}", want: ""},
		{in: "${EMPTY+alt}", want: "alt"},
		{in: "${UNSET+alt}", want: ""},
		{in: "${A:?msg}", want: "a"},
		{in: "${EMPTY?msg}", want: ""},
		{in: "${UNSET:-${B}}", want: "bee"},
		{in: "${UNSET:-${ALSO:-deep}}", want: "deep"},
		{in: "${UNSET:-$A/x}", want: "a/x"},
		{in: `${UNSET:-"q }"}`, want: "q }"},
		{in: `\$A`, want: "$A"},
		{in: `\\$A`, want: `\a`},
		{in: `a\ b`, want: "a b"},
		{in: `trailing\`, want: "trailing"},
		{in: `'$A'`, want: "$A"},
		{in: `'a\b'`, want: `a\b`},
		{in: `"$A"`, want: "a"},
		{in: `"${A} and $B"`, want: "a and bee"},
		{in: `"\$A"`, want: "$A"},
		{in: `"a\"b"`, want: `a"b`},
		{in: `"a\nb"`, want: `a\nb`},
		{in: `"it's"`, want: "it's"},
		{in: `'say "hi"'`, want: `say "hi"`},
		{in: `x"y"'z'`, want: "xyz"},
		{in: "$SP", want: "x  y"},
		{in: "`$A", want: "$A", escape: '`'},
		{in: `c:\$A`, want: `c:\a`, escape: '`'},
		{in: "${FILE%.gz}", want: "archive.tar"},
		{in: "${FILE%%.*}", want: "archive"},
		{in: "${FILE#*.}", want: "tar.gz"},
		{in: "${FILE##*.}", want: "gz"},
		{in: "${PATH#/usr/local/bin:}", want: "/usr/bin"},
		{in: "${FILE%.zip}", want: "archive.tar.gz"},
	}
	for _, tt := range tests {
		got, err := Expand(tt.in, testEnv, tt.escape)
		if err != nil {
			t.Errorf("Expand(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExpandErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"${UNSET:?x}", "UNSET: x"},
		{"${UNSET?must be set}", "UNSET: must be set"},
		{"${EMPTY:?}", "EMPTY: is not allowed to be empty"},
		{"${UNSET:?}", "UNSET: is not allowed to be unset"},
		{"${UNSET?}", "UNSET: is not allowed to be unset"},
		{"${UNSET:-${X:?inner}}", "X: inner"},
		{"${A", "syntax error: missing '}'"},
		{"${A:-x", "syntax error: missing '}'"},
		{"${", "syntax error: missing '}'"},
		{"${}", "syntax error: bad substitution"},
		{"${:-x}", "syntax error: bad substitution"},
		{"${A*x}", "unsupported modifier (*) in substitution"},
		{"${A:=x}", "unsupported modifier (:=) in substitution"},
		{"'open", "unexpected end of statement while looking for matching single-quote"},
		{`"open`, "unexpected end of statement while looking for matching double-quote"},
	}
	for _, tt := range tests {
		_, err := Expand(tt.in, testEnv, '\\')
		if err == nil || err.Error() != tt.want {
			t.Errorf("Expand(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestExpandNilLookup(t *testing.T) {
	got, err := Expand("a${X:-b}$Y", nil, 0)
	if err != nil || got != "ab" {
		t.Fatalf("Expand with nil lookup = %q, %v; want \"ab\"", got, err)
	}
}

func TestExpandWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a b  c", []string{"a", "b", "c"}},
		{`"a b" c`, []string{"a b", "c"}},
		{`a\ b c`, []string{"a b", "c"}},
		{"$SP z", []string{"x", "y", "z"}},
		{`"$SP" z`, []string{"x  y", "z"}},
		{"pre$SP", []string{"prex", "y"}},
		{`'' a ""`, []string{"a"}},
		{"80/tcp ${UNSET:-443}", []string{"80/tcp", "443"}},
		{"$UNSET", nil},
		{"  ", nil},
	}
	for _, tt := range tests {
		got, err := ExpandWords(tt.in, testEnv, '\\')
		if err != nil {
			t.Errorf("ExpandWords(%q): %v", tt.in, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ExpandWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
