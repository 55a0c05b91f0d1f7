package dockerfile

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/hull-project/hull/plugins/sdk/shellword"
)

// reHeredoc matches one heredoc marker word: optional fd, <<, optional -,
// and the (possibly quoted) delimiter.
// Compiled on first use: package init runs on every hull start.
var reHeredoc = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d*)<<(-?)\s*([^<]*)$`) })

// heredocKeywords are the instructions whose shell form may carry heredocs.
var heredocKeywords = map[string]bool{"RUN": true, "COPY": true, "ADD": true}

// heredocMarkers returns the heredocs announced on an instruction line, in
// order, with empty contents. extra are keywords besides heredocKeywords
// that take heredocs (nil: none).
func heredocMarkers(inst *Instruction, escape rune, extra map[string]bool) ([]Heredoc, error) {
	text, ok := heredocText(inst, escape, extra)
	if !ok {
		return nil, nil
	}
	// BuildKit lexes the whole line first and finds no heredoc in a line
	// it cannot lex (an unterminated quote); hull reports that instead of
	// reading the following lines as instructions.
	if !strings.Contains(text, "<<") {
		return nil, nil
	}
	if _, err := shellword.Words(text, nil, shellword.Options{KeepUnset: true}); err != nil {
		return nil, err
	}
	var docs []Heredoc
	for _, word := range splitHeredocWords(text) {
		doc, ok, err := parseHeredocMarker(word)
		if err != nil {
			return nil, err
		}
		if ok {
			docs = append(docs, doc)
		}
	}
	return docs, nil
}

// heredocText returns the argument text that may contain heredoc markers.
// An ONBUILD trigger may carry them too, as in Docker.
func heredocText(inst *Instruction, escape rune, extra map[string]bool) (string, bool) {
	if inst.JSON || len(inst.Args) == 0 {
		return "", false
	}
	if inst.Keyword == "ONBUILD" {
		trigger, err := parseInstruction(inst.Args[0], escape)
		if err != nil {
			return "", false
		}
		return heredocText(&trigger, escape, extra)
	}
	if !heredocKeywords[inst.Keyword] && !extra[inst.Keyword] {
		return "", false
	}
	return inst.Args[0], true
}

// parseHeredocMarker parses a word such as <<EOF, <<-"EOF" or 3<<EOF. The
// delimiter goes through the shell lexer (with unset variables kept and the
// escape character '\\', as in BuildKit) so that quotes are removed; a
// quoted delimiter turns expansion of the body off.
func parseHeredocMarker(word string) (Heredoc, bool, error) {
	m := reHeredoc().FindStringSubmatch(word)
	if m == nil || m[3] == "" {
		return Heredoc{}, false, nil
	}
	words, err := shellword.Words(m[3], nil, shellword.Options{KeepUnset: true})
	if err != nil {
		return Heredoc{}, false, err
	}
	if len(words) != 1 {
		return Heredoc{}, false, nil
	}
	fd, _ := strconv.Atoi(m[1]) // 0 when absent or out of range, as in BuildKit
	return Heredoc{Name: words[0], Expand: !quoted(m[3]), Chomp: m[2] == "-", FileDescriptor: fd}, true, nil
}

// quoted reports whether a heredoc delimiter has a quote that the lexer
// removes (an escaped one is a character of the name): any part of it
// quoted turns expansion of the body off, as in BuildKit.
func quoted(delim string) bool {
	for i := 0; i < len(delim); i++ {
		switch delim[i] {
		case '\\':
			i++
		case '\'', '"':
			return true
		}
	}
	return false
}

// readHeredocs finds the heredoc markers of inst and reads their bodies from
// the lines that follow it.
func (p *parser) readHeredocs(inst *Instruction) error {
	docs, err := heredocMarkers(inst, p.directives.Escape, p.heredocs)
	if err != nil {
		return p.errorf(inst.StartLine, "heredoc: %v", err)
	}
	for i := range docs {
		if err := p.readHeredoc(&docs[i], inst.StartLine); err != nil {
			return err
		}
	}
	inst.Heredocs = docs
	return nil
}

// readHeredoc consumes lines up to and including the delimiter line.
func (p *parser) readHeredoc(doc *Heredoc, start int) error {
	var b strings.Builder
	for {
		line, ok := p.lines.next()
		if !ok {
			return p.errorf(start, "unterminated heredoc %q", doc.Name)
		}
		if doc.Chomp {
			line = strings.TrimLeft(line, "\t")
		}
		if line == doc.Name {
			doc.Content = b.String()
			return nil
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
}
