package dockerfile

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*/expected from the parser's output")

// TestGolden parses every testdata/<case>/Dockerfile and compares a stable
// dump of the result with testdata/<case>/expected.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 25 {
		t.Fatalf("only %d golden cases", len(dirs))
	}
	for _, path := range dirs {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			df, err := Parse(f, "Dockerfile")
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got := dump(df)
			want := filepath.Join(dir, "expected")
			if *update {
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(b) {
				t.Errorf("dump differs from %s (run with -update to accept)\n--- got\n%s--- want\n%s", want, got, b)
			}
		})
	}
}

// dump renders a parse result as stable text, one line per instruction.
func dump(df *Dockerfile) string {
	var b strings.Builder
	d := df.Directives
	fmt.Fprintf(&b, "directives syntax=%q escape=%q check=%q\n", d.Syntax, string(d.Escape), d.Check)
	for _, inst := range df.MetaArgs {
		b.WriteString("meta ")
		dumpInstruction(&b, inst)
	}
	for _, st := range df.Stages {
		fmt.Fprintf(&b, "stage %d name=%q base=%q platform=%q\n", st.Index, st.Name, st.BaseName, st.Platform)
		b.WriteString("  ")
		dumpInstruction(&b, st.From)
		for _, inst := range st.Instructions {
			b.WriteString("  ")
			dumpInstruction(&b, inst)
		}
	}
	for _, w := range df.Warnings {
		fmt.Fprintf(&b, "warning %s\n", w)
	}
	return b.String()
}

func dumpInstruction(b *strings.Builder, inst Instruction) {
	flags := make([]string, len(inst.Flags))
	for i, f := range inst.Flags {
		flags[i] = "--" + f.Name + "=" + f.Value
	}
	args := make([]string, len(inst.Args))
	for i, a := range inst.Args {
		args[i] = strconv.Quote(a)
	}
	fmt.Fprintf(b, "%d-%d %s [%s] json=%t args=[%s]", inst.StartLine, inst.EndLine, inst.Keyword,
		strings.Join(flags, " "), inst.JSON, strings.Join(args, ","))
	if len(inst.Heredocs) > 0 {
		docs := make([]string, len(inst.Heredocs))
		for i, h := range inst.Heredocs {
			docs[i] = fmt.Sprintf("{name=%q expand=%t chomp=%t fd=%d content=%q}", h.Name, h.Expand, h.Chomp, h.FileDescriptor, h.Content)
		}
		fmt.Fprintf(b, " heredocs=[%s]", strings.Join(docs, " "))
	}
	b.WriteString("\n")
}

// TestErrors parses every testdata/errors/<case>.Dockerfile, whose first
// line is "# want: LINE: message", and checks the *Error it must produce.
func TestErrors(t *testing.T) {
	paths, err := filepath.Glob("testdata/errors/*.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no error cases")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".Dockerfile"), func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(b), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("first line %q is not '# want: LINE: message'", first)
			}
			checkError(t, string(b), want)
		})
	}
}

// TestErrorsInline covers errors that a leading "# want:" comment would
// change, such as parser directives that must be on the first line.
func TestErrorsInline(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"empty", "", "0: file with no instructions"},
		{"only comments", "# a\n\n   # b\n", "0: file with no instructions"},
		{"duplicate escape", "# escape=`\n# escape=\\\nFROM a\n", "2: only one escape parser directive can be used"},
		{"bad escape", "# escape=x\nFROM a\n", "1: invalid escape token 'x' does not match ` or \\"},
		{"only args", "ARG A=1\n", "0: no FROM instruction: the Dockerfile has no build stage"},
		{"unterminated heredoc at eof", "FROM a\nRUN <<EOF\necho hi", `2: unterminated heredoc "EOF"`},
		{"heredoc bad quote", "FROM a\nRUN <<\"EOF\n", `2: heredoc: unexpected end of statement while looking for matching double-quote`},
		{"continued unknown flag", "FROM a\nRUN \\\n  --foo \\\n  true\n", "2: unknown flag: --foo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkError(t, tt.src, tt.want) })
	}
}

func checkError(t *testing.T, src, want string) {
	t.Helper()
	_, err := Parse(strings.NewReader(src), "Dockerfile")
	if err == nil {
		t.Fatalf("parse succeeded, want error %q", want)
	}
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v is %T, not *Error", err, err)
	}
	if got := fmt.Sprintf("%d: %s", perr.Line, perr.Msg); got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if perr.Line > 0 && !strings.HasPrefix(err.Error(), fmt.Sprintf("Dockerfile:%d: ", perr.Line)) {
		t.Errorf("Error() = %q, want the Dockerfile:LINE: prefix", err.Error())
	}
}
