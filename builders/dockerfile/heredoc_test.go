package dockerfile

import (
	"strings"
	"testing"
)

// TestParseHeredocKeywords: a plugin keyword gets heredoc bodies only when
// its plugin asked for them; otherwise the body lines are instructions.
func TestParseHeredocKeywords(t *testing.T) {
	src := "FROM scratch\nTEMPLATE <<EOF /out\nhello $NAME\nEOF\nTEMPLATE <<-'RAW' /raw\n\tkeep $X\n\tRAW\nLABEL a=b\n"
	df, err := ParseWith(strings.NewReader(src), "Dockerfile", ParseOptions{HeredocKeywords: []string{"template"}})
	if err != nil {
		t.Fatal(err)
	}
	ins := df.Stages[0].Instructions
	if len(ins) != 3 {
		t.Fatalf("got %d instructions, want 3: %+v", len(ins), ins)
	}
	h := ins[0].Heredocs
	if len(h) != 1 || h[0].Name != "EOF" || h[0].Content != "hello $NAME\n" || !h[0].Expand {
		t.Errorf("first heredoc = %+v", h)
	}
	if ins[0].StartLine != 2 || ins[0].EndLine != 4 {
		t.Errorf("lines %d-%d, want 2-4", ins[0].StartLine, ins[0].EndLine)
	}
	h = ins[1].Heredocs
	if len(h) != 1 || h[0].Name != "RAW" || h[0].Content != "keep $X\n" || h[0].Expand || !h[0].Chomp {
		t.Errorf("quoted, chomped heredoc = %+v", h)
	}
	if ins[2].Keyword != "LABEL" {
		t.Errorf("last instruction = %+v", ins[2])
	}

	// Without the option the body is read as instructions, as before.
	df, err = Parse(strings.NewReader("FROM scratch\nTEMPLATE <<EOF\nEOF\n"), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if ins := df.Stages[0].Instructions; len(ins) != 2 || len(ins[0].Heredocs) != 0 || ins[1].Keyword != "EOF" {
		t.Errorf("without the option: %+v", ins)
	}
	// An unterminated body is an error naming the instruction's line.
	_, err = ParseWith(strings.NewReader("FROM scratch\nTEMPLATE <<EOF\nx\n"), "Dockerfile", ParseOptions{HeredocKeywords: []string{"TEMPLATE"}})
	if err == nil || !strings.Contains(err.Error(), "Dockerfile:2") || !strings.Contains(err.Error(), "unterminated heredoc") {
		t.Errorf("unterminated: err = %v", err)
	}
}

// TestParsePluginKeywords: a built-in keyword an external plugin handles
// keeps flags the built-in does not know; FROM and ARG stay checked.
func TestParsePluginKeywords(t *testing.T) {
	src := "FROM scratch\nCOPY --allow-secrets .env /x\n"
	if _, err := Parse(strings.NewReader(src), "Dockerfile"); err == nil || !strings.Contains(err.Error(), "unknown flag: --allow-secrets") {
		t.Fatalf("without a plugin: err = %v", err)
	}
	df, err := ParseWith(strings.NewReader(src), "Dockerfile", ParseOptions{PluginKeywords: []string{"copy", "FROM"}})
	if err != nil {
		t.Fatal(err)
	}
	in := df.Stages[0].Instructions[0]
	if in.Keyword != "COPY" || len(in.Flags) != 1 || in.Flags[0].Name != "allow-secrets" || in.Args[0] != ".env /x" {
		t.Errorf("COPY = %+v", in)
	}
	// A plugin that overrides ENV gets a line the built-in would reject
	// (BuildKit's line parser would: "ENV must have two arguments").
	df, err = ParseWith(strings.NewReader("FROM scratch\nENV justone\n"), "Dockerfile", ParseOptions{PluginKeywords: []string{"ENV"}})
	if err != nil || df.Stages[0].Instructions[0].Args[0] != "justone" {
		t.Errorf("overridden ENV: %v", err)
	}
	_, err = ParseWith(strings.NewReader("FROM --bogus scratch\n"), "Dockerfile", ParseOptions{PluginKeywords: []string{"FROM"}})
	if err == nil {
		t.Errorf("FROM --bogus parsed")
	}
}

// TestParseLongLines: a line has no size limit (BuildKit's parser stops at
// 64 KiB, and reports a long heredoc line as an unterminated heredoc).
func TestParseLongLines(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	src := "FROM scratch\nRUN echo " + long + "\nCOPY <<EOF /data\n" + long + "\nEOF\n"
	df, err := Parse(strings.NewReader(src), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	ins := df.Stages[0].Instructions
	if len(ins) != 2 || ins[0].Args[0] != "echo "+long || len(ins[1].Heredocs) != 1 || ins[1].Heredocs[0].Content != long+"\n" {
		t.Errorf("long lines not kept whole")
	}
	if ins[1].StartLine != 3 || ins[1].EndLine != 5 {
		t.Errorf("COPY lines %d-%d, want 3-5", ins[1].StartLine, ins[1].EndLine)
	}
}

// TestLinesAsBuildKit: cases the differential fuzz target against
// BuildKit's parser (reference/) found, where hull read lines otherwise.
func TestLinesAsBuildKit(t *testing.T) {
	src := "FROM a\nRUN echo a\\\\\nRUN << EOF\nx\nEOF\nRUN 3<<E\\OF\nEOF\nCOPY <<\"A\"B /x\nAB\n"
	df, err := Parse(strings.NewReader(src), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	ins := df.Stages[0].Instructions
	if len(ins) != 4 {
		t.Fatalf("got %d instructions, want 4: %+v", len(ins), ins)
	}
	if ins[0].EndLine != 2 || ins[0].Args[0] != `echo a\\` {
		t.Errorf("an escaped escape at the end continued the line: %+v", ins[0])
	}
	if h := ins[1].Heredocs; len(h) != 1 || h[0].Name != "EOF" || h[0].Content != "x\n" {
		t.Errorf("<< EOF: %+v", h)
	}
	if h := ins[2].Heredocs; len(h) != 1 || h[0].Name != "EOF" || !h[0].Expand || h[0].FileDescriptor != 3 {
		t.Errorf("3<<E\\OF (an escape is no quote): %+v", h)
	}
	if h := ins[3].Heredocs; len(h) != 1 || h[0].Name != "AB" || h[0].Expand {
		t.Errorf(`<<"A"B (partly quoted): %+v`, h)
	}
}
