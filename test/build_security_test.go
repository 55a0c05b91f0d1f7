package test

import (
	"archive/tar"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// emptyDir fails t if dir (a host directory an escape would write into)
// holds anything.
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("the build wrote %s on the host", filepath.Join(dir, e.Name()))
	}
}

// COPY, ADD and RUN --mount=type=bind never read outside the context:
// symlinks resolve inside the context root (BuildKit CVE-2024-23651/23652
// class, Buildah CVE-2024-1753). Each build may fail or succeed, but what
// it put in the image never holds the host's files.
func TestBuildContextEscapes(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	const secret = "OUTSIDE-THE-CONTEXT"
	cases := []struct{ name, step string }{
		{"symlink to /", "COPY root-link/etc/passwd /o"},
		{"symlink to ..", "COPY up-link/outside.txt /o"},
		{"absolute symlink to the parent", "COPY abs-link/outside.txt /o"},
		{"dot-dot source", "COPY ../outside.txt /o"},
		{"ADD through a symlink", "ADD up-link/outside.txt /o"},
		{"COPY the symlink dir", "COPY up-link /o/"},
		{"bind mount ../..", "RUN --mount=type=bind,source=../..,target=/m find /m -name outside.txt > /o; cat /m/outside.txt /m/*/outside.txt >> /o 2>/dev/null; true"},
		{"bind mount through a symlink", "RUN --mount=type=bind,source=root-link/etc,target=/m cat /m/passwd > /o; true"},
		{"CVE-2024-1753", "RUN --mount=type=bind,source=../../../../../../../../../../../../,target=/test,rw cat /test/etc/passwd > /o 2>&1; touch /test/escaped; true"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			if err := os.WriteFile(filepath.Join(parent, "outside.txt"), []byte(secret), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx := filepath.Join(parent, "ctx")
			for name, target := range map[string]string{"root-link": "/", "up-link": "../", "abs-link": parent} {
				if err := os.MkdirAll(ctx, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, filepath.Join(ctx, name)); err != nil {
					t.Fatal(err)
				}
			}
			df := "FROM busybox\n" + c.step + "\n"
			if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644); err != nil {
				t.Fatal(err)
			}
			tag := "esc-" + strings.ReplaceAll(strings.ToLower(c.name), " ", "-")
			tag = strings.NewReplacer("/", "root", ".", "dot").Replace(tag)
			if _, _, code := s.build(t, "-t", tag, ctx); code != 0 {
				return // refusing is fine
			}
			got := s.sh(t, tag, "cat /o /o/* 2>/dev/null; true")
			user := os.Getenv("USER")
			if strings.Contains(got, secret) || (user != "" && strings.Contains(got, user+":x:")) {
				t.Errorf("%s read a host file outside the context:\n%s", c.step, got)
			}
			for _, dir := range []string{parent, ctx} {
				if _, err := os.Lstat(filepath.Join(dir, "escaped")); err == nil {
					t.Errorf("a RUN wrote %s/escaped through a bind mount", dir)
				}
			}
		})
	}
}

// A base image whose symlinks point at / or at host paths: COPY, ADD and
// WORKDIR through them land inside the image, never on the host.
func TestBuildSymlinkedDestinations(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	host := t.TempDir() // an escape would write here: we own it
	entries, err := busyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	entries = append(entries,
		tarEntry{Name: "app", Type: tar.TypeSymlink, Linkname: "/"},
		tarEntry{Name: "hostlink", Type: tar.TypeSymlink, Linkname: host},
		tarEntry{Name: "uplink", Type: tar.TypeSymlink, Linkname: "../../../../../../" + host})
	s.mustHull(t, "import", makeTar(t, entries...), "evil")

	evilTar := tarBytes(t,
		tarEntry{Name: "../../../../../../../" + strings.TrimPrefix(host, "/") + "/dotdot.txt", Body: []byte("x")},
		tarEntry{Name: "lnk", Type: tar.TypeSymlink, Linkname: host},
		tarEntry{Name: "lnk/through-link.txt", Body: []byte("x")},
		tarEntry{Name: "ok.txt", Body: []byte("ok\n")})
	ctx := buildContext(t, map[string]string{
		"x.txt": "x\n", "evil.tar": string(evilTar),
		"Dockerfile": `FROM evil
COPY x.txt /app/
COPY x.txt /hostlink/
COPY x.txt /uplink/up.txt
WORKDIR /hostlink/wd
RUN touch made-by-run
COPY x.txt ./in-workdir.txt
`,
	})
	if _, errs, code := s.build(t, "-t", "landed", ctx); code != 0 {
		t.Fatalf("build failed (it should land everything inside the image): %s", errs)
	}
	emptyDir(t, host)
	got := s.sh(t, "landed", fmt.Sprintf("cat /x.txt; cd %s && find . | sort", host))
	want := ".\n./up.txt\n./wd\n./wd/in-workdir.txt\n./wd/made-by-run\n./x.txt\n"
	if got != "x\n"+want {
		t.Errorf("inside the image:\n%s\nwant:\nx\n%s", got, want)
	}

	// ADD of a tar with ../ entries and a symlinked directory: refused or
	// contained, never written on the host.
	ctx2 := buildContext(t, map[string]string{"evil.tar": string(evilTar), "Dockerfile": "FROM evil\nADD evil.tar /hostlink/\nADD evil.tar /x/\n"})
	_, _, code := s.build(t, "-t", "evil-add", ctx2)
	emptyDir(t, host)
	if code == 0 {
		t.Logf("ADD of the hostile tar succeeded: %s", s.sh(t, "evil-add", "find / -name '*.txt' -path '*x*' 2>/dev/null | grep -v ^/proc; true"))
	}
}
