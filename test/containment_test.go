package test

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// homeCanary is a directory in the test user's home with one secret file: a
// hostile image aims at it, and it must stay unread and untouched.
type homeCanary struct {
	dir, file, secret string
	mtime             time.Time
}

func newHomeCanary(t *testing.T) *homeCanary {
	t.Helper()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(home, "hull-canary-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = removeTree(dir) })
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	c := &homeCanary{dir: dir, file: filepath.Join(dir, "secret"), secret: "CANARY-" + hex.EncodeToString(b)}
	// A subdirectory named like the kernel trees hull binds read-only
	// (/proc/sys), holding the secret too: an image whose /proc leads
	// here must not get it bound into the container.
	if err := os.Mkdir(filepath.Join(dir, "sys"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{c.file, filepath.Join(dir, "sys", "secret")} {
		if err := os.WriteFile(f, []byte(c.secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(c.file)
	if err != nil {
		t.Fatal(err)
	}
	c.mtime = st.ModTime()
	return c
}

// check fails t if the canary changed, its directory gained anything, or
// one of outputs shows the secret.
func (c *homeCanary) check(t *testing.T, outputs ...string) {
	t.Helper()
	body, err := os.ReadFile(c.file)
	if err != nil || string(body) != c.secret+"\n" {
		t.Errorf("canary %s changed: %q %v", c.file, body, err)
	}
	if st, err := os.Stat(c.file); err != nil || !st.ModTime().Equal(c.mtime) {
		t.Errorf("canary %s was modified (%v)", c.file, err)
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil || len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("canary dir %s gained entries: %v %v", c.dir, names, err)
	}
	for _, o := range outputs {
		if strings.Contains(o, c.secret) {
			t.Errorf("the canary's secret leaked into output: %q", o)
		}
	}
}

// hostileImage imports the busybox image changed by edit as name.
func hostileImage(t *testing.T, s *store, name string, edit func([]tarEntry) []tarEntry) {
	t.Helper()
	entries, err := busyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	s.mustHull(t, "import", makeTar(t, edit(entries)...), name)
}

// without drops the entries named names.
func without(entries []tarEntry, names ...string) []tarEntry {
	var out []tarEntry
	for _, e := range entries {
		drop := false
		for _, n := range names {
			drop = drop || strings.TrimSuffix(e.Name, "/") == strings.TrimSuffix(n, "/")
		}
		if !drop {
			out = append(out, e)
		}
	}
	return out
}

// dirsOf is a directory entry for target and each of its parents.
func dirsOf(target string) []tarEntry {
	var out []tarEntry
	parts := strings.Split(strings.Trim(target, "/"), "/")
	for i := range parts {
		out = append(out, tarEntry{Name: strings.Join(parts[:i+1], "/") + "/", Type: tar.TypeDir})
	}
	return out
}

func symlink(name, target string) tarEntry {
	return tarEntry{Name: name, Type: tar.TypeSymlink, Linkname: target, Mode: 0o777}
}

// An image whose /proc, /sys or /dev is a symlink (to a directory of its
// own, or to a host path) is refused by run and by a build's RUN step: the
// kernel file systems and their masks must never land elsewhere, and no
// host path may be bound through the image's links.
func TestHostileKernelMountPoints(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	c := newHomeCanary(t)
	for _, mp := range []string{"proc", "sys", "dev"} {
		for _, target := range []string{"/real" + mp, c.dir} {
			name := "bad-" + mp + strings.ReplaceAll(strings.ToLower(filepath.Base(target)), "_", "-")
			hostileImage(t, s, name, func(e []tarEntry) []tarEntry {
				e = without(e, mp, "home")
				// The link's target exists inside the image too, so that
				// only a host-side lookup through the link differs.
				return append(e, append(dirsOf(target), symlink(mp, target))...)
			})
			out, errs, code := s.hull(t, "run", "--rm", name, "sh", "-c", "cat /proc/keys /proc/sys/secret /proc/self/mountinfo; ls -la /; echo x > /dev/shm/x; cat "+c.file)
			if code != 125 {
				t.Errorf("%s -> %s: run exit %d, want 125 (refused)\n%s%s", mp, target, code, out, errs)
			}
			if !strings.Contains(errs, "/"+mp) || !strings.Contains(errs, "symlink") {
				t.Errorf("%s -> %s: error does not name the symlink: %q", mp, target, errs)
			}
			oneLineError(t, errs)
			c.check(t, out, errs)
		}
	}
	// The same image in a build: the RUN step is refused too.
	ctx := t.TempDir()
	writeIn(t, ctx, "Dockerfile", "FROM bad-proc"+strings.ToLower(filepath.Base(c.dir))+"\nRUN cat /proc/keys; cat "+c.file+"\n")
	out, errs, code := s.hull(t, "build", "-t", "x", ctx)
	if code == 0 || !strings.Contains(errs, "/proc") {
		t.Errorf("build RUN on an image whose /proc is a symlink: exit %d, stderr %q", code, errs)
	}
	c.check(t, out, errs)
}

// Symlinks at every other path hull mounts over (the /etc files, volume
// and tmpfs targets, the working directory) are followed inside the
// container's root only: the container works, and the host path the links
// name is untouched.
func TestHostileMountTargets(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	c := newHomeCanary(t)
	rel := "../../../../../../.." + c.file
	hostileImage(t, s, "links", func(e []tarEntry) []tarEntry {
		return append(e,
			symlink("etc/hosts", c.file), symlink("etc/resolv.conf", rel+"-resolv"), symlink("etc/hostname", c.dir+"/hostname"),
			symlink("data", c.dir+"/data"), symlink("scratch", c.dir+"/scratch"), symlink("work", c.dir+"/work"))
	})
	vol := t.TempDir()
	if err := os.Chmod(vol, 0o777); err != nil {
		t.Fatal(err)
	}
	out := s.mustHull(t, "run", "--rm", "-v", vol+":/data", "--tmpfs", "/scratch", "-w", "/work", "links", "sh", "-c",
		`cat /etc/hosts /etc/resolv.conf /etc/hostname; echo hi > /data/written && echo hi > /scratch/written && echo hi > written && ls -la /data /scratch . && echo ok`)
	if !strings.Contains(out, "localhost") || !strings.Contains(out, "nameserver") || !strings.Contains(out, "\nok\n") {
		t.Errorf("container did not get hull's /etc files or could not write its mounts:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(vol, "written")); err != nil {
		t.Errorf("the volume did not get the container's write: %v", err)
	}
	c.check(t, out)
	// The image's files stay as the image made them after the run.
	out = s.mustHull(t, "run", "--rm", "links", "sh", "-c", "readlink /etc/hosts; readlink /data")
	c.check(t, out)
}

// A read-only bind is read-only all the way down: the host's cgroup
// hierarchies are mounts below /sys/fs/cgroup, and the user's delegated
// cgroup directory is writable outside.
func TestReadonlyIsRecursive(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir := writableCgroupDir(t)
	rel, err := filepath.Rel("/sys/fs/cgroup", dir)
	if err != nil {
		t.Fatal(err)
	}
	probe := "hull-ro-probe-" + filepath.Base(t.TempDir())
	cases := map[string][]string{
		"volume ro":    {"run", "--rm", "--network", "none", "-v", "/sys/fs/cgroup:/cg:ro", "busybox", "mkdir", "/cg/" + rel + "/" + probe},
		"host network": {"run", "--rm", "--network", "host", "busybox", "mkdir", "/sys/fs/cgroup/" + rel + "/" + probe},
	}
	for name, args := range cases {
		out, errs, code := s.hull(t, args...)
		if code == 0 || !strings.Contains(errs+out, "Read-only file system") {
			t.Errorf("%s: mkdir in a submount of a read-only mount: exit %d, %q", name, code, out+errs)
		}
		if _, err := os.Stat(filepath.Join(dir, probe)); err == nil {
			t.Errorf("%s: the container created %s on the host", name, filepath.Join(dir, probe))
			_ = os.Remove(filepath.Join(dir, probe))
		}
	}
}

// writableCgroupDir is a cgroup v1 directory the test user may write (make
// setup delegates one per controller), proven writable from outside.
func writableCgroupDir(t *testing.T) string {
	t.Helper()
	for _, c := range []string{"memory", "pids", "cpu"} {
		d := filepath.Join("/sys/fs/cgroup", c, "hull-"+strconv.Itoa(os.Getuid()))
		probe := filepath.Join(d, "hull-writable-check")
		if err := os.Mkdir(probe, 0o755); err == nil {
			_ = os.Remove(probe)
			return d
		}
	}
	t.Fatalf("no writable cgroup v1 directory below /sys/fs/cgroup (make setup delegates one): nothing to check")
	return ""
}

// Without -t no container process keeps the user's terminal: run, run -i,
// exec and a build's RUN step start in a session of their own, have no
// controlling terminal, and cannot push input into the user's terminal
// with TIOCSTI. hull runs on a real pty here, as a user at a terminal.
func TestNoTerminalHijack(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	tool, err := os.ReadFile(filepath.Join(pluginBuildDir(t), "tiocsti"))
	if err != nil {
		t.Fatal(err)
	}
	hostileImage(t, s, "tiocsti", func(e []tarEntry) []tarEntry {
		return append(e, tarEntry{Name: "tiocsti", Mode: 0o755, Body: tool})
	})
	pwned := filepath.Join(t.TempDir(), "pwned")
	payload := "touch " + pwned
	check := func(what, out string) {
		t.Helper()
		if strings.Contains(out, "INJECTED") {
			t.Errorf("%s: the container pushed input into the user's terminal:\n%s", what, out)
		}
		if !strings.Contains(out, "controlling tty: none") {
			t.Errorf("%s: the container has a controlling terminal (or the tool did not run):\n%s", what, out)
		}
		if strings.Count(out, "refused") < 4 {
			t.Errorf("%s: not every attempt was reported refused:\n%s", what, out)
		}
	}
	for _, args := range [][]string{{"run", "--rm", "tiocsti", "/tiocsti", payload}, {"run", "--rm", "-i", "tiocsti", "/tiocsti", payload}} {
		p := startPty(t, s, 24, 80, args...)
		out, code := p.wait()
		if code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		check(strings.Join(args[:len(args)-2], " "), out)
	}
	id := strings.TrimSpace(s.mustHull(t, "run", "-d", "tiocsti", "sleep", "60"))
	t.Cleanup(func() { s.hull(t, "rm", "-f", id) })
	p := startPty(t, s, 24, 80, "exec", id, "/tiocsti", payload)
	out, code := p.wait()
	if code != 0 {
		t.Errorf("exec: exit %d", code)
	}
	check("exec", out)
	ctx := t.TempDir()
	writeIn(t, ctx, "Dockerfile", "FROM tiocsti\nRUN /tiocsti '"+payload+"'\n")
	p = startPty(t, s, 24, 80, "build", "--progress", "plain", "--no-cache", "-t", "x", ctx)
	out, code = p.wait()
	if code != 0 {
		t.Errorf("build: exit %d", code)
	}
	check("build RUN", out)
	time.Sleep(200 * time.Millisecond)
	if _, err := os.Stat(pwned); err == nil {
		t.Errorf("the injected command ran: %s exists", pwned)
	}
}

// The init that hull caches in its runtime directory is checked before it
// runs: a copy changed behind hull's back is replaced, never executed.
func TestCachedInitIsVerified(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	run := t.TempDir()
	s.env = append(s.env, "XDG_RUNTIME_DIR="+run)
	s.mustHull(t, "run", "--rm", "busybox", "true")
	var cached []string
	_ = filepath.Walk(run, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasPrefix(fi.Name(), ".hull-init-") {
			cached = append(cached, p)
		}
		return nil
	})
	if len(cached) == 0 {
		t.Fatalf("no cached init under %s: hull was built without the embedded init (make build)", run)
	}
	marker := filepath.Join(t.TempDir(), "hijacked")
	for _, p := range cached {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		// Same size, same mode: only the content tells it apart.
		script := "#!/bin/sh\ntouch " + marker + "\nexit 0\n#"
		body := script + strings.Repeat("x", int(st.Size())-len(script))
		if err := os.Chmod(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, st.Mode()); err != nil {
			t.Fatal(err)
		}
	}
	out := s.mustHull(t, "run", "--rm", "busybox", "echo", "still-hull")
	if !strings.Contains(out, "still-hull") {
		t.Errorf("run after tampering printed %q", out)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("hull executed the tampered init copy")
	}
}

// writeIn writes content to dir/name.
func writeIn(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The caller's regular files on stdio are relayed, not handed over: a
// container (or an exec'd process) that reopens /proc/self/fd/N with
// another mode must not truncate a file opened for appending, nor write
// into one opened for reading.
func TestStdioFilesNotHandedOver(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	c := newHomeCanary(t)
	log := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(log, []byte("PRIOR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		out, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		in, err := os.Open(c.file)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
		defer cancel()
		cmd := s.command(ctx, args...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, out
		err = cmd.Run()
		out.Close()
		t.Logf("hull %s -> %v", quote(args), err)
	}
	script := `echo TRUNCATED > /proc/self/fd/1; echo OVER > /proc/self/fd/0; echo done`
	run("run", "--rm", "-i", "busybox", "sh", "-c", script)
	id := strings.TrimSpace(s.mustHull(t, "run", "-d", "busybox", "sleep", "60"))
	t.Cleanup(func() { s.hull(t, "rm", "-f", id) })
	run("exec", "-i", id, "sh", "-c", script)
	body, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(body), "PRIOR\n") || strings.Count(string(body), "done") != 2 {
		t.Errorf("the container truncated or rewrote the caller's stdout file: %q", body)
	}
	c.check(t, string(body))
}

// An OCI layout directory is read inside itself: a symlinked index.json or
// blobs directory is refused, never followed to a host file.
func TestLoadLayoutDirSymlinks(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	c := newHomeCanary(t)
	for name, link := range map[string][2]string{
		"index": {"index.json", c.file},
		"blobs": {"blobs/sha256", c.dir},
	} {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o755); err != nil {
			t.Fatal(err)
		}
		writeIn(t, dir, "oci-layout", `{"imageLayoutVersion":"1.0.0"}`)
		if link[0] != "index.json" {
			writeIn(t, dir, "index.json", `{"schemaVersion":2,"manifests":[]}`)
		}
		if err := os.Symlink(link[1], filepath.Join(dir, link[0])); err != nil {
			t.Fatal(err)
		}
		out, errs, code := s.hull(t, "load", "-i", dir)
		if code != 125 || !strings.Contains(errs, "symlink") {
			t.Errorf("load of a layout whose %s is a symlink: exit %d, %q", link[0], code, errs)
		}
		oneLineError(t, errs)
		c.check(t, out, errs)
	}
}
