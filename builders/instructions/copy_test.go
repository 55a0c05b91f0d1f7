package instructions

import (
	"context"
	"testing"

	"github.com/hull-project/hull/plugins/sdk"
)

func TestCopy(t *testing.T) {
	cfg := sdk.Config{WorkingDir: "/app", Env: []string{"DIR=conf"}}
	args := map[string]string{"OWNER": "1000:1000", "STAGE": "build"}
	tests := []struct {
		name    string
		in      sdk.Instruction
		want    sdk.CopyRequest
		history string
	}{
		{"relative dest joins WORKDIR", inst("COPY", "go.mod go.sum ./"),
			sdk.CopyRequest{Sources: []string{"go.mod", "go.sum"}, Dest: "/app/"},
			"COPY go.mod go.sum ./ # buildkit"},
		{"dot dest", inst("COPY", ". ."),
			sdk.CopyRequest{Sources: []string{"."}, Dest: "/app/"}, "COPY . . # buildkit"},
		{"expanded sources, dest and flags",
			inst("COPY", "$DIR/*.yml /etc/$DIR", flag("from", "$STAGE"), flag("chown", "$OWNER"), flag("chmod", "0640"),
				flag("link", "true"), flag("parents", ""), flag("exclude", "*.tmp"), flag("exclude", "$DIR/x")),
			sdk.CopyRequest{From: "build", Sources: []string{"conf/*.yml"}, Dest: "/etc/conf", Chown: "1000:1000",
				Chmod: "0640", Link: true, Parents: true, Exclude: []string{"*.tmp", "conf/x"}},
			"COPY --parents --chown=1000:1000 --chmod=0640 conf/*.yml /etc/conf # buildkit"},
		{"JSON form elements expanded", jsonInst("COPY", "my file", "$DIR", "/dst/"),
			sdk.CopyRequest{Sources: []string{"my file", "conf"}, Dest: "/dst/"}, "COPY my file conf /dst/ # buildkit"},
		{"ADD extracts and passes URLs", inst("ADD", "https://example.com/a.tgz /opt/", flag("checksum", "sha256:abc")),
			sdk.CopyRequest{Sources: []string{"https://example.com/a.tgz"}, Dest: "/opt/", ExtractArchives: true, Checksum: "sha256:abc"},
			"ADD https://example.com/a.tgz /opt/ # buildkit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := &fakeHost{}
			resp := mustExecute(t, sdk.Request{Instruction: tt.in, Config: cfg, BuildArgs: args}, host)
			deepEqual(t, "copies", host.copies, []sdk.CopyRequest{tt.want})
			if len(host.writes) != 0 {
				t.Errorf("unexpected writes %+v", host.writes)
			}
			if resp.History != tt.history || resp.EmptyLayer {
				t.Errorf("history %q empty %v, want %q false", resp.History, resp.EmptyLayer, tt.history)
			}
			deepEqual(t, "config", resp.Config, cfg)
		})
	}
}

func TestCopyHeredoc(t *testing.T) {
	in := inst("COPY", `<<EOF <<"RAW" ./etc/`, flag("chmod", "0755"), flag("chown", "app"))
	in.Heredocs = []sdk.Heredoc{
		{Name: "EOF", Content: "name=\"$NAME\" cost=\\$5 ${MISSING:-none}\n", Expand: true},
		{Name: "RAW", Content: "keep $NAME\n"},
	}
	host := &fakeHost{}
	req := sdk.Request{Instruction: in, Config: sdk.Config{WorkingDir: "/srv"}, BuildArgs: map[string]string{"NAME": "x y"}}
	resp := mustExecute(t, req, host)
	deepEqual(t, "writes", host.writes, []sdk.WriteFileRequest{
		{Path: "/srv/etc/EOF", Content: []byte("name=\"x y\" cost=$5 none\n"), Mode: 0o755, Chown: "app"},
		{Path: "/srv/etc/RAW", Content: []byte("keep $NAME\n"), Mode: 0o755, Chown: "app"},
	})
	if len(host.copies) != 0 {
		t.Errorf("heredoc-only COPY called Copy: %+v", host.copies)
	}
	if want := "COPY --chown=app --chmod=0755 <<EOF <<RAW ./etc/ # buildkit"; resp.History != want {
		t.Errorf("history %q, want %q", resp.History, want)
	}
}

func TestCopyHeredocToFile(t *testing.T) {
	in := inst("COPY", "<<EOF /etc/motd")
	in.Heredocs = []sdk.Heredoc{{Name: "EOF", Content: "hello\n"}}
	host := &fakeHost{}
	mustExecute(t, sdk.Request{Instruction: in}, host)
	deepEqual(t, "writes", host.writes, []sdk.WriteFileRequest{{Path: "/etc/motd", Content: []byte("hello\n"), Mode: 0o644}})
}

func TestCopyCacheInputs(t *testing.T) {
	h := Builtins()[0]
	ctx := context.Background()
	args := map[string]string{"SRC": "cmd"}
	in, err := h.CacheInputs(ctx, sdk.Request{Instruction: inst("COPY", "$SRC/ go.mod /app/"), BuildArgs: args})
	if err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "context paths", in.ContextPaths, []string{"cmd/", "go.mod"})
	if in.From != "" {
		t.Errorf("From = %q", in.From)
	}
	in, err = h.CacheInputs(ctx, sdk.Request{Instruction: inst("COPY", "/out /bin/", flag("from", "build"))})
	if err != nil || in.From != "build" || len(in.ContextPaths) != 0 {
		t.Errorf("--from inputs = %+v, %v", in, err)
	}
	in, err = h.CacheInputs(ctx, sdk.Request{Instruction: inst("ADD", "https://x.org/f /f", flag("checksum", "sha256:00"))})
	if err != nil || len(in.ContextPaths) != 0 {
		t.Fatalf("ADD URL inputs = %+v, %v", in, err)
	}
	deepEqual(t, "extra", in.Extra[2:], []string{"url=https://x.org/f", "checksum=sha256:00"})
}

func TestCacheInputsFollowState(t *testing.T) {
	h := Builtins()[0]
	ctx := context.Background()
	run := inst("RUN", "echo $A")
	a, _ := h.CacheInputs(ctx, sdk.Request{Instruction: run, Config: sdk.Config{Env: []string{"A=1"}}})
	b, _ := h.CacheInputs(ctx, sdk.Request{Instruction: run, Config: sdk.Config{Env: []string{"A=2"}}})
	c, _ := h.CacheInputs(ctx, sdk.Request{Instruction: run, Config: sdk.Config{Env: []string{"A=1"}}, BuildArgs: map[string]string{"X": "1"}})
	if equalStrings(a.Extra, b.Extra) || equalStrings(a.Extra, c.Extra) {
		t.Errorf("cache inputs ignore the env or the args: %q %q %q", a.Extra, b.Extra, c.Extra)
	}
	if _, err := h.CacheInputs(ctx, sdk.Request{Instruction: inst("FROM", "x")}); err == nil {
		t.Error("CacheInputs accepted FROM")
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCopyErrors(t *testing.T) {
	req := func(in sdk.Instruction) sdk.Request { return sdk.Request{Instruction: in} }
	wantErr(t, req(inst("ADD", "https://x.org/r.git /src", flag("keep-git-dir", "true"))), "--keep-git-dir is not supported")
	wantErr(t, req(inst("ADD", "a /b", flag("keep-git-dir", ""))), "--keep-git-dir is not supported")
	wantErr(t, req(inst("COPY", "onlyone")), "requires at least two arguments")
	wantErr(t, req(inst("COPY", "a b", flag("checksum", "sha256:0"))), "unknown flag: --checksum")
	wantErr(t, req(inst("ADD", "a b", flag("from", "x"))), "unknown flag: --from")
	wantErr(t, req(inst("ADD", "local.tar /b", flag("checksum", "sha256:0"))), "checksum requires HTTP(S) or Git sources")
	wantErr(t, req(inst("ADD", "https://a https://b /d/", flag("checksum", "sha256:0"))), "multiple sources")
	wantErr(t, req(inst("COPY", "a /b", flag("chmod", "999"))), "invalid chmod parameter")
	wantErr(t, req(inst("COPY", "a /b", flag("chmod", "10000"))), "invalid chmod parameter")
	wantErr(t, req(inst("COPY", "a /b", flag("link", "maybe"))), `invalid value "maybe" for --link`)
}

func TestCacheInputsIgnoreEmptyVersusNil(t *testing.T) {
	h := Builtins()[0]
	ctx := context.Background()
	a, _ := h.CacheInputs(ctx, sdk.Request{Instruction: inst("USER", "u")})
	b, _ := h.CacheInputs(ctx, sdk.Request{Instruction: inst("USER", "u"),
		Config: sdk.Config{Env: []string{}, Labels: map[string]string{}}, BuildArgs: map[string]string{}})
	deepEqual(t, "extra", a.Extra, b.Extra)
}
