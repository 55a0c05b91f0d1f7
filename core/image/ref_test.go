package image

import (
	"strings"
	"testing"
)

func TestNormalizeRef(t *testing.T) {
	dig := "sha256:" + strings.Repeat("ab", 32)
	for in, want := range map[string]string{
		"busybox":                       "docker.io/library/busybox:latest",
		"busybox:1.36":                  "docker.io/library/busybox:1.36",
		"me/app:1":                      "docker.io/me/app:1",
		"docker.io/busybox":             "docker.io/library/busybox:latest",
		"index.docker.io/me/app":        "docker.io/me/app:latest",
		"localhost/x":                   "localhost/x:latest",
		"localhost:5000/x":              "localhost:5000/x:latest",
		"localhost:5000/a/b/c:v2":       "localhost:5000/a/b/c:v2",
		"ghcr.io/o/r":                   "ghcr.io/o/r:latest",
		"Registry/x":                    "Registry/x:latest",
		"[::1]:5000/x":                  "[::1]:5000/x:latest",
		"my_app-x.y__z":                 "docker.io/library/my_app-x.y__z:latest",
		"busybox@" + dig:                "docker.io/library/busybox@" + dig,
		"busybox:1@" + dig:              "docker.io/library/busybox:1@" + dig,
		"quay.io/a/b:tag_1.0-rc@" + dig: "quay.io/a/b:tag_1.0-rc@" + dig,
	} {
		got, err := NormalizeRef(in)
		if err != nil || got != want {
			t.Errorf("NormalizeRef(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "Busybox", "me/App", "a b", "x:", ":tag", "x:-bad", "busybox@sha256:12",
		"x//y", "-x", "x@", "x:@" + dig, "x_", strings.Repeat("a", 64), "a/" + strings.Repeat("b", 260), "busybox@" + dig + "x",
		"x:" + strings.Repeat("t", 129)} {
		if got, err := NormalizeRef(in); err == nil {
			t.Errorf("NormalizeRef(%q) = %q, want error", in, got)
		} else if in != "" && !strings.Contains(err.Error(), in) {
			t.Errorf("error %q does not name %q", err, in)
		}
	}
	if _, err := NormalizeRef("Busybox"); !strings.Contains(err.Error(), "must be lowercase") {
		t.Errorf("upper-case error: %v", err)
	}
}

func TestFamiliarName(t *testing.T) {
	dig := "sha256:" + strings.Repeat("cd", 32)
	for _, c := range []struct{ in, repo, tag, str string }{
		{"docker.io/library/busybox:latest", "busybox", "latest", "busybox:latest"},
		{"busybox", "busybox", "latest", "busybox:latest"},
		{"docker.io/me/app:1", "me/app", "1", "me/app:1"},
		{"docker.io/library/a/b:1", "library/a/b", "1", "library/a/b:1"},
		{"localhost:5000/x:1", "localhost:5000/x", "1", "localhost:5000/x:1"},
		{"ghcr.io/o/r:v", "ghcr.io/o/r", "v", "ghcr.io/o/r:v"},
		{"docker.io/library/busybox@" + dig, "busybox", "<none>", "busybox@" + dig},
		{"docker.io/library/busybox:1@" + dig, "busybox", "1", "busybox:1@" + dig},
	} {
		repo, tag := FamiliarName(c.in)
		if repo != c.repo || tag != c.tag {
			t.Errorf("FamiliarName(%q) = %q, %q; want %q, %q", c.in, repo, tag, c.repo, c.tag)
		}
		if s := FamiliarString(c.in); s != c.str {
			t.Errorf("FamiliarString(%q) = %q, want %q", c.in, s, c.str)
		}
	}
}
