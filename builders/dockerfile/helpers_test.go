package dockerfile

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
)

func TestParseMount(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{"target=/src", map[string]string{"type": "bind", "target": "/src", "readonly": "true"}},
		{"type=bind,src=go.sum,dst=go.sum,rw", map[string]string{"type": "bind", "source": "go.sum", "target": "go.sum", "readonly": "false"}},
		{"type=bind,from=build,source=/out,target=/in,readwrite=true", map[string]string{"type": "bind", "from": "build", "source": "/out", "target": "/in", "readonly": "false"}},
		{"type=cache,target=/root/.cache,id=go,sharing=locked,mode=0755,uid=1000,gid=1000",
			map[string]string{"type": "cache", "target": "/root/.cache", "id": "go", "sharing": "locked", "mode": "0755", "uid": "1000", "gid": "1000", "readonly": "false"}},
		{"type=cache,target=/x,ro", map[string]string{"type": "cache", "target": "/x", "readonly": "true"}},
		{"type=cache,destination=/x,readonly=false", map[string]string{"type": "cache", "target": "/x", "readonly": "false"}},
		{"type=tmpfs,target=/tmp,size=64m", map[string]string{"type": "tmpfs", "target": "/tmp", "size": "64m", "readonly": "false"}},
		{"type=secret,id=npm", map[string]string{"type": "secret", "id": "npm"}},
		{"type=secret,id=tok,env=TOKEN,required", map[string]string{"type": "secret", "id": "tok", "env": "TOKEN", "required": "true"}},
		{"type=ssh,required=false", map[string]string{"type": "ssh", "required": "false"}},
		{`type=bind,"target=/a,b"`, map[string]string{"type": "bind", "target": "/a,b", "readonly": "true"}},
		{"Type=CACHE,Target=/x", map[string]string{"type": "cache", "target": "/x", "readonly": "false"}},
		{"type=cache,target=/x,uid=$UID", map[string]string{"type": "cache", "target": "/x", "uid": "$UID", "readonly": "false"}},
	}
	for _, tt := range tests {
		got, err := ParseMount(tt.in)
		if err != nil {
			t.Errorf("ParseMount(%q): %v", tt.in, err)
			continue
		}
		if !maps.Equal(got, tt.want) {
			t.Errorf("ParseMount(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseMountErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"type=volume,target=/x", `unsupported mount type "volume"`},
		{"type=cache", "mount type cache requires a target"},
		{"type=cache,target=/x,sharing=sometimes", `unsupported sharing value "sometimes"`},
		{"type=cache,target=/x,mode=999", `invalid value "999" for mode: must be octal`},
		{"type=cache,target=/x,uid=root", `invalid value "root" for uid`},
		{"type=bind,target=/x,ro=maybe", "invalid value for ro: maybe"},
		{"type=bind,target=/x,id=foo", "option id is not allowed for mount type bind"},
		{"type=tmpfs,target=/x,from=a", "option from is not allowed for mount type tmpfs"},
		{"target", "invalid field 'target' must be a key=value pair"},
		{"bogus=1", "unexpected key 'bogus' in 'bogus=1'"},
	}
	for _, tt := range tests {
		_, err := ParseMount(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseMount(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestParseKeyValues(t *testing.T) {
	tests := []struct {
		in   string
		want [][2]string
	}{
		{"A=1", [][2]string{{"A", "1"}}},
		{`A=1 B="two words" C=three\ words`, [][2]string{{"A", "1"}, {"B", `"two words"`}, {"C", `three\ words`}}},
		{"A= B=", [][2]string{{"A", ""}, {"B", ""}}},
		{"A=x=y", [][2]string{{"A", "x=y"}}},
		{`A='$HOME' B="$HOME"`, [][2]string{{"A", `'$HOME'`}, {"B", `"$HOME"`}}},
		{`"quoted key"=v`, [][2]string{{`"quoted key"`, "v"}}},
		{"LEGACY value with  spaces", [][2]string{{"LEGACY", "value with  spaces"}}},
		{"LEGACY=", [][2]string{{"LEGACY", ""}}},
		{"PATH /a:/b", [][2]string{{"PATH", "/a:/b"}}},
	}
	for _, tt := range tests {
		got, err := ParseKeyValues(tt.in, "ENV")
		if err != nil {
			t.Errorf("ParseKeyValues(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseKeyValues(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseKeyValuesErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "LABEL requires at least one argument"},
		{"A", "LABEL must have two arguments"},
		{"A=1 B", `syntax error - can't find = in "B". Must be of the form: name=value`},
		{"=1", "LABEL names can not be blank"},
	}
	for _, tt := range tests {
		_, err := ParseKeyValues(tt.in, "LABEL")
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseKeyValues(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestParseKeyValuesEscapeBacktick(t *testing.T) {
	got, err := ParseKeyValuesEscape("A=c:\\ B=x` y", "ENV", '`')
	want := [][2]string{{"A", `c:\`}, {"B", "x` y"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
}

func TestParseArg(t *testing.T) {
	name, def, err := ParseArg("VERSION")
	if err != nil || name != "VERSION" || def != nil {
		t.Errorf("ParseArg(VERSION) = %q, %v, %v", name, def, err)
	}
	name, def, err = ParseArg(`V="1 2"`)
	if err != nil || name != "V" || def == nil || *def != `"1 2"` {
		t.Errorf(`ParseArg(V="1 2") = %q, %v, %v`, name, def, err)
	}
	name, def, err = ParseArg("E=")
	if err != nil || name != "E" || def == nil || *def != "" {
		t.Errorf("ParseArg(E=) = %q, %v, %v", name, def, err)
	}
	if _, _, err := ParseArg("A B"); err == nil || err.Error() != "ARG requires exactly one argument" {
		t.Errorf("ParseArg(A B) error = %v", err)
	}
	if _, _, err := ParseArg(""); err == nil {
		t.Error("ParseArg(\"\") succeeded")
	}
	defs, err := ParseArgs("A=1 B C=")
	if err != nil || len(defs) != 3 || defs[1].Default != nil || *defs[2].Default != "" || *defs[0].Default != "1" {
		t.Errorf("ParseArgs = %+v, %v", defs, err)
	}
}

func TestParseInstructionLine(t *testing.T) {
	inst, err := ParseInstructionLine("run --mount=type=cache,target=/x make")
	if err != nil {
		t.Fatal(err)
	}
	if inst.Keyword != "RUN" || len(inst.Args) != 1 || inst.Args[0] != "make" {
		t.Errorf("got %+v", inst)
	}
	if v, ok := inst.Flag("mount"); !ok || v != "type=cache,target=/x" {
		t.Errorf("Flag(mount) = %q, %v", v, ok)
	}
	inst, err = ParseInstructionLine("RUN <<EOF")
	if err != nil || len(inst.Heredocs) != 1 || inst.Heredocs[0].Name != "EOF" {
		t.Errorf("heredoc marker: %+v, %v", inst, err)
	}
	_, err = ParseInstructionLine("COPY --bad a b")
	var perr *Error
	if !errors.As(err, &perr) || perr.Line != 1 || err.Error() != "1: unknown flag: --bad" {
		t.Errorf("error = %v", err)
	}
}

func TestInstructionDetails(t *testing.T) {
	src := "FROM a\nCOPY --exclude=a --exclude=b \\\n  --link x y\n"
	df, err := Parse(strings.NewReader(src), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	inst := df.Stages[0].Instructions[0]
	if got := inst.FlagValues("exclude"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("FlagValues(exclude) = %q", got)
	}
	if v, _ := inst.Flag("link"); v != "true" {
		t.Errorf("--link = %q, want true", v)
	}
	if want := "COPY --exclude=a --exclude=b   --link x y"; inst.Original != want {
		t.Errorf("Original = %q, want %q", inst.Original, want)
	}
	if inst.StartLine != 2 || inst.EndLine != 3 {
		t.Errorf("lines %d-%d, want 2-3", inst.StartLine, inst.EndLine)
	}
}

func TestFlagQuoting(t *testing.T) {
	inst, err := ParseInstructionLine(`RUN --mount="type=bind,target=/a b" --network='none' echo`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Flag{{"mount", "type=bind,target=/a b"}, {"network", "none"}}
	if !reflect.DeepEqual(inst.Flags, want) || inst.Args[0] != "echo" {
		t.Errorf("flags %q args %q", inst.Flags, inst.Args)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "Dockerfile", Line: 12, Msg: "unknown flag: --foo"}, "Dockerfile:12: unknown flag: --foo"},
		{Error{File: "Dockerfile", Msg: "file with no instructions"}, "Dockerfile: file with no instructions"},
		{Error{Line: 3, Msg: "x"}, "3: x"},
		// A message quoting a long line of the file is cut, and one line.
		{Error{Line: 1, Msg: "bad: " + strings.Repeat("s", 300)}, "1: bad: " + strings.Repeat("s", maxQuoted-5) + "…"},
		{Error{Line: 1, Msg: "a\nb\rc"}, "1: a b c"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
