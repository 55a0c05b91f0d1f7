package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// contextCanary writes a file in the test user's home that a hostile build
// context points its Dockerfile or .dockerignore at; its first line looks
// like a Dockerfile line so that a parse error would quote it.
func contextCanary(t *testing.T) (path, secret string) {
	t.Helper()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	secret = fmt.Sprintf("canarysecret%d", os.Getpid())
	path = filepath.Join(home, fmt.Sprintf(".hull-canary-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), os.Getpid()))
	if err := os.WriteFile(path, []byte(secret+" token=value\n"+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	return path, secret
}

// A Dockerfile or .dockerignore found in the context is the context's
// author's: its symlinks resolve inside the context (as COPY's do), so a
// link to a host file never gets that file read, parsed or quoted. Links
// that stay inside the context work.
func TestBuildContextFilesStayInside(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	canary, secret := contextCanary(t)
	leaks := func(t *testing.T, out, errs string) {
		t.Helper()
		if strings.Contains(strings.ToLower(out+errs), secret) {
			t.Errorf("the host file's content is in the output:\n%s%s", out, errs)
		}
	}
	refused := func(t *testing.T, ctx string, args ...string) {
		t.Helper()
		out, errs, code := s.hull(t, append([]string{"build", "-q", "-t", "leak"}, append(args, ctx)...)...)
		if code != 125 {
			t.Errorf("build: exit %d, want 125", code)
		}
		oneLineError(t, errs)
		if !strings.Contains(errs, "not in the build context") {
			t.Errorf("error %q does not say the link leaves the build context", errs)
		}
		leaks(t, out, errs)
		s.noImage(t, "leak")
	}
	rel := func(ctx string) string {
		r, err := filepath.Rel(ctx, canary)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	const df = "FROM busybox\nCOPY a.txt /a.txt\n"
	t.Run("Dockerfile absolute link", func(t *testing.T) {
		refused(t, buildContext(t, map[string]string{"Dockerfile": "->" + canary}))
	})
	t.Run("Dockerfile relative link", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"a.txt": "a"})
		if err := os.Symlink(rel(ctx), filepath.Join(ctx, "Dockerfile")); err != nil {
			t.Fatal(err)
		}
		refused(t, ctx)
	})
	t.Run("-f naming a link in the context", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"sub/Dockerfile.ci": "->" + canary})
		refused(t, ctx, "-f", filepath.Join(ctx, "sub/Dockerfile.ci"))
	})
	t.Run(".dockerignore absolute link", func(t *testing.T) {
		refused(t, buildContext(t, map[string]string{"Dockerfile": df, "a.txt": "a", ".dockerignore": "->" + canary}))
	})
	t.Run(".dockerignore relative link", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"Dockerfile": df, "a.txt": "a"})
		if err := os.Symlink(rel(ctx), filepath.Join(ctx, ".dockerignore")); err != nil {
			t.Fatal(err)
		}
		refused(t, ctx)
	})
	t.Run("Dockerfile.dockerignore link", func(t *testing.T) {
		refused(t, buildContext(t, map[string]string{"Dockerfile": df, "a.txt": "a", "Dockerfile.dockerignore": "->" + canary}))
	})
	t.Run("links inside the context", func(t *testing.T) {
		// "/" and ".." resolve at the context's root: these all name
		// files of the context.
		ctx := buildContext(t, map[string]string{
			"Dockerfile": "->../../../../../../docker/Dockerfile.real", "docker/Dockerfile.real": df,
			".dockerignore": "->/docker/ignore", "docker/ignore": "b.txt\n", "a.txt": "a", "b.txt": "b",
		})
		out, errs, code := s.build(t, "-t", "inside", ctx)
		if code != 0 {
			t.Fatalf("build with in-context links: exit %d\n%s", code, errs)
		}
		leaks(t, out, errs)
		if got := s.sh(t, "inside", "cat /a.txt"); got != "a" {
			t.Errorf("COPY from the linked Dockerfile: %q", got)
		}
		bad := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY b.txt /\n", ".dockerignore": "->/ign", "ign": "b.txt\n", "b.txt": "b"})
		if _, errs, code := s.build(t, "-t", "ignored", bad); code == 0 || !strings.Contains(errs, "b.txt") {
			t.Errorf("an in-context linked .dockerignore was not applied: exit %d\n%s", code, errs)
		}
	})
	t.Run("-f outside the context", func(t *testing.T) {
		// The user's own choice, as in Docker.
		f := writeFile(t, "Dockerfile.outside", []byte(df))
		s.mustBuild(t, "-t", "outside", "-f", f, buildContext(t, map[string]string{"a.txt": "a"}))
	})
}

// A parse error names the line but never echoes a first word that cannot
// be an instruction, nor more than a short piece of any line.
func TestBuildParseErrorQuotesLittle(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for name, content := range map[string]string{
		"not a keyword": "Xtok_0123456789abcdef:secret rest of the line\nFROM busybox\n",
		"long line":     "FROM busybox\nRUN --mount=type=cache,target=/x,Xtok_" + strings.Repeat("0123456789", 40) + " true\n",
	} {
		t.Run(name, func(t *testing.T) {
			ctx := buildContext(t, map[string]string{"Dockerfile": content})
			_, errs, code := s.hull(t, "build", "-q", ctx)
			if code != 125 {
				t.Errorf("exit %d, want 125", code)
			}
			oneLineError(t, errs)
			if strings.Contains(strings.ToLower(errs), "0123456789abcdef") || strings.Contains(errs, strings.Repeat("0123456789", 20)) {
				t.Errorf("the error quotes the line: %q", errs)
			}
			if len(errs) > 300 {
				t.Errorf("error of %d bytes", len(errs))
			}
		})
	}
}
