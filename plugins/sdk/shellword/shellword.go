// Package shellword is the small shell-word language of Dockerfiles:
// variable expansion ($VAR, ${VAR}, ${VAR:-word} and the other forms
// Docker knows), quote removal and word splitting. It is not a shell:
// there is no command substitution, globbing or arithmetic.
//
// hull's own instructions (the build engine and the built-in handlers)
// use this package, so a plugin that uses it, directly or through
// sdk.Expand and sdk.Words, expands its arguments exactly as COPY or ENV
// would. A differential test and fuzz target (builders/dockerfile/reference,
// a module of its own so that this one does not depend on BuildKit) hold it
// to BuildKit's lexer, the one Docker uses.
package shellword

// Lookup returns the value of a variable and whether it is set.
type Lookup func(name string) (string, bool)

// Options change how text is read.
type Options struct {
	// Escape is the escape character (the Dockerfile's "# escape="
	// directive); 0 means '\'.
	Escape rune
	// KeepUnset leaves references to unset variables as written ($NAME,
	// ${NAME}, ${NAME:-word} with its word read) instead of expanding
	// them, as BuildKit does for heredoc delimiters.
	KeepUnset bool
}

// Expand expands variables in word the way Docker's shell lexer does and
// removes the quotes: $VAR, ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word},
// ${VAR+word}, ${VAR:?msg}, ${VAR?msg} and the pattern forms ${VAR#p},
// ${VAR##p}, ${VAR%p}, ${VAR%%p}, ${VAR/p/r} and ${VAR//p/r} (* and ?
// are the wildcards; [ is literal, as in BuildKit). Single quotes are
// literal; double quotes allow expansion; the escape character makes the
// next character literal.
// Whitespace is kept: the result is one word. A nil lookup treats every
// variable as unset.
func Expand(word string, lookup Lookup, opts Options) (string, error) {
	s, _, err := newLexer(word, lookup, opts).process()
	return s, err
}

// Words expands s like Expand and splits the result into words: blanks
// outside quotes separate words, and so do blanks inside the value of an
// unquoted variable. Empty words are dropped, as Docker does.
func Words(s string, lookup Lookup, opts Options) ([]string, error) {
	_, words, err := newLexer(s, lookup, opts).process()
	return words, err
}

// ExpandHeredoc expands the variables of a here-document body and nothing
// else: quotes stay as written (BuildKit expands bodies with quote
// processing off). `\$` gives a literal dollar; other backslashes are
// kept, where BuildKit drops them. Use it only for a body whose delimiter
// was not quoted (Heredoc.Expand).
func ExpandHeredoc(body string, lookup Lookup) (string, error) {
	l := newLexer(body, lookup, Options{})
	l.heredoc = true
	s, _, err := l.process()
	return s, err
}
