package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every command that changes the store logs Docker's events, once each
// and in order: containers, images, volumes and networks.
func TestEventsOfEveryCommand(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t)
	s := withBusybox(t)
	dir := t.TempDir()
	since := time.Now().Format(time.RFC3339Nano) // after withBusybox's import

	// Containers.
	s.mustHull(t, "create", "--name", "e1", "busybox", "sleep", "300")
	s.mustHull(t, "start", "e1")
	s.mustHull(t, "pause", "e1")
	s.mustHull(t, "unpause", "e1")
	s.mustHull(t, "update", "--restart", "on-failure:3", "e1")
	s.mustHull(t, "exec", "e1", "true")
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.mustHull(t, "cp", file, "e1:/tmp/")
	s.mustHull(t, "cp", "e1:/tmp/f", filepath.Join(dir, "back"))
	s.mustHull(t, "export", "-o", filepath.Join(dir, "e1.tar"), "e1")
	s.mustHull(t, "commit", "e1", "evimg:1")
	s.mustHull(t, "kill", "-s", "USR1", "e1") // PID 1 without a handler: it goes on
	s.mustHull(t, "rename", "e1", "e2")
	s.mustHull(t, "restart", "-t", "1", "e2")
	s.mustHull(t, "stop", "-t", "1", "e2")
	s.mustHull(t, "rm", "e2")
	s.mustHull(t, "container", "prune", "-f")

	// Images.
	s.mustHull(t, "tag", "busybox", "evt:1")
	archive := filepath.Join(dir, "evt.tar")
	s.mustHull(t, "save", "-o", archive, "evt:1")
	s.mustHull(t, "rmi", "evt:1")
	s.mustHull(t, "load", "-i", archive)
	s.mustHull(t, "import", busyboxTar, "evimp:1")
	s.mustHull(t, "image", "prune", "-f")
	s.mustHull(t, "tag", "busybox", reg+"/ev/bb:1")
	s.mustHull(t, "push", "-q", reg+"/ev/bb:1")
	s.mustHull(t, "pull", "-q", reg+"/ev/bb:1")

	// Volumes and networks: a start connects and mounts, an exit
	// disconnects and unmounts; connect and disconnect of a running
	// container log theirs.
	s.mustHull(t, "volume", "create", "evv")
	s.mustHull(t, "network", "create", "evn")
	s.mustHull(t, "run", "--rm", "--name", "evrun", "--network", "evn", "-v", "evv:/data", "busybox", "true")
	s.mustHull(t, "volume", "rm", "evv")
	s.mustHull(t, "volume", "prune", "-f")
	s.mustHull(t, "run", "-d", "--name", "enet", "busybox", "sleep", "300")
	s.mustHull(t, "network", "connect", "evn", "enet")
	s.mustHull(t, "network", "disconnect", "evn", "enet")
	s.mustHull(t, "rm", "-f", "enet")
	s.mustHull(t, "network", "rm", "evn")
	s.mustHull(t, "network", "prune", "-f")
	s.mustHull(t, "system", "prune", "-f")

	got := lines(s.mustHull(t, "events", "--since", since, "--until", "0s", "--format", "{{.Type}} {{.Action}}"))
	want := []string{
		"container create", "container start", "container pause", "container unpause", "container update",
		"container exec_create: true", "container exec_start: true", "container exec_die",
		"container extract-to-dir", "container archive-path", "container export",
		"image tag", "container commit",
		"container kill", "container rename",
		// restart: TERM, KILL after -t 1 (PID 1 ignores TERM), then stop and start again.
		"container kill", "container kill", "container die", "container stop", "container start", "container restart",
		"container kill", "container kill", "container die", "container stop",
		"container destroy", "container prune",
		"image tag", "image save", "image untag", "image load", "image import", "image prune",
		"image tag", "image push", "image pull",
		"volume create", "network create",
		"container create", "network connect", "volume mount", "container start",
		"network disconnect", "volume unmount", "container die", "container destroy",
		"volume destroy", "volume prune",
		"container create", "container start", "network connect", "network disconnect",
		"container kill", "container die", "container destroy", "network destroy", "network prune",
		"container prune", "image prune",
	}
	if i := inOrder(got, want); i < len(want) {
		t.Errorf("events lack %q (in this order) after %q:\n%s", want[i], want[:i], strings.Join(got, "\n"))
	}
	// Once each, as Docker: nothing logged twice (the store's own record
	// writes and the commands' events do not overlap).
	for ev, n := range map[string]int{"container kill": 6, "container die": 4, "container stop": 2, "container start": 4,
		"container exec_die": 1, "container update": 1, "container destroy": 3, "container commit": 1,
		"image push": 1, "image pull": 1, "image save": 1, "image load": 1, "image import": 1,
		"volume create": 1, "volume mount": 1, "volume unmount": 1, "volume destroy": 1,
		"network create": 1, "network connect": 2, "network disconnect": 2, "network destroy": 1} {
		if c := count(got, ev); c != n {
			t.Errorf("%q logged %d times, want %d:\n%s", ev, c, n, strings.Join(got, "\n"))
		}
	}
	// The attributes Docker gives: kill's signal, exec's exit code, the
	// network's name and the pulled reference.
	attrs := s.mustHull(t, "events", "--since", since, "--until", "0s", "--format",
		`{{.Action}} {{index .Actor.Attributes "signal"}}{{index .Actor.Attributes "exitCode"}}{{index .Actor.Attributes "name"}}`,
		"--filter", "event=kill", "--filter", "event=exec_die", "--filter", "event=connect", "--filter", "event=pull", "--filter", "event=mount")
	for _, l := range []string{"kill 10e1", "kill 15e2", "kill 9e2", "kill 9enet", "exec_die 0e1", "connect evn", "pull " + reg + "/ev/bb", "mount "} {
		if !strings.Contains(attrs, l+"\n") {
			t.Errorf("events' attributes lack %q:\n%s", l, attrs)
		}
	}
}

// inOrder returns how many of want appear in got in that order (possibly
// with other lines between).
func inOrder(got, want []string) int {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i
}

func count(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if l == s {
			n++
		}
	}
	return n
}
