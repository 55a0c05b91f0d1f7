package test

import (
	"archive/tar"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// volumeImage imports busybox with /data owned by 999 (mode 0750) holding
// a file, declared a VOLUME, as name.
func volumeImage(t *testing.T, s *store, name string) {
	t.Helper()
	entries, err := busyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	entries = append(entries,
		tarEntry{Name: "data/", Type: tar.TypeDir, Mode: 0o750, UID: 999, GID: 999},
		tarEntry{Name: "data/seed.txt", Mode: 0o640, UID: 999, GID: 999, Body: []byte("from the image\n")})
	s.mustHull(t, "import", "-c", "VOLUME /data", makeTar(t, entries...), name)
}

// volumeNames lists the store's volumes.
func volumeNames(t *testing.T, s *store) []string {
	t.Helper()
	return lines(s.mustHull(t, "volume", "ls", "-q"))
}

func mountpoint(t *testing.T, s *store, name string) string {
	t.Helper()
	return strings.TrimSpace(s.mustHull(t, "volume", "inspect", "-f", "{{.Mountpoint}}", name))
}

// A named volume keeps its data across rm and a new container; files a
// container's uid 999 writes belong to a subordinate id on the host; hull
// volume rm removes them (a directory only that id may enter included),
// and so can `hull unshare`.
func TestVolumeNamedPersists(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "--name", "writer", "-v", "keep:/srv", "busybox", "sh", "-c",
		"echo kept > /srv/file && mkdir /srv/private && echo x > /srv/private/f && chown -R 999:999 /srv/file /srv/private && chmod 700 /srv/private")
	s.mustHull(t, "rm", "writer")
	out := s.mustHull(t, "run", "--rm", "-v", "keep:/other", "busybox", "sh", "-c", "cat /other/file; stat -c '%u:%g' /other/file")
	if out != "kept\n999:999\n" {
		t.Errorf("second container read %q, want the data and owner 999", out)
	}
	mp := mountpoint(t, s, "keep")
	if uids := subRange("/etc/subuid"); uids != "" {
		base, _ := strconv.Atoi(strings.Split(uids, ",")[0])
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join(mp, "file"), &st); err != nil {
			t.Fatal(err)
		}
		if int(st.Uid) != base+998 || int(st.Gid) < base {
			t.Errorf("host owner of a file uid 999 wrote: %d:%d, want %d (subordinate)", st.Uid, st.Gid, base+998)
		}
		if _, err := os.ReadDir(filepath.Join(mp, "private")); err == nil {
			t.Errorf("the host user entered a directory of uid 999 mode 0700: the volume is not owned through the mapping")
		}
	}
	s.mustHull(t, "unshare", "rm", "-rf", filepath.Join(mp, "private"))
	if _, err := os.Lstat(filepath.Join(mp, "private")); !os.IsNotExist(err) {
		t.Errorf("hull unshare rm -rf left %s: %v", filepath.Join(mp, "private"), err)
	}
	s.mustHull(t, "run", "--rm", "-v", "keep:/srv", "busybox", "sh", "-c", "mkdir /srv/p2 && chown 999 /srv/p2 && chmod 700 /srv/p2 && touch /srv/p2/f")
	if out := s.mustHull(t, "volume", "rm", "keep"); out != "keep\n" {
		t.Errorf("volume rm printed %q", out)
	}
	if _, err := os.Lstat(filepath.Dir(mp)); !os.IsNotExist(err) {
		t.Errorf("volume rm left %s: %v", filepath.Dir(mp), err)
	}
	if n := volumeNames(t, s); len(n) != 0 {
		t.Errorf("volumes left: %q", n)
	}
}

// A new volume is seeded from the image's content at its path, owners and
// modes included; a volume with content is not seeded again; volume-nocopy
// leaves it empty.
func TestVolumeSeededFromImage(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	volumeImage(t, s, "vimg")
	check := "stat -c '%u:%g %a' /data /data/seed.txt; cat /data/seed.txt"
	want := "999:999 750\n999:999 640\nfrom the image\n"
	if out := s.mustHull(t, "run", "--rm", "-v", "seeded:/data", "vimg", "sh", "-c", check+"; rm /data/seed.txt; echo mine > /data/own"); out != want {
		t.Errorf("named volume: %q, want %q", out, want)
	}
	if out := s.mustHull(t, "run", "--rm", "-v", "seeded:/data", "vimg", "ls", "/data"); out != "own\n" {
		t.Errorf("a used volume was seeded again: ls %q", out)
	}
	if out := s.mustHull(t, "run", "--rm", "--mount", "type=volume,src=fresh,dst=/data", "vimg", "sh", "-c", check); out != want {
		t.Errorf("--mount type=volume: %q, want %q", out, want)
	}
	if out := s.mustHull(t, "run", "--rm", "--mount", "type=volume,src=bare,dst=/data,volume-nocopy", "vimg", "ls", "-A", "/data"); out != "" {
		t.Errorf("volume-nocopy: ls %q, want empty", out)
	}
	if out := s.mustHull(t, "run", "--rm", "--mount", "type=volume,src=fresh,dst=/ro,readonly", "vimg", "sh", "-c", "touch /ro/x 2>/dev/null && echo writable; cat /ro/seed.txt"); out != "from the image\n" {
		t.Errorf("readonly volume: %q", out)
	}
	if out := s.mustHull(t, "run", "--rm", "-v", "fresh:/ro:ro", "vimg", "sh", "-c", "touch /ro/y 2>/dev/null && echo writable; true"); out != "" {
		t.Errorf("-v NAME:/dst:ro: %q", out)
	}
}

// An image VOLUME (and -v /path) gets an anonymous volume, seeded as a
// named one; rm keeps it, rm -v and run --rm remove it; named volumes stay.
func TestVolumeAnonymous(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	volumeImage(t, s, "vimg")
	s.mustHull(t, "run", "--name", "a1", "vimg", "cat", "/data/seed.txt")
	anon := volumeNames(t, s)
	if len(anon) != 1 || len(anon[0]) != 64 {
		t.Fatalf("volumes after run: %q, want one anonymous", anon)
	}
	if l := s.mustHull(t, "volume", "inspect", "-f", `{{index .Labels "com.docker.volume.anonymous"}}|{{.Driver}}`, anon[0]); l != "|local\n" {
		t.Errorf("anonymous volume inspect: %q", l)
	}
	s.mustHull(t, "rm", "a1")
	if got := volumeNames(t, s); len(got) != 1 {
		t.Errorf("rm without -v removed the anonymous volume: %q", got)
	}
	s.mustHull(t, "volume", "rm", anon[0])

	s.mustHull(t, "run", "--name", "a2", "-v", "named:/named", "-v", "/scratch", "vimg", "true")
	if got := volumeNames(t, s); len(got) != 3 {
		t.Fatalf("volumes: %q, want image VOLUME, -v /scratch and named", got)
	}
	s.mustHull(t, "rm", "-v", "a2")
	if got := volumeNames(t, s); len(got) != 1 || got[0] != "named" {
		t.Errorf("after rm -v: %q, want only the named volume", got)
	}
	s.mustHull(t, "run", "--rm", "-v", "/scratch", "vimg", "true")
	if got := volumeNames(t, s); len(got) != 1 || got[0] != "named" {
		t.Errorf("after run --rm: %q, want only the named volume", got)
	}
	// A detached --rm container's monitor removes them when it ends.
	s.mustHull(t, "run", "-d", "--rm", "vimg", "true")
	deadline := time.Now().Add(20 * time.Second)
	for len(volumeNames(t, s)) != 1 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if got := volumeNames(t, s); len(got) != 1 || got[0] != "named" {
		t.Errorf("after run -d --rm ended: %q, want only the named volume", got)
	}
}

// Several hull processes creating and removing one volume at once leave
// the store whole: the volume exists whole or not at all, nothing else is
// left in the store's directory.
func TestVolumeConcurrentCreateRemove(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 4; j++ {
				args := []string{"volume", "create", "race"}
				if (i+j)%2 == 1 {
					args = []string{"volume", "rm", "race"}
				}
				if _, errs, code := s.hull(t, args...); code != 0 && !strings.Contains(errs, "no such volume") {
					t.Errorf("hull %s: exit %d %s", quote(args), code, errs)
				}
			}
		}(i)
	}
	wg.Wait()
	entries, err := os.ReadDir(filepath.Join(s.root, "volumes"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "race" {
			t.Errorf("left in the volume store: %s", e.Name())
			continue
		}
		if _, err := os.Stat(filepath.Join(s.root, "volumes", "race", "_data")); err != nil {
			t.Errorf("a torn volume: %v", err)
		}
		s.mustHull(t, "volume", "inspect", "race")
	}
}

// volume create/ls/inspect/rm/prune with Docker's flags and formats, the
// in-use refusal (running and stopped containers) and system df/prune.
func TestVolumeCommands(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	if out := s.mustHull(t, "volume", "create", "--label", "tier=db", "--label", "k", "v1"); out != "v1\n" {
		t.Errorf("create printed %q", out)
	}
	s.mustHull(t, "volume", "create", "v2")
	if out := s.mustHull(t, "volume", "create", "v1"); out != "v1\n" {
		t.Errorf("create of an existing volume: %q", out)
	}
	for _, bad := range []string{"-x", ".hidden", "a/b", "a b"} {
		if _, errs, code := s.hull(t, "volume", "create", "--", bad); code != 125 || !strings.Contains(errs, "invalid volume name") {
			t.Errorf("create %q: exit %d %q", bad, code, errs)
		}
	}
	if out := s.mustHull(t, "volume", "ls"); !hasRow(out, "DRIVER", "VOLUME", "NAME") || !hasRow(out, "local", "v1") || !hasRow(out, "local", "v2") {
		t.Errorf("ls table:\n%s", out)
	}
	if out := s.mustHull(t, "volume", "ls", "--format", `{{.Name}} {{.Label "tier"}} {{.Labels}}`, "--filter", "label=tier=db"); out != "v1 db k=,tier=db\n" {
		t.Errorf("ls --format --filter label: %q", out)
	}
	if out := s.mustHull(t, "volume", "ls", "-q", "-f", "name=2"); out != "v2\n" {
		t.Errorf("ls -q -f name=2: %q", out)
	}
	var row map[string]string
	if err := json.Unmarshal([]byte(strings.Split(s.mustHull(t, "volume", "ls", "--format", "json"), "\n")[0]), &row); err != nil || row["Name"] != "v1" || row["Driver"] != "local" {
		t.Errorf("ls --format json: %v %v", row, err)
	}
	var views []map[string]any
	if err := json.Unmarshal([]byte(s.mustHull(t, "volume", "inspect", "v1", "v2")), &views); err != nil || len(views) != 2 {
		t.Fatalf("inspect: %v %v", views, err)
	}
	if views[0]["Name"] != "v1" || views[0]["Scope"] != "local" || !strings.HasSuffix(views[0]["Mountpoint"].(string), "/volumes/v1/_data") {
		t.Errorf("inspect v1: %v", views[0])
	}
	if out := s.mustHull(t, "inspect", "--type", "volume", "-f", "{{.Name}} {{.Driver}}", "v2"); out != "v2 local\n" {
		t.Errorf("inspect --type volume: %q", out)
	}
	if _, errs, code := s.hull(t, "volume", "inspect", "nope"); code == 0 || !strings.Contains(errs, "no such volume") {
		t.Errorf("inspect nope: exit %d %q", code, errs)
	}

	s.mustHull(t, "run", "-d", "--name", "up", "-v", "v1:/d", "busybox", "sleep", "300")
	s.mustHull(t, "create", "--name", "stopped", "-v", "v2:/d", "busybox", "true")
	for _, v := range []string{"v1", "v2"} {
		_, errs, code := s.hull(t, "volume", "rm", v)
		if code != 125 || !strings.Contains(errs, "volume is in use") {
			t.Errorf("rm of %s in use: exit %d %q", v, code, errs)
		}
		oneLineError(t, errs)
	}
	if out := s.mustHull(t, "volume", "ls", "-q", "--filter", "dangling=false"); out != "v1\nv2\n" {
		t.Errorf("dangling=false: %q", out)
	}
	if out := s.mustHull(t, "volume", "prune", "-a", "-f"); strings.Contains(out, "v1") || strings.Contains(out, "v2") {
		t.Errorf("prune -a removed a volume in use: %q", out)
	}
	if out := s.mustHull(t, "system", "df"); !hasRow(out, "Local", "Volumes", "2", "2") {
		t.Errorf("system df:\n%s", out)
	}
	s.mustHull(t, "volume", "rm", "-f", "v2")
	// -f does not take a volume from a running container (Docker's rule:
	// a container changing the files under the removal could aim it at
	// the user's own files).
	if _, errs, code := s.hull(t, "volume", "rm", "-f", "v1"); code != 125 || !strings.Contains(errs, "volume is in use") {
		t.Errorf("rm -f of v1 in use by a running container: exit %d %q", code, errs)
	}
	s.mustHull(t, "rm", "-f", "up", "stopped")
	s.mustHull(t, "volume", "create", "v3")
	s.mustHull(t, "run", "--name", "an", "-v", "/anon", "busybox", "true")
	s.mustHull(t, "rm", "an")
	if out := s.mustHull(t, "volume", "ls", "-q", "--filter", "dangling=true"); len(lines(out)) != 3 {
		t.Errorf("dangling=true: %q, want v1, v3 and the anonymous one", out)
	}
	out := s.mustHull(t, "system", "prune", "-f", "--volumes")
	if !strings.Contains(out, "Deleted Volumes:") || strings.Contains(out, "v1") || strings.Contains(out, "v3") {
		t.Errorf("system prune --volumes removed other than the anonymous volume:\n%s", out)
	}
	if out := s.mustHull(t, "volume", "prune", "-f", "--filter", "label=tier=db", "--filter", "all=true"); !strings.Contains(out, "Deleted Volumes:\nv1\n") {
		t.Errorf("prune label filter: %q", out)
	}
	if got := volumeNames(t, s); len(got) != 1 || got[0] != "v3" {
		t.Errorf("left: %q, want v3", got)
	}
}

// An image whose VOLUME path is a symlink out of the root (to a directory
// in the user's home) cannot make hull read or write there: the volume is
// seeded and mounted inside the container's root.
func TestHostileVolumeSymlink(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	c := newHomeCanary(t)
	targets := map[string]string{"abs": c.dir, "rel": "../../../../../../../../" + strings.TrimPrefix(c.dir, "/")}
	var outputs []string
	for kind, target := range targets {
		name := "hostile-" + kind
		entries, err := busyboxEntries()
		if err != nil {
			t.Fatal(err)
		}
		entries = append(without(entries, "home"), symlink("data", target))
		s.mustHull(t, "import", "-c", "VOLUME /data", makeTar(t, entries...), name)
		script := "ls -la /data/; cat /data/secret /data/sys/secret; echo pwned > /data/secret; echo new > /data/new; true"
		for _, args := range [][]string{{"run", "--rm", name}, {"run", "--rm", "-v", "named-" + kind + ":/data", name}} {
			out, errs, code := s.hull(t, append(args, "sh", "-c", script)...)
			outputs = append(outputs, out, errs)
			if code != 0 {
				t.Errorf("%s: exit %d, want the container to run (inside its own root)", quote(args), code)
			}
		}
		// What the container wrote went to the volume, not through the link.
		if b, err := os.ReadFile(filepath.Join(mountpoint(t, s, "named-"+kind), "new")); err != nil || string(b) != "new\n" {
			t.Errorf("named-%s: the container's write did not land in the volume: %q %v", kind, b, err)
		}
	}
	vols := volumeNames(t, s)
	for _, v := range vols {
		mp := mountpoint(t, s, v)
		if _, err := os.Lstat(filepath.Join(mp, "secret")); err == nil {
			b, _ := os.ReadFile(filepath.Join(mp, "secret"))
			outputs = append(outputs, string(b))
			if strings.Contains(string(b), c.secret) {
				t.Errorf("volume %s was seeded with the canary", v)
			}
		}
	}
	c.check(t, outputs...)
}

// A container that can write in a bind source's parent (-v DIR:/data -v
// DIR/sub:/sub) swaps DIR/sub for a symlink to the user's canary; its next
// start must not bind the canary (outside review: the source was resolved
// again at every start). A source the user gave through a symlink is
// resolved at create and keeps working across starts.
func TestHostileBindSourceSwap(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	c := newHomeCanary(t)
	base := t.TempDir()
	data := filepath.Join(base, "data")
	if err := os.MkdirAll(filepath.Join(data, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "sub", "f"), []byte("orig\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	s.mustHull(t, "create", "--name", "benign", "-v", link+":/d:ro", "busybox", "cat", "/d/sub/f")
	for i := 0; i < 2; i++ {
		if out := s.mustHull(t, "start", "-a", "benign"); out != "orig\n" {
			t.Errorf("start %d through a symlinked source: %q, want orig", i+1, out)
		}
	}
	script := "cat /sub/* /sub/sys/*; rm -rf /data/sub && ln -s " + c.dir + " /data/sub && echo swapped"
	s.mustHull(t, "create", "--name", "swap", "-v", link+":/data", "--mount", "type=bind,source="+data+"/sub,target=/sub", "busybox", "sh", "-c", script)
	out1, errs1, code := s.hull(t, "start", "-a", "swap")
	if code != 0 || out1 != "orig\nswapped\n" {
		t.Fatalf("first start: exit %d, %q, want the source's file and the swap", code, out1)
	}
	if fi, err := os.Lstat(filepath.Join(data, "sub")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the container did not swap its source for a link: %v %v", fi, err)
	}
	out2, errs2, code := s.hull(t, "start", "-a", "swap")
	if code == 0 || !strings.Contains(errs2, "a symlink is on its path") {
		t.Errorf("start after the swap: exit %d, stderr %q; want a refusal naming the symlink", code, errs2)
	}
	// A source swapped for a file (or a file for a directory) is refused
	// by name too.
	if err := os.MkdirAll(filepath.Join(base, "d2", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.mustHull(t, "create", "--name", "kind", "-v", filepath.Join(base, "d2")+":/d2", "-v", filepath.Join(base, "d2", "sub")+":/sub",
		"busybox", "sh", "-c", "rm -rf /d2/sub && echo x > /d2/sub")
	s.mustHull(t, "start", "-a", "kind")
	out3, errs3, code := s.hull(t, "start", "-a", "kind")
	if code == 0 || !strings.Contains(errs3, "is a file now, not a directory as when the container was created") {
		t.Errorf("start after a directory source became a file: exit %d, stderr %q", code, errs3)
	}
	c.check(t, out1, errs1, out2, errs2, out3, errs3)
}
