package test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// containerJSON is the part of Docker's container inspect output the tests
// read.
type containerJSON struct {
	Id    string
	Name  string
	Image string
	State struct {
		Status   string
		Running  bool
		ExitCode int
		Pid      int
	}
	Config struct {
		Cmd        []string
		Entrypoint []string
		Env        []string
		Hostname   string
		User       string
		WorkingDir string
		Labels     map[string]string
		Tty        bool
	}
	HostConfig struct {
		NetworkMode string
		AutoRemove  bool
		Init        bool
	}
}

func TestContainerInspect(t *testing.T) {
	t.Parallel()
	s := withConfigured(t)
	if _, _, code := s.hull(t, "run", "--name", "c1", "-e", "X=1", "-u", "0", "-w", "/tmp", "--network", "host", "--init",
		"busybox", "sh", "-c", "exit 3"); code != 3 {
		t.Fatalf("run exited %d, want 3", code)
	}
	out := s.mustHull(t, "inspect", "c1")
	var cs []containerJSON
	if err := json.Unmarshal([]byte(out), &cs); err != nil || len(cs) != 1 {
		t.Fatalf("inspect is not a JSON array of one container (%v):\n%s", err, out)
	}
	c := cs[0]
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(c.Id) || c.Name != "/c1" || !fullIDRe.MatchString(c.Image) {
		t.Errorf("Id %q Name %q Image %q", c.Id, c.Name, c.Image)
	}
	if c.State.Status != "exited" || c.State.Running || c.State.ExitCode != 3 {
		t.Errorf("State %+v, want exited, not running, code 3", c.State)
	}
	if !slices.Equal(c.Config.Cmd, []string{"sh", "-c", "exit 3"}) || !slices.Contains(c.Config.Env, "X=1") ||
		c.Config.User != "0" || c.Config.WorkingDir != "/tmp" || c.Config.Hostname != hostHostname(t) {
		t.Errorf("Config %+v", c.Config)
	}
	if c.HostConfig.NetworkMode != "host" || !c.HostConfig.Init {
		t.Errorf("HostConfig %+v", c.HostConfig)
	}
	formats := map[string]string{
		"{{.State.Status}}":    "exited",
		"{{.State.ExitCode}}":  "3",
		"{{.State.Running}}":   "false",
		"{{.Config.Cmd}}":      "[sh -c exit 3]",
		"{{.Name}}":            "/c1",
		"{{.Id}}":              c.Id,
		"{{json .Config.Cmd}}": `["sh","-c","exit 3"]`,
	}
	for f, want := range formats {
		if got := strings.TrimSpace(s.mustHull(t, "inspect", "--format", f, "c1")); got != want {
			t.Errorf("inspect --format %s: %q, want %q", f, got, want)
		}
	}
	// By short id, and through `container inspect`.
	if got := strings.TrimSpace(s.mustHull(t, "container", "inspect", "-f", "{{.Name}}", c.Id[:12])); got != "/c1" {
		t.Errorf("container inspect by short id: %q", got)
	}
	// The image's config is merged into the container's, as Docker does.
	s.mustHull(t, "run", "--name", "c2", "cfg")
	if got := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.Config.Env}} {{.Config.Entrypoint}} {{.Config.User}} {{.Config.WorkingDir}}", "c2")); got != "[FOO=bar GREETING=hello] [/bin/sh -c] user1 /srv/app" {
		t.Errorf("c2 config: %q", got)
	}
	if got := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{index .Config.Labels \"org.example.a\"}}", "c2")); got != "b" {
		t.Errorf("c2 label from the image: %q", got)
	}
}

// hostHostname is the host's name, which a container on the host network
// gets, as in Docker.
func hostHostname(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// startRunning starts a container named name that sleeps, and waits until
// ps shows it running. The returned func waits for hull and gives its exit
// code.
func startRunning(t *testing.T, s *store, name string) func() int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	cmd := s.command(ctx, "run", "--name", name, "busybox", "sleep", "60")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if out, _, _ := s.hull(t, "ps", "--format", "{{.Names}}"); slices.Contains(lines(out), name) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return func() int {
		defer cancel()
		return exitCode(cmd.Wait())
	}
}

func TestPsAndRm(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "--name", "done", "busybox", "true")
	wait := startRunning(t, s, "live")

	liveID := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.Id}}", "live"))
	doneID := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.Id}}", "done"))
	if got := lines(s.mustHull(t, "ps", "-q")); !slices.Equal(got, []string{liveID[:12]}) {
		t.Errorf("ps -q: %q, want only the running %s", got, liveID[:12])
	}
	all := lines(s.mustHull(t, "ps", "-a", "-q", "--no-trunc"))
	slices.Sort(all)
	want := []string{liveID, doneID}
	slices.Sort(want)
	if !slices.Equal(all, want) {
		t.Errorf("ps -a -q --no-trunc: %q, want %q", all, want)
	}
	if got := lines(s.mustHull(t, "ps", "--format", "{{.Names}} {{.State}} {{.Command}}")); !slices.Equal(got, []string{`live running "sleep 60"`}) {
		t.Errorf("ps --format: %q", got)
	}
	st := s.mustHull(t, "inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Pid}}", "live")
	if f := strings.Fields(st); len(f) != 3 || f[0] != "running" || f[1] != "true" || f[2] == "0" {
		t.Errorf("running container state: %q", st)
	}
	if ps := s.mustHull(t, "ps"); !strings.Contains(psRow(ps, "live"), "Up ") {
		t.Errorf("ps does not show live as Up:\n%s", ps)
	}

	// rm refuses a running container; rm -f kills it and hull run
	// reports the kill.
	if _, errs, code := s.hull(t, "rm", "live"); code == 0 {
		t.Errorf("rm of a running container succeeded")
	} else {
		oneLineError(t, errs)
	}
	if out := s.mustHull(t, "rm", "-f", "live"); out != "live\n" {
		t.Errorf("rm -f printed %q, want the name", out)
	}
	if code := wait(); code != 137 {
		t.Errorf("hull run of a container removed with rm -f exited %d, want 137", code)
	}
	if got := lines(s.mustHull(t, "ps", "-a", "--format", "{{.Names}}")); !slices.Equal(got, []string{"done"}) {
		t.Errorf("after rm -f live, ps -a: %q", got)
	}
	if ents, err := os.ReadDir(s.root + "/containers"); err != nil || len(ents) != 1 {
		t.Errorf("containers dir after rm -f: %d entries (%v), want 1", len(ents), err)
	}
	s.mustHull(t, "rm", doneID[:12])
	if out := s.mustHull(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("ps -a -q after removing all: %q", out)
	}
}

func TestInfoAndVersion(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	info := s.mustHull(t, "info")
	for _, want := range []string{s.root, "subuid", "overlay", "Kernel", "Seccomp", "Images:           1"} {
		if !strings.Contains(info, want) {
			t.Errorf("info lacks %q:\n%s", want, info)
		}
	}
	if r := subRange("/etc/subuid"); r != "" {
		start := strings.Split(r, ",")[0]
		if !strings.Contains(info, "1->"+start) {
			t.Errorf("info does not show the subuid range starting at %s:\n%s", start, info)
		}
	}
	formats := map[string]string{
		"{{.IDMapping}}": "subuid",
		"{{.Root}}":      s.root,
		"{{.Images}}":    "1",
	}
	for f, want := range formats {
		if got := strings.TrimSpace(s.mustHull(t, "info", "--format", f)); got != want {
			t.Errorf("info --format %s: %q, want %q", f, got, want)
		}
	}
	if got := strings.TrimSpace(s.mustHull(t, "info", "--format", "{{.RootfsDriver}}")); got == "" {
		t.Errorf("info reports no rootfs driver")
	}
	v := s.mustHull(t, "version")
	if !strings.Contains(v, "Version:") || !strings.Contains(v, "linux/") {
		t.Errorf("version:\n%s", v)
	}
	if got := strings.TrimSpace(s.mustHull(t, "version", "--format", "{{.Client.Os}}")); got != "linux" {
		t.Errorf("version --format {{.Client.Os}}: %q", got)
	}
	if got := strings.TrimSpace(s.mustHull(t, "version", "--format", "{{.Client.Version}}")); got == "" {
		t.Errorf("version --format {{.Client.Version}} is empty")
	}
}

// HULL_SINGLE_MAPPING=1 gives the mapping of a user without a subuid range:
// container root is the user, and no other id exists.
func TestSingleMapping(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	s.env = []string{"HULL_SINGLE_MAPPING=1"}
	s.mustHull(t, "import", busyboxTar, "busybox")
	if got := strings.TrimSpace(s.mustHull(t, "info", "--format", "{{.IDMapping}}")); got != "single" {
		t.Errorf("info IDMapping %q, want single", got)
	}
	dir := t.TempDir()
	out := s.mustHull(t, "run", "--rm", "-v", dir+":/data", "busybox", "sh", "-c", "id -u; cat /proc/self/uid_map; touch /data/f")
	l := lines(out)
	if len(l) != 2 || l[0] != "0" || strings.Join(strings.Fields(l[1]), " ") != "0 "+strconv.Itoa(os.Getuid())+" 1" {
		t.Errorf("single mapping: %q, want uid 0 and one uid_map line 0 %d 1", out, os.Getuid())
	}
	assertOwnedByUs(t, dir+"/f")
	_, errs, code := s.hull(t, "run", "--rm", "-u", "1000", "busybox", "id")
	if code != 125 || !strings.Contains(errs, "1000") {
		t.Errorf("-u 1000 with a single mapping: exit %d, stderr %q; want 125 naming the uid", code, errs)
	}
	oneLineError(t, errs)
	// Files of other owners in the image are the user's (root) here.
	if got := s.mustHull(t, "run", "--rm", "busybox", "stat", "-c", "%u", "/home/user1"); got != "0\n" {
		t.Errorf("/home/user1 owned by %q in single mapping, want 0", got)
	}
}

// With the subuid range the whole range is mapped from container uid 1.
func TestFullMapping(t *testing.T) {
	t.Parallel()
	r := subRange("/etc/subuid")
	if r == "" {
		t.Fatalf("the test user has no /etc/subuid range (make setup creates one)")
	}
	p := strings.Split(r, ",")
	s := withBusybox(t)
	out := s.mustHull(t, "run", "--rm", "busybox", "cat", "/proc/self/uid_map")
	want := []string{"0 " + strconv.Itoa(os.Getuid()) + " 1", "1 " + p[0] + " " + p[2]}
	var got []string
	for _, l := range lines(out) {
		got = append(got, strings.Join(strings.Fields(l), " "))
	}
	if !slices.Equal(got, want) {
		t.Errorf("uid_map %q, want %q", got, want)
	}
	// Image files keep their owners.
	if got := s.mustHull(t, "run", "--rm", "busybox", "stat", "-c", "%u:%g", "/home/user1"); got != "1000:1000\n" {
		t.Errorf("/home/user1 owned by %q, want 1000:1000", got)
	}
}
