package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The devices tests run without any real accelerator: host nodes the test
// user may open (/dev/null, /dev/zero) stand in for devices, under other
// names, and a CDI spec in a temporary directory exposes them.

// TestDevicesNode covers --device HOST[:CONTAINER][:rwm]: the node is
// there, is the host's, and is usable; a missing or unopenable node is a
// one-line error before anything is created.
func TestDevicesNode(t *testing.T) {
	s := withBusybox(t)
	out := s.mustHull(t, "run", "--rm", "--device", "/dev/null:/dev/hull-null", "--device", "/dev/zero:/dev/hull-zero:r",
		"busybox", "sh", "-c", "ls -l /dev/hull-null /dev/hull-zero; echo x > /dev/hull-null && head -c 3 /dev/hull-zero | od -An -tx1")
	if !strings.Contains(out, "1,   3") || !strings.Contains(out, "1,   5") || !strings.Contains(out, "00 00 00") {
		t.Errorf("device nodes in the container:\n%s\nwant /dev/hull-null as 1,3 and /dev/hull-zero as 1,5, readable", out)
	}
	for _, tc := range []struct{ dev, want string }{
		{"/dev/hull-no-such-node", "device /dev/hull-no-such-node: no such device on this host"},
		{"/etc/passwd", "device /etc/passwd: not a device node"},
		{"dev/null", "not an absolute path"},
	} {
		_, errs, code := s.hull(t, "run", "--rm", "--name", "devfail", "--device", tc.dev, "busybox", "true")
		if code != 125 || !strings.Contains(errs, tc.want) {
			t.Errorf("--device %s: exit %d, stderr %q; want 125 and %q", tc.dev, code, errs, tc.want)
		}
		oneLineError(t, errs)
	}
	if out := s.mustHull(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("refused --device runs left containers behind: %q", out)
	}
	// A node the test user cannot open: a root-only character device.
	var closed string
	for _, c := range []string{"/dev/cpu_dma_latency", "/dev/vcs", "/dev/mem", "/dev/port"} {
		var st unix.Stat_t
		if unix.Stat(c, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR && unix.Access(c, unix.R_OK|unix.W_OK) != nil {
			closed = c
			break
		}
	}
	if closed == "" {
		t.Log("no root-only character device on this host: the unopenable-node case is not checked")
		return
	}
	_, errs, code := s.hull(t, "run", "--rm", "--device", closed, "busybox", "true")
	if code != 125 || !strings.Contains(errs, "cannot open it") || !strings.Contains(errs, closed) {
		t.Errorf("--device %s (not openable by the test user): exit %d, stderr %q; want 125 naming it", closed, code, errs)
	}
	oneLineError(t, errs)
}

// TestDevicesFuse: --device /dev/fuse works where the user may open it
// (CI makes it 0666), and is a clear refusal where not.
func TestDevicesFuse(t *testing.T) {
	s := withBusybox(t)
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("no /dev/fuse on this host")
	}
	out, errs, code := s.hull(t, "run", "--rm", "--device", "/dev/fuse", "busybox", "sh", "-c", "test -c /dev/fuse && echo fuse-ok")
	if unix.Access("/dev/fuse", unix.R_OK|unix.W_OK) == nil {
		if code != 0 || strings.TrimSpace(out) != "fuse-ok" {
			t.Errorf("--device /dev/fuse (openable): exit %d, out %q, err %q", code, out, errs)
		}
		return
	}
	if code != 125 || !strings.Contains(errs, "/dev/fuse") || !strings.Contains(errs, "cannot open it") {
		t.Errorf("--device /dev/fuse (not openable): exit %d, err %q; want 125 naming it", code, errs)
	}
	oneLineError(t, errs)
}

// fakeCDI writes a CDI spec exposing /dev/null as /dev/fake0, a library
// directory mounted at /opt/fakelib and an environment variable; device
// "hooked" has a hook that would write canary if anything ran it.
func fakeCDI(t *testing.T, dir, canary string) (specDir, lib string) {
	t.Helper()
	lib = filepath.Join(t.TempDir(), "lib")
	hook := filepath.Join(t.TempDir(), "hook.sh")
	for p, data := range map[string]string{
		filepath.Join(lib, "libfake.so.1"): "fake library\n",
		hook:                               "#!/bin/sh\necho ran > " + canary + "\n",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	spec := fmt.Sprintf(`cdiVersion: "0.7.0"
kind: hulltest.example.com/fake
devices:
- name: nulldev
  containerEdits:
    deviceNodes:
    - path: /dev/fake0
      hostPath: /dev/null
    mounts:
    - hostPath: %s
      containerPath: /opt/fakelib
      options: [nosuid, bind]
    env: [FAKE_CDI=null-device]
- name: hooked
  containerEdits:
    deviceNodes:
    - path: /dev/fake1
      hostPath: /dev/zero
    hooks:
    - hookName: createContainer
      path: %s
      args: [hook.sh, touch-canary]
    - hookName: prestart
      path: %s
- name: missing
  containerEdits:
    deviceNodes:
    - path: /dev/fake2
      hostPath: /dev/hull-no-such-node
`, lib, hook, hook)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fake.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, lib
}

// TestDevicesCDI: a CDI device's nodes are there, its mounts read-only,
// its env set; hooks are not run but named in a warning; unknown names
// and missing nodes are one-line errors.
func TestDevicesCDI(t *testing.T) {
	s := withBusybox(t)
	canary := filepath.Join(t.TempDir(), "hook-ran")
	dir, lib := fakeCDI(t, filepath.Join(t.TempDir(), "cdi"), canary)
	out, errs, code := s.hull(t, "run", "--rm", "--cdi-spec-dir", dir, "--device", "hulltest.example.com/fake=nulldev", "busybox", "sh", "-c",
		`ls -l /dev/fake0; echo "env=$FAKE_CDI"; cat /opt/fakelib/libfake.so.1; if echo x > /opt/fakelib/new 2>/dev/null; then echo WRITABLE; else echo read-only; fi`)
	if code != 0 {
		t.Fatalf("run with a CDI device: exit %d: %s", code, errs)
	}
	for _, want := range []string{"1,   3", "env=null-device", "fake library", "read-only"} {
		if !strings.Contains(out, want) {
			t.Errorf("run with a CDI device printed:\n%s\nwant %q in it", out, want)
		}
	}
	if strings.Contains(out, "WRITABLE") {
		t.Error("a CDI mount without rw is writable in the container")
	}
	if _, err := os.Stat(filepath.Join(lib, "new")); err == nil {
		t.Error("the container wrote into the host directory of a CDI mount")
	}

	out, errs, code = s.hull(t, "run", "--rm", "--cdi-spec-dir", dir, "--device", "hulltest.example.com/fake=hooked", "busybox", "sh", "-c", "test -c /dev/fake1 && echo node-ok")
	if code != 0 || strings.TrimSpace(out) != "node-ok" {
		t.Errorf("run with a hooked CDI device: exit %d, out %q, err %q", code, out, errs)
	}
	if !strings.Contains(errs, "warning: CDI device hulltest.example.com/fake=hooked: createContainer hook") ||
		!strings.Contains(errs, "prestart hook") || !strings.Contains(errs, "not run") {
		t.Errorf("hooks of a CDI device: stderr %q; want a warning naming each hook and the device", errs)
	}
	if _, err := os.Stat(canary); err == nil {
		t.Error("a CDI hook ran")
	}

	for _, tc := range []struct{ dev, want string }{
		{"hulltest.example.com/fake=nope", "CDI device hulltest.example.com/fake=nope: unknown"},
		{"hulltest.example.com/fake=missing", "device /dev/hull-no-such-node: no such device"},
	} {
		_, errs, code := s.hull(t, "run", "--rm", "--cdi-spec-dir", dir, "--device", tc.dev, "busybox", "true")
		if code != 125 || !strings.Contains(errs, tc.want) {
			t.Errorf("--device %s: exit %d, stderr %q; want 125 and %q", tc.dev, code, errs, tc.want)
		}
		oneLineError(t, errs)
	}

	// The user's own spec directory, and hull info listing its devices.
	cfg := t.TempDir()
	fakeCDI(t, filepath.Join(cfg, "cdi"), canary)
	s.env = append(s.env, "XDG_CONFIG_HOME="+cfg)
	out = s.mustHull(t, "run", "--rm", "--device", "hulltest.example.com/fake=nulldev", "busybox", "sh", "-c", "echo $FAKE_CDI")
	if strings.TrimSpace(out) != "null-device" {
		t.Errorf("CDI device from $XDG_CONFIG_HOME/cdi: %q", out)
	}
	info := s.mustHull(t, "info")
	if !strings.Contains(info, "hulltest.example.com/fake=nulldev") || !strings.Contains(info, filepath.Join(cfg, "cdi")) {
		t.Errorf("hull info does not list the user's CDI devices:\n%s", info)
	}
}

// TestDevicesGroupAdd: --group-add adds groups; keep-groups keeps the
// caller's (its primary group is the container's 0), alone.
func TestDevicesGroupAdd(t *testing.T) {
	s := withBusybox(t)
	if got := strings.Fields(s.mustHull(t, "run", "--rm", "--group-add", "44", "busybox", "id", "-G")); len(got) < 2 || got[len(got)-1] != "44" {
		t.Errorf("--group-add 44: id -G = %v", got)
	}
	plain := strings.TrimSpace(s.mustHull(t, "run", "--rm", "-u", "1000", "busybox", "id", "-G"))
	kept := strings.TrimSpace(s.mustHull(t, "run", "--rm", "-u", "1000", "--group-add", "keep-groups", "busybox", "id", "-G"))
	if plain != "1000" || kept != "1000 0" {
		t.Errorf("id -G as 1000: %q without keep-groups (want 1000), %q with it (want 1000 0: the caller's group)", plain, kept)
	}
	// exec into a keep-groups container keeps them too.
	s.mustHull(t, "run", "-d", "--name", "kg", "-u", "1000", "--group-add", "keep-groups", "busybox", "sleep", "60")
	if got := strings.TrimSpace(s.mustHull(t, "exec", "kg", "id", "-G")); got != "1000 0" {
		t.Errorf("exec into a keep-groups container: id -G = %q, want 1000 0", got)
	}
	s.mustHull(t, "rm", "-f", "kg")
	_, errs, code := s.hull(t, "run", "--rm", "--group-add", "keep-groups", "--group-add", "44", "busybox", "true")
	if code != 125 || !strings.Contains(errs, "keep-groups cannot be combined") {
		t.Errorf("keep-groups with another group: exit %d, %q", code, errs)
	}
	oneLineError(t, errs)
	_, errs, code = s.hull(t, "run", "--rm", "--group-add", "no-such-group", "busybox", "true")
	if code != 125 || !strings.Contains(errs, "--group-add no-such-group") {
		t.Errorf("unknown group: exit %d, %q", code, errs)
	}
}

// TestDevicesBuild: build --device needs --allow device, then every RUN
// step has the node.
func TestDevicesBuild(t *testing.T) {
	s := withBusybox(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN test -c /dev/hull-null && echo x > /dev/hull-null && echo ok > /built\n"})
	_, errs, code := s.build(t, "--device", "/dev/null:/dev/hull-null", "-t", "devbuild", ctx)
	if code == 0 || !strings.Contains(errs, "--allow device") {
		t.Errorf("build --device without --allow device: exit %d, %q", code, errs)
	}
	if _, errs, code := s.build(t, "--allow", "device", "--device", "/dev/null:/dev/hull-null", "-t", "devbuild", ctx); code != 0 {
		t.Fatalf("build --allow device --device: exit %d: %s", code, errs)
	}
	if out := s.mustHull(t, "run", "--rm", "devbuild", "sh", "-c", "cat /built; ls /dev/hull-null 2>&1 || true"); !strings.HasPrefix(out, "ok\n") || !strings.Contains(out, "No such file") {
		t.Errorf("built image: %q; want /built from the step and no device node of the build", out)
	}
}

// TestDevicesGPUsAbsent: --gpus on a host without NVIDIA is one clear
// line. (The GPU check itself is bench/gpu-check.sh, on a GPU machine.)
func TestDevicesGPUsAbsent(t *testing.T) {
	if _, err := os.Stat("/dev/nvidiactl"); err == nil {
		t.Skip("this host has an NVIDIA GPU: see bench/gpu-check.sh")
	}
	s := withBusybox(t)
	// An empty spec dir, so a CDI spec on the host cannot serve it either.
	_, errs, code := s.hull(t, "run", "--rm", "--cdi-spec-dir", t.TempDir(), "--gpus", "all", "busybox", "true")
	if code != 125 || !strings.Contains(errs, "no NVIDIA GPU on this host") {
		t.Errorf("--gpus all without a GPU: exit %d, %q", code, errs)
	}
	oneLineError(t, errs)
	_, errs, code = s.hull(t, "run", "--rm", "--gpus", "device=", "busybox", "true")
	if code != 125 || !strings.Contains(errs, "--gpus") {
		t.Errorf("--gpus device=: exit %d, %q", code, errs)
	}
}

// TestDevicesCDIStart: a created container's CDI devices are resolved
// again at each start (as Docker and Podman do), so a spec regenerated
// since create (a driver update) is the one a start uses; a detached
// container's restart keeps them. The default hull of `make build` runs
// these starts in the full hull it embeds (core/device.CDILinked).
func TestDevicesCDIStart(t *testing.T) {
	s := withBusybox(t)
	dir, _ := fakeCDI(t, filepath.Join(t.TempDir(), "cdi"), filepath.Join(t.TempDir(), "hook-ran"))
	s.mustHull(t, "create", "--name", "cdistart", "--cdi-spec-dir", dir, "--device", "hulltest.example.com/fake=nulldev",
		"busybox", "sh", "-c", `test -c /dev/fake0 && echo "env=$FAKE_CDI"`)
	spec := filepath.Join(dir, "fake.yaml")
	data, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec, []byte(strings.Replace(string(data), "FAKE_CDI=null-device", "FAKE_CDI=regenerated", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := s.mustHull(t, "start", "-a", "cdistart"); strings.TrimSpace(out) != "env=regenerated" {
		t.Errorf("start of a container with a CDI device: %q; want env=regenerated (the spec as it is at the start)", out)
	}
	s.mustHull(t, "rm", "cdistart")

	s.mustHull(t, "run", "-d", "--name", "cdirestart", "--cdi-spec-dir", dir, "--device", "hulltest.example.com/fake=nulldev",
		"busybox", "sh", "-c", `echo "env=$FAKE_CDI"; sleep 60`)
	s.mustHull(t, "restart", "-t", "0", "cdirestart")
	if out := s.mustHull(t, "exec", "cdirestart", "sh", "-c", "test -c /dev/fake0 && echo node-ok"); strings.TrimSpace(out) != "node-ok" {
		t.Errorf("exec after a restart of a container with a CDI device: %q; want node-ok", out)
	}
	if out := s.mustHull(t, "logs", "cdirestart"); out != "env=regenerated\nenv=regenerated\n" {
		t.Errorf("logs of a container with a CDI device, started and restarted: %q; want env=regenerated twice", out)
	}
	s.mustHull(t, "rm", "-f", "cdirestart")
}
