package test

import (
	"strings"
	"testing"
)

func TestContainerLifecycle(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	if out := s.mustHull(t, "run", "--name", "c1", "busybox", "echo", "a", "b"); out != "a b\n" {
		t.Fatalf("run printed %q", out)
	}
	ps := s.mustHull(t, "ps", "-a")
	if row := psRow(ps, "c1"); !strings.Contains(row, "Exited (0)") {
		t.Errorf("ps -a does not show c1 as Exited (0):\n%s", ps)
	}
	if ps := s.mustHull(t, "ps"); psRow(ps, "c1") != "" {
		t.Errorf("ps (running only) shows exited c1:\n%s", ps)
	}
	if cmd := s.mustHull(t, "inspect", "--format", "{{.Config.Cmd}}", "c1"); strings.TrimSpace(cmd) != "[echo a b]" {
		t.Errorf("inspect .Config.Cmd = %q, want [echo a b]", cmd)
	}
	s.mustHull(t, "rm", "c1")
	if ps := s.mustHull(t, "ps", "-a"); psRow(ps, "c1") != "" {
		t.Errorf("ps -a still shows c1 after rm:\n%s", ps)
	}
	if _, errs, code := s.hull(t, "rm", "c1"); code == 0 {
		t.Errorf("second rm of c1 succeeded")
	} else {
		oneLineError(t, errs)
	}
}

// psRow is the line of a ps table for the container named name (NAMES is
// the last column), or "".
func psRow(ps, name string) string {
	for _, l := range lines(ps) {
		if f := strings.Fields(l); f[len(f)-1] == name {
			return l
		}
	}
	return ""
}

func TestTag(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "tag", "busybox", "mybox:v1")
	images := s.mustHull(t, "images")
	if !hasRow(images, "mybox", "v1") || !hasRow(images, "busybox", "latest") {
		t.Fatalf("images after tag:\n%s", images)
	}
	if out := s.mustHull(t, "run", "--rm", "mybox:v1", "echo", "ok"); out != "ok\n" {
		t.Fatalf("run mybox:v1 printed %q", out)
	}
}

// rmi refuses an image a container (even an exited one) uses; -f forces it.
func TestRmiInUse(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "--name", "user", "busybox", "true")
	_, errs, code := s.hull(t, "rmi", "busybox")
	if code == 0 {
		t.Fatalf("rmi of an image in use succeeded")
	}
	oneLineError(t, errs)
	if images := s.mustHull(t, "images"); !hasRow(images, "busybox", "latest") {
		t.Fatalf("refused rmi still removed busybox:\n%s", images)
	}
	s.mustHull(t, "rmi", "-f", "busybox")
	if images := s.mustHull(t, "images"); hasRow(images, "busybox", "latest") {
		t.Fatalf("rmi -f left busybox latest:\n%s", images)
	}
}

func TestRmi(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "rmi", "busybox")
	if out := s.mustHull(t, "images", "-q"); strings.TrimSpace(out) != "" {
		t.Fatalf("images -q after rmi: %q", out)
	}
	if _, errs, code := s.hull(t, "rmi", "busybox"); code == 0 {
		t.Errorf("rmi of a missing image succeeded")
	} else {
		oneLineError(t, errs)
	}
}

// Re-importing under the same name leaves the old image dangling; image
// prune removes it and keeps the tagged one.
func TestImagePrune(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	entries, err := busyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	other := makeTar(t, append(entries, tarEntry{Name: "etc/other", Body: []byte("x")})...)
	s.mustHull(t, "import", other, "busybox")
	images := s.mustHull(t, "images")
	if !hasRow(images, "<none>", "<none>") {
		t.Errorf("images does not show the dangling image:\n%s", images)
	}
	if n := len(lines(s.mustHull(t, "images", "-q"))); n != 2 {
		t.Fatalf("images -q lists %d images before prune, want 2", n)
	}
	s.mustHull(t, "image", "prune", "-f")
	if n := len(lines(s.mustHull(t, "images", "-q"))); n != 1 {
		t.Fatalf("images -q lists %d images after prune, want 1", n)
	}
	if out := s.mustHull(t, "run", "--rm", "busybox", "cat", "/etc/other"); out != "x" {
		t.Fatalf("prune removed the tagged image's content: cat printed %q", out)
	}
}

func TestHistory(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	out := s.mustHull(t, "history", "busybox")
	l := lines(out)
	if len(l) < 2 || !strings.Contains(l[0], "IMAGE") || !strings.Contains(l[0], "CREATED") {
		t.Fatalf("history: want a header and at least one layer, got:\n%s", out)
	}
}
