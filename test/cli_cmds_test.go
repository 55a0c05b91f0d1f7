package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Issue 17's everyday commands: the broken items, the commands Docker has
// that hull lacked, help and exit codes.

// rm -f of a --rm container: its monitor removes it as it dies, which is
// what rm -f asked for; it must not report "no such container".
func TestCLIRmForceAutoRemove(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	for i := 0; i < 3; i++ {
		s.mustHull(t, "run", "--rm", "-d", "--name", "rmx", "busybox", "sleep", "30")
		out, errs, code := s.hull(t, "rm", "-f", "rmx")
		if code != 0 || errs != "" || out != "rmx\n" {
			t.Fatalf("try %d: rm -f of a --rm container: exit %d, stdout %q, stderr %q", i, code, out, errs)
		}
	}
	if ps := s.mustHull(t, "ps", "-aq"); ps != "" {
		t.Errorf("containers left: %q", ps)
	}
}

// Flags after a command's arguments parse as Docker's do (rm c1 -f, save
// IMAGE -o FILE), except after run's image, which starts the container's
// own command line.
func TestCLIFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "-d", "--name", "late", "busybox", "sleep", "30")
	if out, errs, code := s.hull(t, "rm", "late", "-f"); code != 0 || out != "late\n" {
		t.Fatalf("rm late -f: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	archive := filepath.Join(dir, "bb.tar")
	s.mustHull(t, "save", "busybox", "-o", archive)
	if st, err := os.Stat(archive); err != nil || st.Size() == 0 {
		t.Fatalf("save busybox -o %s wrote nothing: %v", archive, err)
	}
	if out := s.mustHull(t, "run", "--rm", "busybox", "echo", "x", "-f"); out != "x -f\n" {
		t.Errorf("run's command line took a flag: %q", out)
	}
}

// container prune asks, on a terminal as in a pipe; -f does not ask.
func TestCLIContainerPruneAsks(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "create", "--name", "stopped1", "busybox", "true")
	p := startPty(t, s, 24, 80, "container", "prune")
	p.waitFor("Are you sure you want to continue? [y/N]")
	p.write("n\n")
	if out, code := p.wait(); code != 0 || strings.Contains(out, "Deleted") {
		t.Errorf("prune answered no: exit %d, %q", code, out)
	}
	if ps := s.mustHull(t, "ps", "-a", "--format", "{{.Names}}"); ps != "stopped1\n" {
		t.Fatalf("a 'no' removed the container: ps %q", ps)
	}
	// No answer (stdin at EOF) is a no, as Docker's.
	if out, _, code := s.hull(t, "container", "prune"); code != 0 || !strings.Contains(out, "WARNING! This will remove all stopped containers.") {
		t.Errorf("prune without a terminal: exit %d, %q", code, out)
	}
	if ps := s.mustHull(t, "ps", "-aq"); ps == "" {
		t.Fatal("prune without an answer removed the container")
	}
	p = startPty(t, s, 24, 80, "container", "prune")
	p.waitFor("[y/N]")
	p.write("y\n")
	if out, code := p.wait(); code != 0 || !strings.Contains(out, "Deleted Containers:") {
		t.Errorf("prune answered yes: exit %d, %q", code, out)
	}
	s.mustHull(t, "create", "--name", "stopped2", "busybox", "true")
	if out := s.mustHull(t, "container", "prune", "-f"); strings.Contains(out, "Are you sure") || !strings.Contains(out, "Deleted Containers:") {
		t.Errorf("prune -f: %q", out)
	}
	if ps := s.mustHull(t, "ps", "-aq"); ps != "" {
		t.Errorf("containers left after prune: %q", ps)
	}
}

// On a terminal, push and pull keep one line per layer with its final
// status, in decimal units; a re-push and an up-to-date pull say so.
func TestCLIPushPullTerminal(t *testing.T) {
	reg := startRegistry(t)
	s := newStore(t)
	ref := reg + "/tty/app:1"
	s.mustHull(t, "load", "-i", multiLayerArchive(t, ref))

	p := startPty(t, s, 40, 120, "push", ref)
	out, code := p.wait()
	out = screen(out) // what stays on the terminal, not every frame drawn
	if code != 0 || strings.Count(out, ": Pushed") != 3 {
		t.Fatalf("push on a terminal: exit %d, want 3 'Pushed' lines: %q", code, out)
	}
	if strings.Contains(out, "iB") {
		t.Errorf("push mixes binary units into Docker's decimal ones: %q", out)
	}
	m := regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("push printed no digest: %q", out)
	}
	if images := s.mustHull(t, "images", "--digests", reg+"/tty/app"); !strings.Contains(images, m[1]) {
		t.Errorf("images --digests after push lacks %s: %q", m[1], images)
	}
	p = startPty(t, s, 40, 120, "push", ref)
	if out, code := p.wait(); code != 0 || strings.Count(screen(out), ": Layer already exists") != 3 || strings.Contains(out, "Pushed") {
		t.Errorf("re-push: exit %d, want 3 'Layer already exists': %q", code, out)
	}

	fresh := newStore(t)
	p = startPty(t, fresh, 40, 120, "pull", ref)
	out, code = p.wait()
	out = screen(out)
	if code != 0 || strings.Count(out, ": Pull complete") != 3 || !strings.Contains(out, "Status: Downloaded newer image for "+ref) {
		t.Fatalf("pull on a terminal: exit %d, want 3 'Pull complete' lines: %q", code, out)
	}
	if strings.Contains(out, "iB") {
		t.Errorf("pull mixes binary units into Docker's decimal ones: %q", out)
	}
	p = startPty(t, fresh, 40, 120, "pull", ref)
	if out, code := p.wait(); code != 0 || !strings.Contains(out, "Status: Image is up to date for "+ref) {
		t.Errorf("up-to-date pull: exit %d: %q", code, out)
	}
}

// screen replays a terminal's output (line feeds, cursor up, erase below)
// and returns the lines left on it.
func screen(out string) string {
	var rows []string
	row := 0
	up := regexp.MustCompile(`^\x1b\[([0-9]*)A`)
	for i := 0; i < len(out); {
		if m := up.FindStringSubmatch(out[i:]); m != nil {
			n := 1
			fmt.Sscan(m[1], &n)
			row = max(row-n, 0)
			i += len(m[0])
			continue
		}
		if strings.HasPrefix(out[i:], "\x1b[J") {
			rows = rows[:min(row+1, len(rows))]
			if row < len(rows) {
				rows[row] = ""
			}
			i += 3
			continue
		}
		for len(rows) <= row {
			rows = append(rows, "")
		}
		if out[i] == '\n' {
			row++
		} else {
			rows[row] += string(out[i])
		}
		i++
	}
	return strings.Join(rows, "\n")
}

// A bad name fails at once, before a build runs a step or a tag is made.
func TestCLIReferenceValidation(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	_, errs, code := s.hull(t, "tag", "busybox", "Upper:1")
	if code == 0 || !strings.Contains(errs, "invalid reference format: repository name (library/Upper) must be lowercase") {
		t.Errorf("tag busybox Upper:1: exit %d, %q", code, errs)
	}
	ctx := t.TempDir()
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM busybox\nRUN echo STEP-RAN\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := s.hull(t, "build", "--progress", "plain", "-t", "Bad:Tag", ctx)
	if code == 0 || !strings.Contains(errs, `invalid argument "Bad:Tag" for "-t, --tag" flag`) || strings.Contains(out+errs, "STEP-RAN") {
		t.Errorf("build -t Bad:Tag: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	oneLineError(t, errs)
	if images := s.mustHull(t, "images", "-q"); len(lines(images)) != 1 {
		t.Errorf("images after the refused tag and build: %q", images)
	}
}

// load takes compressed archives, as docker load does, and a failure
// names stdin, not a temporary file, and leaves none behind.
func TestCLILoadCompressed(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	saved := s.mustHull(t, "save", "busybox")
	kinds := map[string][]byte{}
	var gz, zs, xb bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write([]byte(saved))
	gw.Close()
	kinds["gzip"] = gz.Bytes()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write([]byte(saved))
	zw.Close()
	kinds["zstd"] = zs.Bytes()
	xw, _ := xz.NewWriter(&xb)
	xw.Write([]byte(saved))
	xw.Close()
	kinds["xz"] = xb.Bytes()
	if bz, err := exec.LookPath("bzip2"); err == nil {
		cmd := exec.Command(bz, "-c")
		cmd.Stdin = strings.NewReader(saved)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		kinds["bzip2"] = out
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	for kind, data := range kinds {
		dest := newStore(t)
		out, errs, code := dest.hullIn(t, bytes.NewReader(data), "load")
		if code != 0 || !strings.Contains(out, "Loaded image: busybox:latest") {
			t.Errorf("load of a %s archive on stdin: exit %d, %q %q", kind, code, out, errs)
		}
		file := filepath.Join(dir, "busybox.tar."+kind)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		dest = newStore(t)
		if out := dest.mustHull(t, "load", "-i", file); !strings.Contains(out, "Loaded image: busybox:latest") {
			t.Errorf("load -i of a %s archive: %q", kind, out)
		}
		if got := dest.mustHull(t, "run", "--rm", "busybox", "echo", "ok"); got != "ok\n" {
			t.Errorf("run of the image from a %s archive: %q", kind, got)
		}
	}
	var junk bytes.Buffer
	gw = gzip.NewWriter(&junk)
	gw.Write([]byte("not a tar archive at all"))
	gw.Close()
	dest := newStore(t)
	_, errs, code := dest.hullIn(t, &junk, "load")
	if code == 0 || !strings.Contains(errs, "stdin") || strings.Contains(errs, ".tmp-") {
		t.Errorf("load of a gzipped non-archive: exit %d, %q", code, errs)
	}
	oneLineError(t, errs)
	left, _ := filepath.Glob(filepath.Join(dest.root, "*", ".tmp-*"))
	top, _ := filepath.Glob(filepath.Join(dest.root, ".tmp-*"))
	if len(left)+len(top) > 0 {
		t.Errorf("load left temporary files: %v %v", left, top)
	}
}

// cp of a path the container lacks says so in Docker's words, for a
// running and a stopped container.
func TestCLICpMissing(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "-d", "--name", "bg1", "busybox", "sleep", "60")
	dest := filepath.Join(t.TempDir(), "x")
	for _, state := range []string{"running", "stopped"} {
		_, errs, code := s.hull(t, "cp", "bg1:/nonexistent", dest)
		if code == 0 || strings.TrimSpace(errs) != "hull: Could not find the file /nonexistent in container bg1" {
			t.Errorf("cp of a missing path (%s): exit %d, %q", state, code, errs)
		}
		_, errs, code = s.hull(t, "cp", "bg1:/etc/nodir/file", "-")
		if code == 0 || !strings.Contains(errs, "Could not find the file /etc/nodir/file in container bg1") {
			t.Errorf("cp of a path under a missing dir (%s): exit %d, %q", state, code, errs)
		}
		if _, err := os.Lstat(dest); err == nil {
			t.Errorf("cp of a missing path (%s) created %s", state, dest)
		}
		if state == "running" {
			s.mustHull(t, "kill", "bg1")
			s.mustHull(t, "wait", "bg1")
		}
	}
}

// Unknown commands answer as Docker's, not with urfave's "No help topic".
func TestCLIUnknownCommand(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "hull: 'frobnicate' is not a hull command. See 'hull --help'."},
		{[]string{"image", "foo"}, "hull: unknown command: hull image foo. See 'hull image --help'."},
		{[]string{"network", "foo"}, "hull: unknown command: hull network foo. See 'hull network --help'."},
	} {
		out, errs, code := s.hull(t, tc.args...)
		if code == 0 || strings.TrimSpace(errs) != tc.want || strings.Contains(out+errs, "No help topic") {
			t.Errorf("hull %s: exit %d, stdout %q, stderr %q; want %q", quote(tc.args), code, out, errs, tc.want)
		}
	}
}

// --help groups the commands as Docker's does and has no "(default:
// false)"; run, build and ps show examples; -v/--version prints Docker's line.
func TestCLIHelpAndVersion(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	help := s.mustHull(t, "--help")
	common := strings.Index(help, "Common Commands:")
	mgmt := strings.Index(help, "Management Commands:")
	other := strings.Index(help, "\nCommands:")
	if common < 0 || mgmt < common || other < mgmt {
		t.Fatalf("--help lacks Docker's groups in order: %q", help)
	}
	if !regexp.MustCompile(`(?m)^  run +Create and run`).MatchString(help[common:mgmt]) ||
		!regexp.MustCompile(`(?m)^  container +Manage containers`).MatchString(help[mgmt:other]) ||
		!regexp.MustCompile(`(?m)^  rm +Remove`).MatchString(help[other:]) {
		t.Errorf("--help puts commands in the wrong groups: %q", help)
	}
	for _, cmd := range []string{"run", "build", "ps"} {
		h := s.mustHull(t, cmd, "--help")
		if !strings.Contains(h, "EXAMPLES:") || !strings.Contains(h, "hull "+cmd) {
			t.Errorf("%s --help has no examples: %q", cmd, h)
		}
		if strings.Contains(h, "(default: false)") {
			t.Errorf("%s --help says (default: false): %q", cmd, h)
		}
	}
	for _, flag := range []string{"--version", "-v"} {
		if out := s.mustHull(t, flag); !regexp.MustCompile(`^hull version \S+, build \S+\n$`).MatchString(out) {
			t.Errorf("hull %s: %q", flag, out)
		}
	}
}

// pause freezes a container's processes until unpause; ps and inspect say
// so; the event log has both.
func TestCLIPauseUnpause(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	// The counter is renamed into place, so that a read never sees it
	// half-written (a freeze between truncate and write would leave it
	// empty).
	s.mustHull(t, "run", "-d", "--name", "pz", "busybox", "sh", "-c",
		"i=0; while true; i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; do sleep 0.05; done")
	// The counter's file read from outside, so that it reads a frozen one.
	read := func() string {
		out, _, _ := s.hull(t, "cp", "pz:/tmp/count", "-")
		return out
	}
	waitFor(t, "pz to count", func() bool { return read() != "" })
	s.mustHull(t, "pause", "pz")
	if st := s.mustHull(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}} {{.State.Running}}", "pz"); st != "paused true true\n" {
		t.Errorf("inspect of a paused container: %q", st)
	}
	if ps := s.mustHull(t, "ps", "--format", "{{.Status}}"); !strings.HasSuffix(strings.TrimSpace(ps), "(Paused)") {
		t.Errorf("ps of a paused container: %q", ps)
	}
	if _, errs, code := s.hull(t, "pause", "pz"); code == 0 || !strings.Contains(errs, "already paused") {
		t.Errorf("second pause: exit %d, %q", code, errs)
	}
	// Its processes do not run.
	a := read()
	time.Sleep(500 * time.Millisecond)
	if b := read(); a == "" || a != b {
		t.Errorf("a paused container went on counting: %q then %q", a, b)
	}
	s.mustHull(t, "unpause", "pz")
	waitFor(t, "an unpaused container to count on", func() bool { return read() != a })
	if st := s.mustHull(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "pz"); st != "running false\n" {
		t.Errorf("inspect after unpause: %q", st)
	}
	if _, errs, code := s.hull(t, "unpause", "pz"); code == 0 || !strings.Contains(errs, "not paused") {
		t.Errorf("unpause of a running container: exit %d, %q", code, errs)
	}
	ev := s.mustHull(t, "events", "--since", "5m", "--until", "0s", "--filter", "container=pz", "--format", "{{.Action}}")
	// In order; cp's archive-path events (Docker's too) come between.
	if p, u := strings.Index(ev, "\npause\n"), strings.Index(ev, "\nunpause\n"); p < 0 || u < p {
		t.Errorf("events lack pause then unpause: %q", ev)
	}
	s.mustHull(t, "rm", "-f", "pz")
}

// export writes the container's root filesystem, what it changed
// included, with a symlink as a symlink and mounts left empty.
func TestCLIExport(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	canary := filepath.Join(t.TempDir(), "canary")
	if err := os.WriteFile(canary, []byte("HOST-SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.mustHull(t, "run", "-d", "--name", "ex", "busybox", "sh", "-c",
		"echo made > /made; chown 1000:1000 /made; ln -s "+canary+" /link; sleep 60")
	waitFor(t, "ex to make its files", func() bool {
		_, _, code := s.hull(t, "exec", "ex", "test", "-L", "/link")
		return code == 0
	})
	for _, state := range []string{"running", "stopped"} {
		out := filepath.Join(t.TempDir(), "ex.tar")
		os.Chmod(filepath.Dir(out), 0o777)
		s.mustHull(t, "export", "-o", out, "ex")
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		names, err := exec.Command("tar", "-tvf", out).Output()
		if err != nil {
			t.Fatal(err)
		}
		list := string(names)
		if !strings.Contains(list, " made\n") || !strings.Contains(list, "bin/busybox") || !strings.Contains(list, "link -> "+canary) {
			t.Errorf("export of a %s container lacks its files: %s", state, list)
		}
		// Owners are the container's ids, running or not: never the
		// host's subordinate ids that stat shows through /proc/PID/root.
		for _, l := range strings.Split(list, "\n") {
			if strings.HasSuffix(l, " made") && !strings.Contains(l, " 1000/1000 ") ||
				strings.HasSuffix(l, " bin/busybox") && !strings.Contains(l, " 0/0 ") {
				t.Errorf("export of a %s container has host ids: %q", state, l)
			}
		}
		if bytes.Contains(data, []byte("HOST-SECRET")) || strings.Contains(list, "proc/self") {
			t.Errorf("export of a %s container followed a link or read /proc", state)
		}
		if state == "running" {
			s.mustHull(t, "kill", "ex")
			s.mustHull(t, "wait", "ex")
		}
	}
	if _, errs, code := s.hull(t, "export", "nosuch"); code == 0 || !strings.Contains(errs, "no such container") {
		t.Errorf("export of a missing container: exit %d, %q", code, errs)
	}
}

// stats and update read and change the container's cgroup where it has
// one; where it has none, stats shows "--" and update says why.
func TestCLIStatsUpdate(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "-d", "--name", "st", "-m", "64m", "busybox", "sleep", "60")
	out := s.mustHull(t, "stats", "--no-stream", "--format", "{{.Name}}|{{.MemUsage}}|{{.NetIO}}|{{.PIDs}}", "st")
	f := strings.Split(strings.TrimSpace(out), "|")
	if len(f) != 4 || f[0] != "st" || f[3] == "" {
		t.Fatalf("stats --format: %q", out)
	}
	table := s.mustHull(t, "stats", "--no-stream")
	if !strings.HasPrefix(table, "CONTAINER ID   NAME") || !strings.Contains(table, "MEM USAGE / LIMIT") || !strings.Contains(table, " st ") {
		t.Errorf("stats table: %q", table)
	}
	_, errs, code := s.hull(t, "update", "--memory", "128m", "st")
	if strings.HasPrefix(f[1], "--") {
		if code == 0 || !strings.Contains(errs, "no cgroup of its own") {
			t.Errorf("update without a cgroup: exit %d, %q", code, errs)
		}
	} else {
		if !strings.HasSuffix(f[1], "/ 64MiB") {
			t.Errorf("stats memory column with -m 64m: %q", f[1])
		}
		if code != 0 {
			t.Fatalf("update --memory: exit %d, %q", code, errs)
		}
		if out := s.mustHull(t, "stats", "--no-stream", "--format", "{{.MemUsage}}", "st"); !strings.HasSuffix(strings.TrimSpace(out), "/ 128MiB") {
			t.Errorf("stats after update --memory 128m: %q", out)
		}
	}
	s.mustHull(t, "update", "--restart", "on-failure:3", "st")
	if p := s.mustHull(t, "inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}", "st"); p != "on-failure:3\n" {
		t.Errorf("restart policy after update: %q", p)
	}
	if _, errs, code := s.hull(t, "update", "st"); code == 0 || !strings.Contains(errs, "one or more flags") {
		t.Errorf("update without flags: exit %d, %q", code, errs)
	}
	s.mustHull(t, "rm", "-f", "st")
}

// events lists what changed the store, filtered, in Docker's shapes; lines
// from concurrent commands are never torn.
func TestCLIEvents(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "--rm", "--name", "ev1", "busybox", "true")
	s.mustHull(t, "tag", "busybox", "evtag:1")
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.hull(t, "create", "--name", fmt.Sprintf("evc%d", i), "busybox", "true")
		}()
	}
	wg.Wait()
	got := s.mustHull(t, "events", "--since", "10m", "--until", "0s", "--filter", "container=ev1", "--format", "{{.Type}} {{.Action}}")
	if got != "container create\ncontainer start\ncontainer die\ncontainer destroy\n" {
		t.Errorf("events of ev1: %q", got)
	}
	js := s.mustHull(t, "events", "--since", "10m", "--until", "0s", "--format", "json")
	creates := 0
	for _, line := range lines(js) {
		var e struct {
			Type, Action string
			Actor        struct{ Attributes map[string]string }
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("events --format json: a line is not JSON: %q", line)
		}
		if e.Action == "create" && strings.HasPrefix(e.Actor.Attributes["name"], "evc") {
			creates++
		}
	}
	if creates != 4 {
		t.Errorf("concurrent creates logged %d times, want 4: %s", creates, js)
	}
	if tag := s.mustHull(t, "events", "--since", "10m", "--until", "0s", "--filter", "type=image", "--filter", "event=tag"); !strings.Contains(tag, "image tag") || !strings.Contains(tag, "name=docker.io/library/evtag:1") {
		t.Errorf("image tag event: %q", tag)
	}
	plain := s.mustHull(t, "events", "--since", "10m", "--until", "0s", "--filter", "event=die")
	if !regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\S+ container die [0-9a-f]{64} \(exitCode=0, image=busybox, name=ev1\)$`).MatchString(plain) {
		t.Errorf("events' default line: %q", plain)
	}
	// Following: an event that happens after the command started is shown,
	// and --until ends it. evc1 is started until events shows it (then
	// events follows for sure, however slowly it came up), then evc0.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := s.command(ctx, "events", "--filter", "event=start", "--format", "{{.Actor.Attributes.name}}",
		"--until", fmt.Sprint(time.Now().Add(30*time.Second).Unix()))
	var buf syncBuffer
	cmd.Stdout = &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "events to follow evc1's start", func() bool {
		s.mustHull(t, "start", "evc1")
		return strings.Contains(buf.String(), "evc1\n")
	})
	s.mustHull(t, "start", "evc0")
	if err := cmd.Wait(); err != nil || !strings.Contains(buf.String(), "evc0\n") {
		t.Errorf("events following: %v, %q", err, buf.String())
	}
	if _, errs, code := s.hull(t, "events", "--filter", "bogus=1"); code == 0 || !strings.Contains(errs, "invalid filter 'bogus'") {
		t.Errorf("events with a bad filter: exit %d, %q", code, errs)
	}
}

// search lists the matching repositories of a registry's catalog.
func TestCLISearch(t *testing.T) {
	reg := startRegistry(t)
	s := withBusybox(t)
	for _, r := range []string{"lib/busybox:1", "other/app:1"} {
		s.mustHull(t, "tag", "busybox", reg+"/"+r)
		s.mustHull(t, "push", "-q", reg+"/"+r)
	}
	out := s.mustHull(t, "search", reg+"/bus")
	if !strings.HasPrefix(out, "NAME") || !strings.Contains(out, reg+"/lib/busybox") || strings.Contains(out, "other/app") {
		t.Errorf("search %s/bus: %q", reg, out)
	}
	if out := s.mustHull(t, "search", "--format", "{{.Name}}", reg+"/"); out != reg+"/lib/busybox\n"+reg+"/other/app\n" {
		t.Errorf("search of the whole catalog: %q", out)
	}
	if _, errs, code := s.hull(t, "search", "busybox"); code == 0 || !strings.Contains(errs, "REGISTRY/TERM") {
		t.Errorf("search without a registry: exit %d, %q", code, errs)
	}
}

// completion scripts come from the command tree; aliases and --version
// exist as in Docker.
func TestCLICompletionAliases(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	script := filepath.Join(t.TempDir(), "hull.bash")
	if err := os.WriteFile(script, []byte(s.mustHull(t, "completion", "bash")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "-c", `source "$1"; COMP_WORDS=(hull image pu); COMP_CWORD=2; _hull; echo "${COMPREPLY[@]}"; COMP_WORDS=(hull sta); COMP_CWORD=1; _hull; echo "${COMPREPLY[@]}"`, "bash", script).Output()
	if err != nil || string(out) != "pull push\nstart stats\n" {
		t.Errorf("bash completion: %v, %q", err, out)
	}
	if fish := s.mustHull(t, "completion", "fish"); !strings.Contains(fish, "complete -c hull -n '__fish_seen_subcommand_from image' -a pull") {
		t.Errorf("fish completion lacks image pull: %q", fish[:min(len(fish), 300)])
	}
	if zsh := s.mustHull(t, "completion", "zsh"); !strings.Contains(zsh, "bashcompinit") {
		t.Errorf("zsh completion: %q", zsh[:min(len(zsh), 200)])
	}
	for _, args := range [][]string{{"image", "pull", "--help"}, {"image", "push", "--help"}, {"image", "load", "--help"},
		{"image", "build", "--help"}, {"container", "stats", "--no-stream"}, {"container", "port", "--help"}, {"container", "export", "--help"}} {
		s.mustHull(t, args...)
	}
	saved := filepath.Join(t.TempDir(), "b.tar")
	os.Chmod(filepath.Dir(saved), 0o777)
	s.mustHull(t, "image", "save", "-o", saved, "busybox")
	if out := s.mustHull(t, "image", "load", "-i", saved); !strings.Contains(out, "busybox:latest") {
		t.Errorf("image load: %q", out)
	}
}

// rmi of an image a container uses names the container, as Docker.
func TestCLIRmiNamesContainer(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "--name", "user", "busybox", "true")
	short := strings.TrimSpace(s.mustHull(t, "ps", "-aq"))
	img := strings.TrimSpace(s.mustHull(t, "images", "-q"))
	_, errs, code := s.hull(t, "rmi", "busybox")
	if code == 0 || !strings.Contains(errs, "container "+short+" is using its referenced image "+img) {
		t.Errorf("rmi busybox: exit %d, %q", code, errs)
	}
	_, errs, code = s.hull(t, "rmi", img)
	if code == 0 || !strings.Contains(errs, "image is being used by stopped container "+short) {
		t.Errorf("rmi %s: exit %d, %q", img, code, errs)
	}
	oneLineError(t, errs)
}
