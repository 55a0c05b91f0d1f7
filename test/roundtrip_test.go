package test

import (
	"archive/tar"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// An image is its blobs: whatever way a layer was made, the tree a
// container sees must be the same in the store that built it and after the
// image left it (save and load, push and pull, commit, other tools' stores).

// roundtripDockerfile makes a layer by every path busybox allows. XATTR is
// replaced by the steps that set xattrs when the helper could be built.
const roundtripDockerfile = `FROM busybox AS stage
RUN mkdir -p /src/sub && echo staged > /src/sub/f && echo suid > /src/suid && \
    chown -R 1000:1000 /src && chmod 0640 /src/sub/f && chmod 4711 /src/suid

FROM busybox
COPY plain.txt /c/plain.txt
COPY plain.txt /c/keep.txt
COPY --chown=1234:1234 bin/ /opt/svc/bin/
COPY --chmod=0750 tool.sh /c/tool.sh
COPY --chown=user1:user1 --chmod=4755 tool.sh /c/tool-suid
ADD plain.txt /c/added.txt
ADD --chown=2345:3456 plain.txt /c/added-owned.txt
ADD data.tar /c/untarred/
COPY --from=stage /src/ /c/fromstage/
COPY --from=stage --chown=5000:5001 --chmod=2755 /src/suid /c/fromstage-suid
COPY app.conf.tmpl /c/app.conf.tmpl
COPY <<EOF /c/heredoc.txt
hello heredoc
EOF
COPY --chown=1234:1234 --chmod=0600 <<EOF /c/heredoc-owned
only for 1234
EOF
TEMPLATE --chown=1234:1234 --mode=0640 /c/app.conf.tmpl /c/app.conf
RUN mkdir -p /r/sticky /r/sgid /r/tree/deep && \
    echo a > /r/a && chown 1234:1234 /r/a && chmod 4755 /r/a && ln /r/a /r/a-hardlink && \
    echo b > /r/b && chown 0:2345 /r/b && chmod 2750 /r/b && \
    chmod 1777 /r/sticky && chown 1000:1000 /r/sgid && chmod 2775 /r/sgid && \
    ln -s a /r/a-symlink && chown -h 1234:1234 /r/a-symlink && ln -s /nowhere /r/dangling && \
    echo deep > /r/tree/deep/f && chown -R 4000:4001 /r/tree && \
    ln /c/keep.txt /r/keep-hardlink && mkfifo /r/fifo && chown 1234:0 /r/fifo
RUN echo private > /r/private && chown 1234:1234 /r/private && chmod 0600 /r/private && \
    mkdir /r/closed && chmod 0700 /r/closed && chown 1234:1234 /r/closed
USER 1234:1234
RUN mkdir /tmp/by1234 && echo mine > /tmp/by1234/f && chmod 0751 /tmp/by1234
USER root
RUN rm /c/plain.txt /bin/vi && rm -rf /c/fromstage && mkdir /c/fromstage && echo new > /c/fromstage/new && \
    chown 1234:1234 /c/fromstage
XATTR`

// roundtripXattrSteps set a file capability (cap_net_bind_service,
// permitted and effective) and a user xattr with the helper.
const roundtripXattrSteps = `COPY --chmod=0755 xattr /usr/local/bin/xattr
RUN echo cap > /r/cap-bin && chmod 0755 /r/cap-bin && chown 1234:1234 /r/cap-bin && \
    xattr set security.capability 0100000200040000000000000000000000000000 /r/cap-bin && \
    xattr set user.note 6869 /c/tool.sh`

// xattrHelperSource is a static helper for the image: busybox can neither
// set nor show xattrs.
const xattrHelperSource = `package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

func main() {
	switch {
	case len(os.Args) == 5 && os.Args[1] == "set":
		v, err := hex.DecodeString(os.Args[3])
		if err == nil {
			err = syscall.Setxattr(os.Args[4], os.Args[2], v, 0)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "xattr set:", err)
			os.Exit(1)
		}
	case len(os.Args) == 3 && os.Args[1] == "dump":
		filepath.Walk(os.Args[2], func(p string, fi os.FileInfo, err error) error {
			if err != nil {
				return nil
			}
			if p == "/proc" || p == "/sys" || p == "/dev" {
				return filepath.SkipDir
			}
			if fi.Mode()&os.ModeSymlink != 0 {
				return nil
			}
			buf := make([]byte, 65536)
			n, err := syscall.Listxattr(p, buf)
			if err != nil {
				return nil
			}
			names := strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00")
			sort.Strings(names)
			for _, name := range names {
				if name != "security.capability" && !strings.HasPrefix(name, "user.") {
					continue
				}
				v := make([]byte, 65536)
				m, err := syscall.Getxattr(p, name, v)
				if err == nil {
					fmt.Printf("X|%s|%s=%s\n", p, name, hex.EncodeToString(v[:m]))
				}
			}
			return nil
		})
	default:
		fmt.Fprintln(os.Stderr, "usage: xattr set NAME HEX FILE | xattr dump DIR")
		os.Exit(2)
	}
}
`

// The xattr helper, built once for the suite.
var (
	xattrOnce   sync.Once
	xattrHelper string
	xattrErr    error
)

// buildXattrHelper returns the helper, built with the Go toolchain; ""
// when there is no toolchain.
func buildXattrHelper(t *testing.T) string {
	t.Helper()
	xattrOnce.Do(func() { xattrHelper, xattrErr = compileXattrHelper() })
	if xattrErr != nil {
		t.Fatalf("build the xattr helper: %v", xattrErr)
	}
	return xattrHelper
}

func compileXattrHelper() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	if _, err := os.Stat(goBin); err != nil {
		return "", nil
	}
	dir, err := os.MkdirTemp(baseDir, "xattr")
	if err != nil {
		return "", err
	}
	for name, body := range map[string]string{"go.mod": "module xattr\n\ngo 1.21\n", "main.go": xattrHelperSource} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return "", err
		}
	}
	cmd := exec.Command(goBin, "build", "-o", "xattr", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOFLAGS=")
	if os.Getenv("HOME") == "" {
		cmd.Env = append(cmd.Env, "GOCACHE="+filepath.Join(dir, ".gocache"))
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	return filepath.Join(dir, "xattr"), nil
}

// roundtripContext writes the build context: files, a directory, a
// script, the template and a tar with owners for ADD to unpack.
func roundtripContext(t *testing.T, helper string) string {
	t.Helper()
	df := strings.Replace(roundtripDockerfile, "XATTR", "", 1)
	if helper != "" {
		df = strings.Replace(roundtripDockerfile, "XATTR", roundtripXattrSteps, 1)
	}
	dir := buildContext(t, map[string]string{
		"Dockerfile":    df,
		"plain.txt":     "plain\n",
		"bin/report":    "#!/bin/sh\necho report\n",
		"bin/lib/x.so":  "lib\n",
		"tool.sh":       "#!/bin/sh\necho tool\n",
		"app.conf.tmpl": "user=$USER\n",
	})
	if err := os.Chmod(filepath.Join(dir, "bin/report"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := writeTarFile(filepath.Join(dir, "data.tar"), []tarEntry{
		{Name: "d/", Type: tar.TypeDir, Mode: 0o2775, UID: 3000, GID: 3001},
		{Name: "d/f", Mode: 0o4750, UID: 3000, GID: 3001, Body: []byte("in a tar\n")},
		{Name: "d/hard", Type: tar.TypeLink, Linkname: "d/f"},
		{Name: "d/sym", Type: tar.TypeSymlink, Linkname: "f", Mode: 0o777, UID: 3000, GID: 3001},
	})
	if err != nil {
		t.Fatal(err)
	}
	if helper != "" {
		body, err := os.ReadFile(helper)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "xattr"), body, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// walkScript lists every file of the container's tree, bar the kernel's
// file systems and the files hull binds over /etc: "S|" stat lines,
// "M|" md5sums and, with the helper, "X|" xattrs.
const walkScript = `set -e
prune='( -path /proc -o -path /sys -o -path /dev -o -path /etc/hosts -o -path /etc/hostname -o -path /etc/resolv.conf )'
find / -xdev $prune -prune -o -exec stat -c 'S|%n|%F|%u|%g|%a|%i|%h|%s|%N' {} +
find / -xdev $prune -prune -o -type f -exec md5sum {} + | sed 's/^/M|/'
if [ -x /usr/local/bin/xattr ]; then /usr/local/bin/xattr dump /; fi
`

// walkTree runs walkScript in a container of ref and returns one line per
// path: type, owner, mode, size (not for directories), link target, md5,
// xattrs, and for a multiply-linked file the first path of its inode.
func (s *store) walkTree(t *testing.T, ref string) map[string]string {
	t.Helper()
	out := s.mustHull(t, "run", "--rm", "--network", "none", "--user", "0", "--entrypoint", "/bin/sh", ref, "-c", walkScript)
	type rec struct {
		fields  []string
		inode   string
		nlink   string
		md5     string
		xattrs  []string
		isDir   bool
		isLinky bool
	}
	recs := map[string]*rec{}
	get := func(p string) *rec {
		if recs[p] == nil {
			recs[p] = &rec{}
		}
		return recs[p]
	}
	for _, line := range lines(out) {
		switch {
		case strings.HasPrefix(line, "S|"):
			f := strings.SplitN(line, "|", 10)
			if len(f) != 10 {
				t.Fatalf("walk %s: bad line %q", ref, line)
			}
			r := get(f[1])
			r.isDir = f[2] == "directory"
			size := f[8]
			if r.isDir {
				size = "-"
			}
			r.fields = []string{f[2], f[3] + ":" + f[4], f[5], size, f[9]}
			r.inode, r.nlink = f[6], f[7]
			r.isLinky = !r.isDir && f[7] != "1"
		case strings.HasPrefix(line, "M|"):
			f := strings.Fields(line[2:])
			if len(f) != 2 {
				t.Fatalf("walk %s: bad line %q", ref, line)
			}
			get(f[1]).md5 = f[0]
		case strings.HasPrefix(line, "X|"):
			f := strings.SplitN(line, "|", 3)
			get(f[1]).xattrs = append(get(f[1]).xattrs, f[2])
		}
	}
	first := map[string]string{}
	paths := make([]string, 0, len(recs))
	for p := range recs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if r := recs[p]; r.isLinky {
			if _, ok := first[r.inode]; !ok {
				first[r.inode] = p
			}
		}
	}
	tree := map[string]string{}
	for _, p := range paths {
		r := recs[p]
		if r.fields == nil {
			t.Fatalf("walk %s: %s has no stat line", ref, p)
		}
		link := ""
		if r.isLinky {
			link = "links=" + r.nlink + " first=" + first[r.inode]
		}
		tree[p] = strings.Join(append(r.fields, r.md5, strings.Join(r.xattrs, ","), link), " | ")
	}
	if len(tree) < 100 {
		t.Fatalf("walk %s: only %d paths:\n%s", ref, len(tree), out)
	}
	return tree
}

// sameTree fails t where got differs from want.
func sameTree(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	var diffs []string
	for p, w := range want {
		if g, ok := got[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("  %s: missing (was %s)", p, w))
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("  %s:\n    built: %s\n    now:   %s", p, w, g))
		}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("  %s: new (%s)", p, g))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		if len(diffs) > 30 {
			diffs = append(diffs[:30], fmt.Sprintf("  ... and %d more", len(diffs)-30))
		}
		t.Errorf("%s: the tree differs from the built image's:\n%s", what, strings.Join(diffs, "\n"))
	}
}

// expectEntries checks what the Dockerfile must have made, so that a
// tree equally wrong everywhere still fails.
func expectEntries(t *testing.T, tree map[string]string, withXattrs bool) {
	t.Helper()
	want := map[string]string{
		"/opt/svc/bin/report": "regular file | 1234:1234 | 755 |",
		"/c/keep.txt":         "regular file | 0:0 | 644 |",
		"/c/tool.sh":          "regular file | 0:0 | 750 |",
		"/c/tool-suid":        "regular file | 1000:1000 | 4755 |",
		"/c/added-owned.txt":  "regular file | 2345:3456 | 644 |",
		"/c/fromstage-suid":   "regular file | 5000:5001 | 2755 |",
		"/c/heredoc-owned":    "regular file | 1234:1234 | 600 |",
		"/c/app.conf":         "regular file | 1234:1234 | 640 |",
		"/c/fromstage":        "directory | 1234:1234 | 755 |",
		"/c/fromstage/new":    "regular file | 0:0 | 644 |",
		"/r/a":                "regular file | 1234:1234 | 4755 |",
		"/r/b":                "regular file | 0:2345 | 2750 |",
		"/r/sticky":           "directory | 0:0 | 1777 |",
		"/r/sgid":             "directory | 1000:1000 | 2775 |",
		"/r/a-symlink":        "symbolic link | 1234:1234 |",
		"/r/tree/deep/f":      "regular file | 4000:4001 | 644 |",
		"/r/fifo":             "fifo | 1234:0 |",
		"/r/private":          "regular file | 1234:1234 | 600 |",
		"/r/closed":           "directory | 1234:1234 | 700 |",
		"/tmp/by1234/f":       "regular file | 1234:1234 | 644 |",
		"/tmp/by1234":         "directory | 1234:1234 | 751 |",
	}
	for p, w := range want {
		if !strings.HasPrefix(tree[p], w) {
			t.Errorf("built image: %s is %q, want %q...", p, tree[p], w)
		}
	}
	for _, p := range []string{"/c/plain.txt", "/bin/vi", "/c/fromstage/sub", "/c/fromstage/suid"} {
		if _, ok := tree[p]; ok {
			t.Errorf("built image: %s was deleted but is there: %s", p, tree[p])
		}
	}
	for p, first := range map[string]string{"/r/a-hardlink": "/r/a", "/r/keep-hardlink": "/c/keep.txt"} {
		if !strings.HasSuffix(tree[p], "first="+first) || !strings.HasSuffix(tree[first], "first="+first) {
			t.Errorf("built image: %s is not a hard link of %s: %q, %q", p, first, tree[p], tree[first])
		}
	}
	if withXattrs {
		if !strings.Contains(tree["/r/cap-bin"], "security.capability=0100000200040000000000000000000000000000") {
			t.Errorf("built image: /r/cap-bin lacks its capability: %q", tree["/r/cap-bin"])
		}
		if !strings.Contains(tree["/c/tool.sh"], "user.note=6869") {
			t.Errorf("built image: /c/tool.sh lacks its user xattr: %q", tree["/c/tool.sh"])
		}
	}
}

// TestRoundTripTree builds one image by every layer-making path and
// requires the same tree wherever it goes.
func TestRoundTripTree(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	dir, _ := testPlugin(t, s, "hull-template", "hull-template")
	work := t.TempDir()
	helper := buildXattrHelper(t)
	if helper == "" {
		t.Log("no Go toolchain to build the xattr helper: xattrs (file capabilities, user.*) are not checked")
	}
	const ref = "localhost/roundtrip:v1"
	s.mustBuild(t, "-t", ref, "--plugin-dir", dir, roundtripContext(t, helper))
	built := s.walkTree(t, ref)
	expectEntries(t, built, helper != "")

	archives := map[string]string{}
	for _, format := range []string{"docker-archive", "oci-archive"} {
		archives[format] = filepath.Join(work, format+".tar")
		s.mustHull(t, "save", "--format", format, "-o", archives[format], ref)
		fresh := newStore(t)
		loaded := fresh.load(t, archives[format])
		sameTree(t, "save --format "+format+", load", built, fresh.walkTree(t, loaded))
	}

	// A container re-sets owners and modes to what they are (so the tree
	// stays the same) and copies up the capability's file; its commit
	// holds those files, read back from the committed layer's blob.
	s.mustHull(t, "run", "--name", "rt", "--network", "none", "--user", "0", "--entrypoint", "/bin/sh", ref, "-c",
		"chown 1234:1234 /opt/svc/bin/report /r/closed && chmod 4755 /c/tool-suid && chown 1000:1000 /c/tool-suid && "+
			"chmod 4755 /c/tool-suid && chown -R 4000:4001 /r/tree && chmod 1777 /r/sticky && touch /c/app.conf "+
			"&& if [ -e /r/cap-bin ]; then touch /r/cap-bin; fi")
	s.mustHull(t, "commit", "rt", "localhost/roundtrip:committed")
	sameTree(t, "commit", built, s.walkTree(t, "localhost/roundtrip:committed"))

	t.Run("registry", func(t *testing.T) {
		reg := startRegistry(t)
		remote := reg + "/roundtrip:v1"
		s.mustHull(t, "tag", ref, remote)
		s.mustHull(t, "push", "-q", remote)
		fresh := newStore(t)
		fresh.mustHull(t, "pull", "-q", remote)
		sameTree(t, "push, pull", built, fresh.walkTree(t, remote))
	})
	t.Run("podman", func(t *testing.T) {
		bin := needPeer(t, "podman")
		pdir, err := os.MkdirTemp(baseDir, "podman")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { removeTree(pdir) })
		back := filepath.Join(pdir, "back.tar")
		script := fmt.Sprintf("set -e; P='%s --root %s/root --runroot %s/run --storage-driver vfs --cgroup-manager cgroupfs --events-backend none'; "+
			"$P load -i %s; $P save -o %s %s", bin, pdir, pdir, archives["docker-archive"], back, ref)
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+filepath.Join(pdir, "xdg"), "XDG_CONFIG_HOME="+filepath.Join(pdir, "cfg"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("podman load and save: %v\n%s", err, out)
		}
		fresh := newStore(t)
		sameTree(t, "podman load, podman save, load", built, fresh.walkTree(t, fresh.load(t, back)))
	})
	t.Run("skopeo", func(t *testing.T) {
		bin := needPeer(t, "skopeo")
		out := filepath.Join(t.TempDir(), "skopeo-oci.tar")
		cmd := exec.Command(bin, "--insecure-policy", "copy", "docker-archive:"+archives["docker-archive"], "oci-archive:"+out+":"+ref)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("skopeo copy: %v\n%s", err, b)
		}
		fresh := newStore(t)
		sameTree(t, "skopeo copy to an OCI archive, load", built, fresh.walkTree(t, fresh.load(t, out)))
	})
}

// TestRoundTripImport: an imported tarball's owners, modes, links and
// file capability survive unpack, save and load.
func TestRoundTripImport(t *testing.T) {
	t.Parallel()
	entries, err := busyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	entries = append(entries,
		tarEntry{Name: "imp/", Type: tar.TypeDir, Mode: 0o2770, UID: 1234, GID: 2345},
		tarEntry{Name: "imp/suid", Mode: 0o4755, UID: 1234, GID: 1234, Body: []byte("suid\n")},
		tarEntry{Name: "imp/link", Type: tar.TypeLink, Linkname: "imp/suid"},
		tarEntry{Name: "imp/sym", Type: tar.TypeSymlink, Linkname: "suid", Mode: 0o777, UID: 4000, GID: 4001},
	)
	helper := buildXattrHelper(t)
	if helper != "" {
		body, err := os.ReadFile(helper)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, tarEntry{Name: "usr/", Type: tar.TypeDir}, tarEntry{Name: "usr/local/", Type: tar.TypeDir},
			tarEntry{Name: "usr/local/bin/", Type: tar.TypeDir}, tarEntry{Name: "usr/local/bin/xattr", Mode: 0o755, Body: body})
	} else {
		t.Log("no Go toolchain to build the xattr helper: the file capability is not checked")
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := writeEntry(tw, e); err != nil {
			t.Fatal(err)
		}
	}
	capValue, _ := hex.DecodeString("0100000200040000000000000000000000000000")
	if err := tw.WriteHeader(&tar.Header{Name: "imp/cap", Typeflag: tar.TypeReg, Mode: 0o755, Uid: 1234, Gid: 1234, Size: 4,
		ModTime: fixtureTime, PAXRecords: map[string]string{"SCHILY.xattr.security.capability": string(capValue)}}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte("cap\n"))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "imp.tar")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	s.mustHull(t, "import", path, "imp")
	tree := s.walkTree(t, "imp")
	for p, w := range map[string]string{"/imp": "directory | 1234:2345 | 2770 |", "/imp/suid": "regular file | 1234:1234 | 4755 |",
		"/imp/sym": "symbolic link | 4000:4001 |", "/imp/cap": "regular file | 1234:1234 | 755 |"} {
		if !strings.HasPrefix(tree[p], w) {
			t.Errorf("imported: %s is %q, want %q...", p, tree[p], w)
		}
	}
	if helper != "" && !strings.Contains(tree["/imp/cap"], "security.capability="+hex.EncodeToString(capValue)) {
		t.Errorf("imported: /imp/cap lacks its capability: %q", tree["/imp/cap"])
	}
	if !strings.HasSuffix(tree["/imp/link"], "first=/imp/link") || !strings.HasSuffix(tree["/imp/suid"], "first=/imp/link") {
		t.Errorf("imported: /imp/link and /imp/suid are not one inode: %q, %q", tree["/imp/link"], tree["/imp/suid"])
	}
	saved := filepath.Join(t.TempDir(), "imp-saved.tar")
	s.mustHull(t, "save", "-o", saved, "imp")
	fresh := newStore(t)
	sameTree(t, "import, save, load", tree, fresh.walkTree(t, fresh.load(t, saved)))
}

// load loads an archive into the store and returns the first image it
// names (or its id).
func (s *store) load(t *testing.T, path string) string {
	t.Helper()
	out := s.mustHull(t, "load", "-i", path)
	for _, prefix := range []string{"Loaded image: ", "Loaded image ID: "} {
		for _, l := range lines(out) {
			if name, ok := strings.CutPrefix(l, prefix); ok {
				return strings.TrimSpace(name)
			}
		}
	}
	t.Fatalf("load %s named no image: %q", path, out)
	return ""
}
