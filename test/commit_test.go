package test

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// savedLayers saves ref as a docker archive and returns its layer tars,
// bottom first.
func (s *store) savedLayers(t *testing.T, ref string) [][]byte {
	t.Helper()
	files := map[string][]byte{}
	tr := tar.NewReader(strings.NewReader(s.mustHull(t, "save", ref)))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read saved %s: %v", ref, err)
		}
		b, _ := io.ReadAll(tr)
		files[hdr.Name] = b
	}
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("saved %s: manifest.json: %v", ref, err)
	}
	var out [][]byte
	for _, l := range manifest[0].Layers {
		out = append(out, files[l])
	}
	return out
}

// tarOwners maps each entry of a layer tar to "uid:gid".
func tarOwners(t *testing.T, layer []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(layer))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read layer: %v", err)
		}
		out[strings.TrimSuffix(hdr.Name, "/")] = jsonText(hdr.Uid) + ":" + jsonText(hdr.Gid)
	}
}

// canaryInHome puts a secret file in a fresh directory of the test user's
// home (where the attack aims) and returns the directory and the secret.
func canaryInHome(t *testing.T) (dir, secret string) {
	t.Helper()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	dir, err = os.MkdirTemp(home, "commit-canary-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	secret = "CANARY-3f9a1c-host-secret"
	if err := os.WriteFile(filepath.Join(dir, "CANARY"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, secret
}

// TestCommitSymlinkSwap: a running container that keeps replacing a
// directory by a symlink to a host directory (and holds static symlinks
// to it) must never get the host's file into a committed image; the
// container runs on after each commit, paused or not.
func TestCommitSymlinkSwap(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, secret := canaryInHome(t)
	script := "mkdir /d; echo inside-marker > /d/CANARY; ln -s " + dir + " /static; ln -s " + dir + "/CANARY /staticfile; " +
		"while true; do mv /d /x; ln -s " + dir + " /d; echo $((n+=1)) > /count; rm /d; mv /x /d; done"
	s.runD(t, "--name", "sw", "busybox", "sh", "-c", script)
	waitFor(t, "the swap loop", func() bool { _, _, code := s.hull(t, "exec", "sw", "test", "-e", "/count"); return code == 0 })
	for i, args := range [][]string{{}, {}, {}, {}, {"-p"}, {"--pause=false"}, {"--pause=false"}, {}} {
		ref := "swap:" + jsonText(i)
		_, stderr, code := s.hull(t, append(append([]string{"commit"}, args...), "sw", ref)...)
		if code != 0 {
			// A name swapped to another type three times in a row is an
			// error, never a read through it.
			if !strings.Contains(stderr, "changed while being read") {
				t.Fatalf("commit %v: exit %d: %s", args, code, stderr)
			}
			continue
		}
		saved := s.mustHull(t, "save", ref)
		if strings.Contains(saved, secret) {
			t.Fatalf("commit %d %v: the host canary is in the image", i, args)
		}
		if paused := len(args) == 0 || args[0] == "-p"; paused && !strings.Contains(saved, "inside-marker") {
			t.Errorf("commit %d %v: the container's own file is not in the image", i, args)
		}
		before := s.mustHull(t, "exec", "sw", "cat", "/count")
		waitFor(t, "the container to run on after commit", func() bool {
			return s.mustHull(t, "exec", "sw", "cat", "/count") != before
		})
	}
	s.notStopped(t, "sw")
}

// notStopped fails t unless container name runs and no process of it is
// stopped (a commit resumes what it paused).
func (s *store) notStopped(t *testing.T, name string) {
	t.Helper()
	if out := s.mustHull(t, "inspect", "-f", "{{.State.Status}}", name); strings.TrimSpace(out) != "running" {
		t.Errorf("container %s after commit: %q", name, out)
	}
	pid := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.State.Pid}}", name))
	ns, err := os.Readlink("/proc/" + pid + "/ns/pid")
	if err != nil {
		t.Fatalf("pid namespace of %s: %v", name, err)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		if link, _ := os.Readlink(p + "/ns/pid"); link != ns {
			continue
		}
		stat, _ := os.ReadFile(p + "/stat")
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'T' {
			t.Errorf("container %s: process %s is still stopped after commit", name, filepath.Base(p))
		}
	}
}

// TestCommitOwners: a committed layer holds the container's ids, not the
// host's, whether read in-process or in the user namespace.
func TestCommitOwners(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.runD(t, "--name", "own", "busybox", "sh", "-c", "touch /owned /rootfile; chown 1234:1234 /owned; touch /done; sleep 1000")
	waitFor(t, "the files", func() bool { _, _, code := s.hull(t, "exec", "own", "test", "-e", "/done"); return code == 0 })
	check := func(ref string, want map[string]string) {
		t.Helper()
		s.mustHull(t, "commit", "own", ref)
		layers := s.savedLayers(t, ref)
		owners := tarOwners(t, layers[len(layers)-1])
		for name, w := range want {
			if owners[name] != w {
				t.Errorf("%s: %s in the committed layer is owned by %q, want %s (all: %v)", ref, name, owners[name], w, owners)
			}
		}
		if out := s.mustHull(t, "run", "--rm", ref, "stat", "-c", "%u:%g", "/owned", "/rootfile"); out != "1234:1234\n0:0\n" {
			t.Errorf("%s: owners in a container of the committed image: %q", ref, out)
		}
		s.notStopped(t, "own")
	}
	// Everything readable by the user: read in-process.
	check("owners:1", map[string]string{"owned": "1234:1234", "rootfile": "0:0"})
	// A directory only uid 1234 may read: read in the user namespace.
	s.mustHull(t, "exec", "own", "sh", "-c", "mkdir /private; touch /private/f; chown -R 1234:1234 /private; chmod 700 /private")
	check("owners:2", map[string]string{"owned": "1234:1234", "rootfile": "0:0", "private": "1234:1234", "private/f": "1234:1234"})
}
