package dockerfile

import "github.com/hull-project/hull/plugins/sdk/shellword"

// The shell-word language lives in the SDK module (package shellword), so
// that plugins expand their arguments with the very code hull's own
// instructions use; these are its entry points for the engine.

// Lookup returns the value of a build variable and whether it is set.
type Lookup = shellword.Lookup

// Expand expands variables in word the way Docker's shell lexer does and
// removes the quotes: $VAR, ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word},
// ${VAR+word}, ${VAR:?msg}, ${VAR?msg} and the pattern forms ${VAR#p},
// ${VAR##p}, ${VAR%p}, ${VAR%%p}, ${VAR/p/r}, ${VAR//p/r} (patterns as
// BuildKit reads them). Single quotes are literal; double quotes
// allow expansion; escape (0 means '\\') makes the next character literal.
// Whitespace is kept: the result is one word. A nil lookup treats every
// variable as unset.
func Expand(word string, lookup Lookup, escape rune) (string, error) {
	return shellword.Expand(word, lookup, shellword.Options{Escape: escape})
}

// ExpandWords expands s like Expand and splits the result into words: blanks
// outside quotes separate words, and so do blanks inside the value of an
// unquoted variable. Empty words are dropped, as Docker does.
func ExpandWords(s string, lookup Lookup, escape rune) ([]string, error) {
	return shellword.Words(s, lookup, shellword.Options{Escape: escape})
}
