package reference

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/hull-project/hull/plugins/sdk/shellword"
)

// The shell-word language lives in the SDK module (plugins/sdk/shellword),
// which may not depend on BuildKit. These tests hold it to BuildKit's own
// lexer (frontend/dockerfile/shell, what Docker uses), so that the two
// cannot drift: every input the reference accepts must give the same
// result and the same words, and an input one rejects the other rejects.

// refEnv is the variable set both lexers see.
var refEnv = map[string]string{
	"A": "a", "B": "bee", "EMPTY": "", "SP": "x  y", "TAB": "p\tq",
	"FILE": "archive.tar.gz", "PATH": "/usr/local/bin:/usr/bin", "_u1": "under", "1": "one",
}

type refGetter struct{}

func (refGetter) Get(k string) (string, bool) { v, ok := refEnv[k]; return v, ok }

func (refGetter) Keys() []string {
	keys := make([]string, 0, len(refEnv))
	for k := range refEnv {
		keys = append(keys, k)
	}
	return keys
}

func refLookup(k string) (string, bool) { v, ok := refEnv[k]; return v, ok }

// refComparable reports whether s is text both lexers read as text:
// BuildKit's reads through text/scanner, which turns invalid UTF-8 and
// NUL into U+FFFD and an error printed on stderr; shellword passes those
// bytes through unchanged.
func refComparable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0) && !strings.ContainsRune(s, utf8.RuneError)
}

// compareWithReference returns a description of how shellword and
// shell.Lex disagree on s, or "".
func compareWithReference(s string, escape rune, keepUnset bool) string {
	lex := shell.NewLex(escape)
	lex.SkipUnsetEnv = keepUnset
	opts := shellword.Options{Escape: escape, KeepUnset: keepUnset}

	want, _, werr := lex.ProcessWord(s, refGetter{})
	got, gerr := shellword.Expand(s, refLookup, opts)
	if (werr == nil) != (gerr == nil) {
		return "Expand error: hull " + errString(gerr) + ", BuildKit " + errString(werr)
	}
	if werr == nil && got != want {
		return "Expand: hull " + quote(got) + ", BuildKit " + quote(want)
	}
	if d := compareHeredocWithReference(s); d != "" {
		return d
	}
	if hasModifier(s) {
		return ""
	}
	wantWords, werr := lex.ProcessWords(s, refGetter{})
	gotWords, gerr := shellword.Words(s, refLookup, opts)
	if (werr == nil) != (gerr == nil) {
		return "Words error: hull " + errString(gerr) + ", BuildKit " + errString(werr)
	}
	if werr == nil && !slices.Equal(gotWords, wantWords) {
		return "Words: hull " + quoteAll(gotWords) + ", BuildKit " + quoteAll(wantWords)
	}
	return ""
}

// compareHeredocWithReference compares the expansion of a here-document
// body (COPY <<EOF with an unquoted delimiter): BuildKit runs ProcessWord
// with quote processing off. Bodies with a backslash are left out: BuildKit
// drops every backslash there (a\nb gives anb), while hull keeps those
// that do not escape a $ (the body is often a script; see
// shellword.ExpandHeredoc).
func compareHeredocWithReference(s string) string {
	if strings.Contains(s, `\`) {
		return ""
	}
	lex := shell.NewLex('\\')
	lex.SkipProcessQuotes = true
	want, _, werr := lex.ProcessWord(s, refGetter{})
	got, gerr := shellword.ExpandHeredoc(s, refLookup)
	if (werr == nil) != (gerr == nil) {
		return "ExpandHeredoc error: hull " + errString(gerr) + ", BuildKit " + errString(werr)
	}
	if werr == nil && got != want {
		return "ExpandHeredoc: hull " + quote(got) + ", BuildKit " + quote(want)
	}
	return ""
}

// hasModifier reports whether s may hold a ${name<modifier>...}. Words
// are not compared then: BuildKit's ProcessWords loses the part of a word
// before such a reference (a${UNSET:-b} gives ["b"], since the nested
// read of the modifier's word resets the shared word buffer), also one
// with an empty name (0${%}0 gives ["0"]: only @*#?-$! and digits name a
// special parameter). BuildKit
// itself calls ProcessWords only for heredoc markers and EXPOSE; COPY's
// sources are split first and each expanded with ProcessWord, which the
// test compares on every input.
func hasModifier(s string) bool {
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return false
		}
		s = s[i+2:]
		j := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' })
		if j == 0 && len(s) > 0 && strings.IndexByte("@*#?-$!", s[0]) >= 0 {
			j = 1 // a special parameter (BuildKit's isSpecialParam)
		}
		if j < 0 || s[j:] == "" || s[j] != '}' {
			return true
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "none"
	}
	return quote(err.Error())
}

func quote(s string) string { return "«" + s + "»" }

func quoteAll(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = quote(w)
	}
	return "[" + strings.Join(q, " ") + "]"
}

var referenceSeeds = []string{
	"plain", "$A", "${A}", "$A$B", "$Ax", "$_u1-", "$1x", "$UNSET", "a$", "$ A",
	"${UNSET:-def}", "${EMPTY:-def}", "${EMPTY-def}", "${A:+alt}", "${EMPTY+alt}", "${UNSET+alt}",
	"${A:?msg}", "${UNSET:?msg}", "${EMPTY:?}", "${UNSET?}", "${UNSET:-${B}}", "${UNSET:-${ALSO:-deep}}",
	`${UNSET:-"q }"}`, `\$A`, `\\$A`, `a\ b`, `trailing\`, `'$A'`, `'a\b'`, `"$A"`, `"\$A"`, `"a\"b"`,
	`"a\nb"`, `'say "hi"'`, `x"y"'z'`, "$SP", "x $SP y", `"$SP"`, "$TAB", "`$A", "c:`$A",
	"${FILE%.gz}", "${FILE%%.*}", "${FILE#*.}", "${FILE##*.}", "${FILE%.zip}", "${FILE#[a-c]*}",
	"${FILE%%[!z]}", `${FILE#\a}`, "${", "${}", "${:}", "${A", "${A:", "${A:x}", "${A^}", `"open`, "'open",
	"${UNSET:-'x'}", `${UNSET:-"$A b"}`, "$@ $* $# $? $- $$ $! $0", "${#}", "<<EOF", "a < b << c",
	`"" ''`, `a"" b`, "é ${A}ü", "\t a \n b ", `\"`, `"\\"`, "``",
	"$A/x", "${UNSET:-$A/x}", "${FILE/tar/zip}", "${FILE//a/o}", `${PATH//\//_}`, "${FILE/*./}", "${FILE/",
	"${FILE/a}", `${FILE#'\'}`, `${FILE%"\z"}`, `${FILE#a\*}`, "${UNSET#x}", "${UNSET:x}", "${A:}x}",
	"${FILE//[a]/b}", "${FILE/a/$1}", "${UNSET/a/b}", "<<EOF", "<< EOF x", "a<<-\tE",
}

func TestShellwordMatchesBuildKit(t *testing.T) {
	for _, s := range referenceSeeds {
		if !refComparable(s) {
			continue
		}
		for _, escape := range []rune{'\\', '`'} {
			for _, keep := range []bool{false, true} {
				if d := compareWithReference(s, escape, keep); d != "" {
					t.Errorf("%q (escape %q, keep unset %t): %s", s, escape, keep, d)
				}
			}
		}
	}
}

// FuzzShellwordMatchesBuildKit is the differential fuzz target: the
// SDK's lexer and BuildKit's on the same input.
func FuzzShellwordMatchesBuildKit(f *testing.F) {
	for _, s := range referenceSeeds {
		f.Add(s, false, false)
	}
	f.Fuzz(func(t *testing.T, s string, backtick, keep bool) {
		if !refComparable(s) {
			return
		}
		escape := '\\'
		if backtick {
			escape = '`'
		}
		if d := compareWithReference(s, escape, keep); d != "" {
			t.Fatalf("%q (escape %q, keep unset %t): %s", s, escape, keep, d)
		}
	})
}
