package spec

import (
	"strings"

	"github.com/hull-project/hull/plugins/sdk/shellword"
)

// Expand expands the variables in one word and removes its quotes,
// exactly as hull's own instructions do (Docker's rules: $VAR, ${VAR},
// ${VAR:-word}, ${VAR#pattern}..., single quotes literal, `\` escapes).
// lookup says whether a variable is set and its value; req.Lookup gives
// the variables of a request. The result is one word: blanks are kept.
func Expand(word string, lookup func(name string) (string, bool)) (string, error) {
	return shellword.Expand(word, lookup, shellword.Options{})
}

// Words expands shell-form text like Expand and splits it into words:
// blanks outside quotes separate words, and so do blanks in the value of
// an unquoted variable; empty words are dropped.
func Words(text string, lookup func(name string) (string, bool)) ([]string, error) {
	return shellword.Words(text, lookup, shellword.Options{})
}

// ExpandHeredoc returns a here-document's body with its variables
// expanded when its delimiter was unquoted (h.Expand), as written
// otherwise. Only variables are expanded: quotes stay, `\$` is a dollar.
func ExpandHeredoc(h Heredoc, lookup func(name string) (string, bool)) (string, error) {
	if !h.Expand {
		return h.Content, nil
	}
	return shellword.ExpandHeredoc(h.Content, lookup)
}

// Lookup resolves a variable the way hull's instructions do: the stage's
// ENV (Config.Env, last entry wins) first, then the build args in scope.
func (r Request) Lookup(name string) (string, bool) {
	env := r.Config.Env
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, _ := strings.Cut(env[i], "="); k == name {
			return v, true
		}
	}
	v, ok := r.BuildArgs[name]
	return v, ok
}

// ArgWords returns the instruction's arguments as expanded words, as COPY
// reads its sources: each element of the JSON form expanded on its own,
// the shell form expanded and then split into words.
func (r Request) ArgWords() ([]string, error) {
	in := r.Instruction
	if in.JSON {
		out := make([]string, 0, len(in.Args))
		for _, a := range in.Args {
			w, err := Expand(a, r.Lookup)
			if err != nil {
				return nil, err
			}
			out = append(out, w)
		}
		return out, nil
	}
	return Words(strings.Join(in.Args, " "), r.Lookup)
}
