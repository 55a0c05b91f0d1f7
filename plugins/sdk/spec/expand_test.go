package spec

import (
	"slices"
	"testing"
)

func TestRequestWords(t *testing.T) {
	req := Request{
		Instruction: Instruction{Keyword: "X", Args: []string{`$SRC "${DEST:-/d} x"`}},
		Config:      Config{Env: []string{"SRC=old", "SRC=a b"}},
		BuildArgs:   map[string]string{"SRC": "arg", "DEST": "/out"},
	}
	if v, ok := req.Lookup("SRC"); !ok || v != "a b" {
		t.Errorf("Lookup(SRC) = %q, %v: ENV (last entry) wins over ARG", v, ok)
	}
	words, err := req.ArgWords()
	if want := []string{"a", "b", "/out x"}; err != nil || !slices.Equal(words, want) {
		t.Errorf("ArgWords = %q, %v; want %q", words, err, want)
	}
	req.Instruction.JSON = true
	req.Instruction.Args = []string{"$SRC", "'q'"}
	words, err = req.ArgWords()
	if want := []string{"a b", "q"}; err != nil || !slices.Equal(words, want) {
		t.Errorf("JSON ArgWords = %q, %v; want %q", words, err, want)
	}
	if s, err := Expand(`${NOPE:-def}`, req.Lookup); err != nil || s != "def" {
		t.Errorf("Expand = %q, %v", s, err)
	}
	if w, err := Words(`a\ b c`, nil); err != nil || !slices.Equal(w, []string{"a b", "c"}) {
		t.Errorf("Words = %q, %v", w, err)
	}
	h := Heredoc{Content: "$SRC\n", Expand: true}
	if s, _ := ExpandHeredoc(h, req.Lookup); s != "a b\n" {
		t.Errorf("ExpandHeredoc = %q", s)
	}
	h.Expand = false
	if s, _ := ExpandHeredoc(h, req.Lookup); s != "$SRC\n" {
		t.Errorf("quoted heredoc = %q", s)
	}
}
