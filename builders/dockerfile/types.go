package dockerfile

import (
	"fmt"
	"strings"
)

// Directives are the parser directives found at the top of a Dockerfile.
type Directives struct {
	// Syntax is the value of "# syntax=". hull does not load frontends; the
	// caller reports it as ignored.
	Syntax string
	// Escape is the escape character, '\\' unless "# escape=`" was given.
	Escape rune
	// Check is the raw value of "# check=" (lint configuration).
	Check string
}

// Heredoc is one here-document attached to a RUN, COPY or ADD instruction.
type Heredoc struct {
	Name string
	// Content is the body, each line ending in "\n". When Chomp is set the
	// leading tabs are already removed from every line.
	Content string
	// Expand is false when the delimiter was quoted (<<"EOF", <<'EOF'): the
	// body must then be used literally.
	Expand bool
	// Chomp is set for <<-EOF.
	Chomp bool
	// FileDescriptor is the number written before <<, 0 when none.
	FileDescriptor int
}

// Flag is one --name[=value] flag given before an instruction's arguments.
// A boolean flag given without a value has Value "true". Repeatable flags
// (--mount, --exclude) appear once per occurrence, in order.
type Flag struct {
	Name, Value string
}

// Instruction is one Dockerfile instruction.
type Instruction struct {
	// Keyword is upper-case. Unknown keywords are kept: a plugin may handle them.
	Keyword string
	Flags   []Flag
	// Args holds, in shell form, one element with the raw (unexpanded) text
	// after the flags; in JSON form, the array elements. It is empty when
	// nothing follows the keyword. HEALTHCHECK is the exception: Args[0] is
	// "NONE" or "CMD" and the command (raw text or JSON elements) follows.
	// ONBUILD keeps its trigger as one raw element; see ParseInstructionLine.
	Args []string
	// JSON is set when the arguments were a JSON array of strings.
	JSON     bool
	Heredocs []Heredoc
	// Original is the instruction as written, continuation lines joined.
	Original string
	// StartLine and EndLine are 1-based; EndLine includes here-documents.
	StartLine, EndLine int
}

// Flag returns the value of the last occurrence of the named flag.
func (i *Instruction) Flag(name string) (string, bool) {
	for j := len(i.Flags) - 1; j >= 0; j-- {
		if i.Flags[j].Name == name {
			return i.Flags[j].Value, true
		}
	}
	return "", false
}

// FlagValues returns the values of every occurrence of a repeatable flag.
func (i *Instruction) FlagValues(name string) []string {
	var vals []string
	for _, f := range i.Flags {
		if f.Name == name {
			vals = append(vals, f.Value)
		}
	}
	return vals
}

// Stage is one build stage: a FROM instruction and what follows it.
type Stage struct {
	// Name is the AS name in lower case, empty when the stage has none.
	Name string
	// BaseName is the FROM image or stage reference, unexpanded.
	BaseName string
	// Platform is the unexpanded --platform value.
	Platform     string
	Index        int
	Instructions []Instruction
	From         Instruction
}

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	Directives Directives
	// MetaArgs are the ARG instructions before the first FROM.
	MetaArgs []Instruction
	Stages   []Stage
	// Warnings are formatted "FILE:LINE: message".
	Warnings []string
}

// Error is a parse error at a line of a Dockerfile. Line is 0 when the error
// concerns the whole file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	msg := quotable(e.Msg)
	switch {
	case e.Line > 0 && e.File != "":
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	case e.Line > 0:
		return fmt.Sprintf("%d: %s", e.Line, msg)
	case e.File != "":
		return e.File + ": " + msg
	}
	return msg
}

// maxQuoted bounds an error message: errors quote words of the file, and
// a Dockerfile may not be what it claims (a symlink to a host file, read
// from a CI log); one line, and never a whole long line of it.
const maxQuoted = 160

func quotable(msg string) string {
	msg = strings.ReplaceAll(msg, "\n", " ")
	msg = strings.ReplaceAll(msg, "\r", " ")
	if len(msg) > maxQuoted {
		msg = strings.ToValidUTF8(msg[:maxQuoted], "") + "…"
	}
	return msg
}

// NotAnInstruction replaces, in messages, a first word that cannot be an
// instruction keyword: it is not echoed, since it may be anything.
const NotAnInstruction = "the line does not start with an instruction keyword"

// IsKeyword reports whether k can be shown as an instruction keyword: one
// short word of letters (an unknown one is then safe to name).
func IsKeyword(k string) bool {
	if k == "" || len(k) > 20 {
		return false
	}
	for _, c := range k {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}
