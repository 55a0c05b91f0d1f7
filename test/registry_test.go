package test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// needPeer finds a peer program (docker-registry, skopeo, podman): in CI
// its absence fails the test, elsewhere the test says so and skips.
func needPeer(t *testing.T, prog string) string {
	t.Helper()
	path, err := exec.LookPath(prog)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed; .ci/run installs it", prog)
	}
	t.Skipf("%s is not installed: skipping (apt-get install it to run this test)", prog)
	return ""
}

// startRegistry runs Debian's docker-registry on a free port of 127.0.0.1
// with storage in a temporary directory, for the length of the test, and
// returns its host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	bin := needPeer(t, "docker-registry")
	if _, err := os.Stat("/usr/bin/docker-registry"); err == nil {
		bin = "/usr/bin/docker-registry"
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"+
		"storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "data"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start docker-registry: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("docker-registry did not answer on %s: %s", addr, logs.String())
	return ""
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestRegistryPushPullRun(t *testing.T) {
	reg := startRegistry(t)
	s := withBusybox(t)
	ref := reg + "/hull/busybox:v1"
	s.mustHull(t, "tag", "busybox", ref)
	out := s.mustHull(t, "push", ref)
	if !strings.Contains(out, "v1: digest: sha256:") {
		t.Errorf("push output lacks the digest line: %q", out)
	}
	digest := strings.Fields(out[strings.Index(out, "digest: ")+8:])[0]

	fresh := newStore(t)
	pulled := fresh.mustHull(t, "pull", ref)
	if !strings.Contains(pulled, "Digest: "+digest) {
		t.Errorf("pull reports another digest than push (%s): %q", digest, pulled)
	}
	if got := fresh.mustHull(t, "run", "--rm", ref, "echo", "pulled"); got != "pulled\n" {
		t.Errorf("run of the pulled image printed %q", got)
	}
	// The repo digest names the image too.
	fresh.mustHull(t, "inspect", "--format", "{{.Id}}", reg+"/hull/busybox@"+digest)

	// Pulling again downloads nothing.
	again := fresh.mustHull(t, "pull", ref)
	if !strings.Contains(again, "Already exists") {
		t.Errorf("second pull did not reuse the layer: %q", again)
	}
}

func TestRunPullPolicy(t *testing.T) {
	reg := startRegistry(t)
	s := withBusybox(t)
	ref := reg + "/policy/busybox:latest"
	s.mustHull(t, "tag", "busybox", ref)
	s.mustHull(t, "push", "-q", ref)

	fresh := newStore(t)
	_, stderr, code := fresh.hull(t, "run", "--rm", "--pull", "never", ref, "true")
	if code != 125 || !strings.Contains(stderr, "unable to find image") {
		t.Errorf("--pull never on a missing image: exit %d, %q", code, stderr)
	}
	if got := fresh.mustHull(t, "run", "--rm", ref, "echo", "auto"); got != "auto\n" {
		t.Errorf("run with the default --pull missing printed %q", got)
	}
	fresh.mustHull(t, "run", "--rm", "--pull", "always", ref, "true")
}

func TestDockerHubUnreachable(t *testing.T) {
	s := newStore(t)
	_, stderr, code := s.hull(t, "pull", "busybox")
	if code != 125 || !strings.Contains(stderr, "index.docker.io") {
		t.Errorf("pull busybox without internet: exit %d, %q (want a clear error naming index.docker.io)", code, stderr)
	}
	oneLineError(t, stderr)
}

func TestSkopeoInterop(t *testing.T) {
	skopeo := needPeer(t, "skopeo")
	reg := startRegistry(t)
	s := withBusybox(t)
	ref := reg + "/interop/busybox:v2"
	s.mustHull(t, "tag", "busybox", ref)
	s.mustHull(t, "push", ref)

	out, err := exec.Command(skopeo, "inspect", "--tls-verify=false", "docker://"+ref).CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"Architecture"`) {
		t.Fatalf("skopeo inspect of what hull pushed: %v\n%s", err, out)
	}
	for _, dest := range []string{"docker-archive", "oci-archive"} {
		file := filepath.Join(t.TempDir(), dest+".tar")
		target := dest + ":" + file + ":localhost/copied:" + dest
		if dest == "oci-archive" {
			target = dest + ":" + file
		}
		if out, err := exec.Command(skopeo, "copy", "--src-tls-verify=false", "docker://"+ref, target).CombinedOutput(); err != nil {
			t.Fatalf("skopeo copy to %s: %v\n%s", dest, err, out)
		}
		fresh := newStore(t)
		fresh.mustHull(t, "load", "-i", file)
		images := fresh.mustHull(t, "images", "-q")
		if len(lines(images)) != 1 {
			t.Fatalf("load of skopeo's %s: images -q = %q", dest, images)
		}
		id := strings.TrimSpace(images)
		if got := fresh.mustHull(t, "run", "--rm", id, "echo", "ok"); got != "ok\n" {
			t.Errorf("run of skopeo's %s printed %q", dest, got)
		}
	}
}

// multiLayerArchive writes a docker-archive of busybox plus two generated
// layers (one deleting a file of the other through a whiteout).
func multiLayerArchive(t *testing.T, tag string) string {
	t.Helper()
	base, err := tarball.LayerFromFile(busyboxTar)
	if err != nil {
		t.Fatal(err)
	}
	l2 := genLayer(t, tarEntry{Name: "data/", Type: tar.TypeDir}, tarEntry{Name: "data/one", Body: []byte("one\n")},
		tarEntry{Name: "data/gone", Body: []byte("x")})
	l3 := genLayer(t, tarEntry{Name: "data/two", Body: []byte("two\n")}, tarEntry{Name: "data/.wh.gone"})
	img, err := mutate.AppendLayers(empty.Image, base, l2, l3)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{Cmd: []string{"/bin/sh"}, Env: []string{"PATH=/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", hostArch()
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "multi.tar")
	tg, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(path, tg, img); err != nil {
		t.Fatal(err)
	}
	return path
}

func genLayer(t *testing.T, entries ...tarEntry) v1.Layer {
	t.Helper()
	path := makeTar(t, entries...)
	l, err := tarball.LayerFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRegistryMultiLayerRoundTrip(t *testing.T) {
	reg := startRegistry(t)
	s := newStore(t)
	ref := reg + "/multi/app:1"
	s.mustHull(t, "load", "-i", multiLayerArchive(t, ref))
	s.mustHull(t, "push", ref)
	fresh := newStore(t)
	fresh.mustHull(t, "pull", ref)
	out := fresh.mustHull(t, "run", "--rm", ref, "sh", "-c", "cat /data/one /data/two; ls /data")
	if out != "one\ntwo\none\ntwo\n" {
		t.Errorf("multi-layer image after push and pull: %q", out)
	}
	inspect := fresh.mustHull(t, "inspect", "--format", "{{len .RootFS.Layers}}", ref)
	if strings.TrimSpace(inspect) != "3" {
		t.Errorf("pulled image has %q layers, want 3", inspect)
	}
}

func TestConcurrentPullsShareStore(t *testing.T) {
	reg := startRegistry(t)
	s := newStore(t)
	ref := reg + "/conc/app:1"
	s.mustHull(t, "load", "-i", multiLayerArchive(t, ref))
	s.mustHull(t, "push", "-q", ref)

	fresh := newStore(t)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fresh.mustHull(t, "pull", "-q", ref)
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if got := fresh.mustHull(t, "run", "--rm", ref, "cat", "/data/two"); got != "two\n" {
		t.Errorf("run after concurrent pulls printed %q", got)
	}
	if imgs := lines(fresh.mustHull(t, "images", "-q")); len(imgs) != 1 {
		t.Errorf("concurrent pulls left %d images: %q", len(imgs), imgs)
	}
	// 3 layers, a config and a manifest: nothing duplicated or half-written.
	// A layer is a blob or, kept as its directory, tar-split metadata.
	blobs, _ := os.ReadDir(filepath.Join(fresh.root, "blobs", "sha256"))
	metas, _ := os.ReadDir(filepath.Join(fresh.root, "tarsplit"))
	seen := map[string]bool{}
	for _, e := range append(blobs, metas...) {
		if seen[e.Name()] {
			t.Errorf("layer %s is stored both as a blob and as tar-split metadata", e.Name())
		}
		seen[e.Name()] = true
	}
	if len(seen) != 5 {
		t.Errorf("store has %d blobs and metadata files after concurrent pulls, want 5", len(seen))
	}
}

// hostile is an in-process registry whose answers a test can spoil.
type hostile struct {
	addr   string
	mu     sync.Mutex
	tamper func(w http.ResponseWriter, r *http.Request) bool // true: answered
}

func startHostile(t *testing.T) *hostile {
	t.Helper()
	h := &hostile{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		tamper := h.tamper
		h.mu.Unlock()
		if tamper != nil && r.Header.Get("X-Untouched") == "" && tamper(w, r) {
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h.addr = strings.TrimPrefix(srv.URL, "http://")
	return h
}

// pushFixture uploads the multi-layer image to the hostile registry with
// go-containerregistry and returns the reference.
func (h *hostile) pushFixture(t *testing.T) (string, v1.Image) {
	t.Helper()
	ref := h.addr + "/evil/app:1"
	img, err := tarball.ImageFromPath(multiLayerArchive(t, ref), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("push fixture: %v", err)
	}
	return ref, img
}

func TestHostileRegistry(t *testing.T) {
	h := startHostile(t)
	ref, img := h.pushFixture(t)
	layers, _ := img.Layers()
	victim, _ := layers[1].Digest()
	victimDiffID, _ := layers[1].DiffID()
	blobPath := "/blobs/" + victim.String()
	cases := map[string]struct {
		tamper func(w http.ResponseWriter, r *http.Request) bool
		want   string
	}{
		"digest mismatch": {func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, blobPath) || r.Method != http.MethodGet {
				return false
			}
			// Same size, one byte of the gzip trailer's CRC changed.
			data := fetchBlob(t, h.addr, r.URL.Path)
			data[len(data)-5] ^= 0xff
			w.Write(data)
			return true
		}, "digest|checksum"},
		"truncated blob": {func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, blobPath) || r.Method != http.MethodGet {
				return false
			}
			data := fetchBlob(t, h.addr, r.URL.Path)
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
			w.Write(data[:len(data)/2])
			return true
		}, "layer"},
		"missing blob": {func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, blobPath) {
				return false
			}
			http.Error(w, `{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}`, http.StatusNotFound)
			return true
		}, "BLOB_UNKNOWN"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h.mu.Lock()
			h.tamper = c.tamper
			h.mu.Unlock()
			defer func() { h.mu.Lock(); h.tamper = nil; h.mu.Unlock() }()
			s := newStore(t)
			_, stderr, code := s.hull(t, "pull", "-q", ref)
			if code != 125 || !regexp.MustCompile(c.want).MatchString(stderr) {
				t.Errorf("pull from a registry with a %s: exit %d, %q (want an error about %q)", name, code, stderr, c.want)
			}
			oneLineError(t, stderr)
			if imgs := s.mustHull(t, "images", "-q"); imgs != "" {
				t.Errorf("a failed pull left images: %q", imgs)
			}
			if _, err := os.Stat(filepath.Join(s.root, "layers", victimDiffID.Hex)); err == nil {
				t.Errorf("the spoiled layer was unpacked")
			}
			if _, err := os.Stat(filepath.Join(s.root, "blobs", "sha256", victimDiffID.Hex)); err == nil {
				t.Errorf("the spoiled layer's blob was stored")
			}
		})
	}
}

// fetchBlob reads the real blob from the in-process registry, bypassing
// the tampering (it is called from within the tamper function, so it asks
// the inner handler directly through a second request with a marker).
func fetchBlob(t *testing.T, addr, path string) []byte {
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	req.Header.Set("X-Untouched", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return []byte("x")
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return data
}

func hostArch() string { return runtime.GOARCH }

// Ctrl-C during the pull of a foreground run's image ends hull there, as
// Docker's CLI: the signals that are kept for the container are caught
// only once the image is in hand.
func TestRunPullInterrupted(t *testing.T) {
	t.Parallel()
	h := startHostile(t)
	ref, _ := h.pushFixture(t)
	stalled := make(chan struct{}, 1)
	h.mu.Lock()
	h.tamper = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.Contains(r.URL.Path, "/blobs/") || r.Method != http.MethodGet {
			return false
		}
		select {
		case stalled <- struct{}{}:
		default:
		}
		<-r.Context().Done() // until hull hangs up
		return true
	}
	h.mu.Unlock()
	s := newStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, "run", "--rm", "--network", "none", ref, "true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-stalled:
	case err := <-exited:
		t.Fatalf("hull run ended before the pull: %v", err)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err == nil {
			t.Errorf("hull run given SIGINT during its pull succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("hull run did not end on SIGINT during its pull")
	}
	if out := s.mustHull(t, "ps", "-a", "-q"); out != "" {
		t.Errorf("ps -a -q after the interrupted pull: %q", out)
	}
	if out := s.mustHull(t, "images", "-q"); out != "" {
		t.Errorf("images after the interrupted pull: %q", out)
	}
}
