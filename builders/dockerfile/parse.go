package dockerfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// reDirective matches a parser directive line such as "# escape=`".
// Compiled on first use: package init runs on every hull start.
var reDirective = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$`)
})

// lineReader yields physical lines without their line ending and counts them.
// It reads with bufio.Reader rather than bufio.Scanner so that long lines
// (here-documents with embedded data) have no size limit.
type lineReader struct {
	r   *bufio.Reader
	n   int
	err error
}

func (lr *lineReader) next() (string, bool) {
	if lr.err != nil {
		return "", false
	}
	s, err := lr.r.ReadString('\n')
	if err != nil {
		if !errors.Is(err, io.EOF) {
			lr.err = err
			return "", false
		}
		lr.err = io.EOF
		if s == "" {
			return "", false
		}
	}
	lr.n++
	if lr.n == 1 {
		s = strings.TrimPrefix(s, "\uFEFF")
	}
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	return s, true
}

// parser holds the state of one Parse call.
type parser struct {
	lines          lineReader
	file           string
	directives     Directives
	directivesDone bool
	seen           map[string]bool
	warnings       []string
	heredocs       map[string]bool // keywords besides RUN, COPY and ADD that take heredocs
	plugin         map[string]bool // keywords an external plugin handles
}

// ParseOptions change how Parse reads a Dockerfile.
type ParseOptions struct {
	// HeredocKeywords are upper-case keywords besides RUN, COPY and ADD
	// whose shell form may announce here-documents: the keywords of
	// instruction plugins that asked for them (sdk.Info.Heredocs). Their
	// bodies are read from the lines that follow, as for COPY.
	HeredocKeywords []string
	// PluginKeywords are the keywords external plugins handle. Those
	// that are also built-in (a plugin that overrides or wraps COPY)
	// are parsed as unknown keywords are: their flags and arguments
	// reach the plugin unchecked, since the plugin may accept others.
	// FROM and ARG are always checked.
	PluginKeywords []string
}

// Parse reads a Dockerfile and splits it into meta ARGs and stages. filename
// is only used in error and warning messages. Every error is an *Error.
func Parse(r io.Reader, filename string) (*Dockerfile, error) {
	return ParseWith(r, filename, ParseOptions{})
}

// ParseWith is Parse with options.
func ParseWith(r io.Reader, filename string, opts ParseOptions) (*Dockerfile, error) {
	p := &parser{
		lines:      lineReader{r: bufio.NewReader(r)},
		file:       filename,
		directives: Directives{Escape: '\\'},
		seen:       map[string]bool{},
		heredocs:   map[string]bool{},
	}
	for _, k := range opts.HeredocKeywords {
		p.heredocs[strings.ToUpper(k)] = true
	}
	p.plugin = map[string]bool{}
	for _, k := range opts.PluginKeywords {
		p.plugin[strings.ToUpper(k)] = true
	}
	insts, err := p.instructions()
	if err != nil {
		return nil, err
	}
	df, err := p.stages(insts)
	if err != nil {
		return nil, err
	}
	df.Directives = p.directives
	df.Warnings = p.warnings
	return df, nil
}

func (p *parser) errorf(line int, format string, args ...any) *Error {
	return &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) warnf(line int, format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Sprintf("%s:%d: %s", p.file, line, fmt.Sprintf(format, args...)))
}

// instructions reads every instruction of the file, in order.
func (p *parser) instructions() ([]Instruction, error) {
	var insts []Instruction
	for {
		raw, ok := p.lines.next()
		if !ok {
			break
		}
		if !p.directivesDone {
			isDirective, err := p.directive(raw)
			if err != nil {
				return nil, err
			}
			if isDirective {
				continue
			}
		}
		inst, ok, err := p.instruction(raw)
		if err != nil {
			return nil, err
		}
		if ok {
			insts = append(insts, inst)
		}
	}
	if p.lines.err != nil && !errors.Is(p.lines.err, io.EOF) {
		return nil, p.errorf(p.lines.n, "read: %v", p.lines.err)
	}
	if len(insts) == 0 {
		return nil, p.errorf(0, "file with no instructions")
	}
	return insts, nil
}

// directive handles a line while directives are still allowed. Directive
// processing stops at the first line that is not a known directive, blank
// lines and ordinary comments included, as in Docker.
func (p *parser) directive(raw string) (bool, error) {
	m := reDirective().FindStringSubmatch(strings.TrimLeftFunc(raw, unicode.IsSpace))
	if m == nil {
		p.directivesDone = true
		return false, nil
	}
	name, value := strings.ToLower(m[1]), m[2]
	if name != "syntax" && name != "escape" && name != "check" {
		p.directivesDone = true
		return false, nil
	}
	if p.seen[name] {
		return false, p.errorf(p.lines.n, "only one %s parser directive can be used", name)
	}
	p.seen[name] = true
	switch name {
	case "syntax":
		p.directives.Syntax = value
	case "check":
		p.directives.Check = value
	case "escape":
		if value != "`" && value != `\` {
			return false, p.errorf(p.lines.n, "invalid escape token '%s' does not match ` or \\", value)
		}
		p.directives.Escape = rune(value[0])
	}
	return true, nil
}

// instruction parses the instruction starting at the physical line raw,
// reading its continuation lines and here-documents. ok is false for blank
// and comment lines.
func (p *parser) instruction(raw string) (Instruction, bool, error) {
	first := strings.TrimLeftFunc(raw, unicode.IsSpace)
	if first == "" || first[0] == '#' {
		return Instruction{}, false, nil
	}
	start := p.lines.n
	logical := p.joinContinuations(first)
	if strings.TrimSpace(logical) == "" {
		// Only an escape character, continued into blank lines or the
		// end of the file: BuildKit makes an instruction with no name of
		// it, which Docker then refuses as unknown.
		return Instruction{}, false, p.errorf(start, "unknown instruction: %s", strings.TrimSpace(first))
	}
	inst, err := parseInstructionWith(logical, p.directives.Escape, p.plugin)
	if err != nil {
		return Instruction{}, false, p.errorf(start, "%v", err)
	}
	inst.StartLine = start
	if err := p.readHeredocs(&inst); err != nil {
		return Instruction{}, false, err
	}
	inst.EndLine = p.lines.n
	return inst, true, nil
}

// joinContinuations appends continuation lines to first. Comment lines inside
// a continuation are dropped; blank ones too, with a warning, as Docker does.
func (p *parser) joinContinuations(first string) string {
	line, more := p.trimContinuation(first)
	for more {
		next, ok := p.lines.next()
		if !ok {
			break
		}
		trimmed := strings.TrimLeftFunc(next, unicode.IsSpace)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if trimmed == "" {
			p.warnf(p.lines.n, "empty continuation line")
			continue
		}
		var part string
		part, more = p.trimContinuation(next)
		line += part
	}
	return line
}

// trimContinuation removes a trailing escape character (optionally followed
// by blanks) and reports whether there was one. As in BuildKit, an escape
// character after another one does not continue the line (`echo a\\`).
func (p *parser) trimContinuation(line string) (string, bool) {
	esc := string(p.directives.Escape)
	t := strings.TrimRight(line, " \t")
	body, ok := strings.CutSuffix(t, esc)
	if !ok || body != "" && strings.HasSuffix(body, esc) {
		return line, false
	}
	return body, true
}
