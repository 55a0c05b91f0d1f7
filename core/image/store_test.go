package image

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestImportAndLookup(t *testing.T) {
	s := openStore(t)
	tarball := makeTar(t, map[string]string{"etc/hostname": "box\n", "bin/sh": "#!"})
	img, err := s.Import(bytes.NewReader(tarball), ImportOptions{
		Ref: "busybox", Changes: []string{"ENV A=1", "CMD [\"sh\"]"}, Source: "rootfs.tar"})
	if err != nil {
		t.Fatal(err)
	}
	if img.Names[0] != "docker.io/library/busybox:latest" {
		t.Errorf("names = %v", img.Names)
	}
	if img.Size != int64(len(tarball)) {
		t.Errorf("size = %d, want %d", img.Size, len(tarball))
	}
	c := img.Config
	if c.OS != runtime.GOOS || c.Architecture != runtime.GOARCH || c.Config.Env[0] != "A=1" ||
		!reflect.DeepEqual(c.Config.Cmd, []string{"sh"}) {
		t.Errorf("config = %+v", c)
	}
	if len(c.History) != 1 || c.History[0].Comment != "Imported from rootfs.tar" {
		t.Errorf("history = %+v", c.History)
	}
	if len(c.RootFS.DiffIDs) != 1 || c.RootFS.DiffIDs[0] != img.Manifest.Layers[0].Digest ||
		img.Manifest.Layers[0].MediaType != ocispec.MediaTypeImageLayer {
		t.Errorf("rootfs %+v vs manifest %+v", c.RootFS, img.Manifest.Layers)
	}
	if time.Since(img.Created) > time.Minute {
		t.Errorf("created = %v", img.Created)
	}
	hex := strings.TrimPrefix(img.ID, "sha256:")
	for _, q := range []string{"busybox", "busybox:latest", "docker.io/library/busybox:latest",
		"index.docker.io/library/busybox", img.ID, hex, hex[:1], "sha256:" + hex[:5],
		"busybox@" + img.Digest} {
		got, err := s.Lookup(q)
		if err != nil {
			t.Errorf("lookup %q: %v", q, err)
			continue
		}
		if got.ID != img.ID || !reflect.DeepEqual(got.Config, img.Config) || got.Digest != img.Digest {
			t.Errorf("lookup %q = %s", q, got.ID)
		}
	}
	for _, q := range []string{"busybox:1", "other", "sha256:" + strings.Repeat("0", 64), "Busybox", "nginx@" + img.Digest} {
		if _, err := s.Lookup(q); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), q) {
			t.Errorf("lookup %q: err = %v, want ErrNotFound naming it", q, err)
		}
	}
}

func TestImportCompressed(t *testing.T) {
	s := openStore(t)
	tarball := makeTar(t, map[string]string{"a": "compressed"})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarball)
	zw.Close()
	inputs := map[string][]byte{"gzip": gz.Bytes()}
	for _, prog := range []string{"bzip2", "xz", "zstd"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Logf("%s not installed, not tested", prog)
			continue
		}
		cmd := exec.Command(prog, "-c")
		cmd.Stdin = bytes.NewReader(tarball)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		inputs[prog] = out
	}
	for kind, in := range inputs {
		img, err := s.Import(bytes.NewReader(in), ImportOptions{})
		if err != nil {
			t.Errorf("%s: %v", kind, err)
			continue
		}
		if img.Size != int64(len(tarball)) || len(img.Names) != 0 {
			t.Errorf("%s: size %d names %v", kind, img.Size, img.Names)
		}
	}
	if _, err := s.Import(strings.NewReader(strings.Repeat("not a tarball ", 100)), ImportOptions{}); err == nil ||
		!strings.Contains(err.Error(), "not a tar archive") {
		t.Errorf("garbage input: err = %v", err)
	}
	if _, err := s.Import(bytes.NewReader(tarball), ImportOptions{Changes: []string{"RUN x"}}); err == nil {
		t.Error("bad --change accepted")
	}
	if _, err := s.Import(bytes.NewReader(tarball), ImportOptions{Ref: "UPPER"}); err == nil {
		t.Error("bad ref accepted")
	}
	assertNoTemps(t, s)
}

func assertNoTemps(t *testing.T, s *Store) {
	t.Helper()
	for _, d := range []string{s.root, s.blobDir(), s.layerRoot()} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				t.Errorf("temporary left behind: %s/%s", d, e.Name())
			}
		}
	}
}

func TestImagesNewestFirst(t *testing.T) {
	s := openStore(t)
	a := importTar(t, s, "a", "1")
	time.Sleep(2 * time.Millisecond)
	b := importTar(t, s, "b", "2")
	imgs, err := s.Images()
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2 || imgs[0].ID != b.ID || imgs[1].ID != a.ID {
		t.Errorf("order: %v, %v", imgs[0].Names, imgs[1].Names)
	}
}

func TestTagMovesName(t *testing.T) {
	s := openStore(t)
	a := importTar(t, s, "app:1", "a")
	b := importTar(t, s, "other", "b")
	if err := s.Tag("app:1", "app:latest"); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(b.ID[7:12], "app:1"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Lookup(a.ID)
	if !reflect.DeepEqual(got.Names, []string{"docker.io/library/app:latest"}) {
		t.Errorf("a names = %v", got.Names)
	}
	got, _ = s.Lookup("app:1")
	if got.ID != b.ID {
		t.Errorf("app:1 -> %s, want %s", got.ID, b.ID)
	}
	// Moving the last name leaves the old image dangling.
	if err := s.Tag("other", "app:latest"); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Lookup(a.ID)
	if len(got.Names) != 0 {
		t.Errorf("a should be dangling, names %v", got.Names)
	}
	if err := s.Tag("app:1", "x@sha256:"+strings.Repeat("a", 64)); err == nil {
		t.Error("tag with digest accepted")
	}
	if err := s.Tag("nope", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("tag missing: %v", err)
	}
	checkConsistent(t, s)
}

func TestRemove(t *testing.T) {
	s := openStore(t)
	img := importTar(t, s, "app:1", "a")
	s.Tag("app:1", "app:2")
	s.Tag("app:1", "mirror/app")
	dirs, err := s.LayerDirs(img)
	if err != nil {
		t.Fatal(err)
	}

	// By id with several names: conflict without force.
	_, err = s.Remove(img.ID, RemoveOptions{})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "referenced in multiple repositories") {
		t.Fatalf("rmi id: %v", err)
	}
	// By name: only untag.
	res, err := s.Remove("app:2", RemoveOptions{})
	if err != nil || !reflect.DeepEqual(names(res), []string{"Untagged: app:2"}) {
		t.Fatalf("rmi app:2 = %v, %v", names(res), err)
	}
	// Last name while a container uses the image: refused without force.
	inUse := func(id string) bool { return id == img.ID }
	s.Remove("mirror/app", RemoveOptions{})
	_, err = s.Remove("app:1", RemoveOptions{InUse: inUse})
	if !errors.Is(err, ErrInUse) || !errors.Is(err, ErrConflict) {
		t.Fatalf("rmi in use: %v", err)
	}
	// Forced: untagged, but kept for the container.
	res, err = s.Remove("app:1", RemoveOptions{InUse: inUse, Force: true})
	if err != nil || !reflect.DeepEqual(names(res), []string{"Untagged: app:1"}) {
		t.Fatalf("rmi -f in use = %v, %v", names(res), err)
	}
	if _, err := s.Lookup(img.ID); err != nil {
		t.Fatalf("image in use was deleted: %v", err)
	}
	if _, err := s.Remove(img.ID, RemoveOptions{InUse: inUse, Force: true}); !errors.Is(err, ErrInUse) {
		t.Fatalf("rmi -f dangling in use: %v", err)
	}
	// No longer used: deleted with its blobs and layer dir.
	res, err = s.Remove(img.ID[7:19], RemoveOptions{})
	if err != nil || !reflect.DeepEqual(names(res), []string{"Deleted: " + img.ID[:19]}) {
		t.Fatalf("rmi id = %v, %v", names(res), err)
	}
	if _, err := s.Lookup(img.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("lookup after rmi: %v", err)
	}
	if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
		t.Errorf("layer dir still there: %v", err)
	}
	if blobs, _ := os.ReadDir(s.blobDir()); len(blobs) != 0 {
		t.Errorf("%d blobs left", len(blobs))
	}
	if _, err := s.Remove("app:1", RemoveOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("rmi twice: %v", err)
	}
}

func TestRemoveByIDSingleName(t *testing.T) {
	s := openStore(t)
	img := importTar(t, s, "solo", "x")
	res, err := s.Remove(img.ID, RemoveOptions{})
	want := []string{"Untagged: solo:latest", "Deleted: " + img.ID[:19]}
	if err != nil || !reflect.DeepEqual(names(res), want) {
		t.Fatalf("got %v, %v", names(res), err)
	}
	img = importTar(t, s, "a", "y")
	s.Tag("a", "b")
	res, err = s.Remove(img.ID, RemoveOptions{Force: true})
	want = []string{"Untagged: a:latest", "Untagged: b:latest", "Deleted: " + img.ID[:19]}
	if err != nil || !reflect.DeepEqual(names(res), want) {
		t.Fatalf("forced: got %v, %v", names(res), err)
	}
}

func TestSharedLayerSurvivesRemove(t *testing.T) {
	s := openStore(t)
	base := importTar(t, s, "base", "shared")
	top, err := s.WriteLayer(bytes.NewReader(makeTar(t, map[string]string{"top": "1"})))
	if err != nil {
		t.Fatal(err)
	}
	child, err := s.AddImage(append(s.ImageLayers(base), top), ocispec.Image{}, "child")
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := s.LayerDirs(child)
	if err != nil {
		t.Fatal(err)
	}
	// Topmost first: the new layer, then the base.
	if _, err := os.Stat(filepath.Join(dirs[0], "top")); err != nil {
		t.Errorf("dirs[0] is not the top layer: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dirs[1], "file")); string(data) != "shared" {
		t.Errorf("dirs[1] is not the base layer")
	}
	if _, err := s.Remove("base", RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dirs[1]); err != nil {
		t.Errorf("shared layer removed: %v", err)
	}
	got, err := s.LayerDirs(child)
	if err != nil || !reflect.DeepEqual(got, dirs) {
		t.Errorf("layer dirs after rmi base: %v, %v", got, err)
	}
	checkConsistent(t, s)
}

func TestLayerDirsReunpacks(t *testing.T) {
	s := openStore(t)
	img := importTar(t, s, "x", "content")
	dirs, err := s.LayerDirs(img)
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dirs[0])
	dirs, err = s.LayerDirs(img)
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dirs[0], "file")); string(data) != "content" {
		t.Errorf("re-unpacked layer holds %q", data)
	}
}

func TestPrune(t *testing.T) {
	s := openStore(t)
	dangling := importTar(t, s, "", "d")
	used := importTar(t, s, "", "u")
	tagged := importTar(t, s, "t", "t")
	inUse := func(id string) bool { return id == used.ID }
	res, err := s.Prune(false, inUse)
	if err != nil || !reflect.DeepEqual(names(res), []string{"Deleted: " + dangling.ID[:19]}) {
		t.Fatalf("prune = %v, %v", names(res), err)
	}
	res, err = s.Prune(true, inUse)
	if err != nil || !reflect.DeepEqual(names(res), []string{"Untagged: t:latest", "Deleted: " + tagged.ID[:19]}) {
		t.Fatalf("prune -a = %v, %v", names(res), err)
	}
	imgs, _ := s.Images()
	if len(imgs) != 1 || imgs[0].ID != used.ID {
		t.Errorf("left: %v", imgs)
	}
	checkConsistent(t, s)
}

func TestCorruptBlob(t *testing.T) {
	s := openStore(t)
	img := importTar(t, s, "x", "good")
	layer := img.Manifest.Layers[0].Digest
	p, _ := s.blobPath(layer)
	data, _ := os.ReadFile(p)
	data[512] ^= 0xff // the first byte of the file content
	os.WriteFile(p, data, 0o600)
	// Import unpacked it; corruption shows when it is unpacked again.
	os.RemoveAll(filepath.Join(s.layerRoot(), layer.Encoded()))
	_, err := s.LayerDirs(img)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), layer.String()) {
		t.Fatalf("unpack corrupt layer: %v", err)
	}
	if entries, _ := os.ReadDir(s.layerRoot()); len(entries) != 1 { // only the .lock file
		t.Errorf("layer dir or temp left: %v", entries)
	}
	cp, _ := s.blobPath(img.Manifest.Config.Digest)
	os.WriteFile(cp, []byte(`{"architecture":"evil"}`), 0o600)
	if _, err := s.Lookup("x"); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), img.ID) {
		t.Fatalf("lookup corrupt config: %v", err)
	}
	// A sweep must not delete anything while it cannot read an image.
	importTar(t, s, "y", "other")
	if res, err := s.Remove("y", RemoveOptions{}); len(res) != 2 || !errors.Is(err, ErrCorrupt) {
		t.Errorf("remove beside a corrupt image: %v, %v", names(res), err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Errorf("blob deleted: %v", err)
	}
}

func TestCrashLeftovers(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root, fakeUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	img := importTar(t, s, "x", "before")
	// A dead process: spawn one and wait for it to exit, then use its pid.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	name := func() string {
		return strings.Replace(tmpName(), "-"+strconv.Itoa(os.Getpid())+"-", "-"+strconv.Itoa(dead)+"-", 1)
	}
	halfDir := filepath.Join(s.layerRoot(), name())
	os.MkdirAll(filepath.Join(halfDir, "usr/bin"), 0o755)
	halfBlob := filepath.Join(s.blobDir(), name())
	os.WriteFile(halfBlob, []byte("half a layer"), 0o600)
	halfIndex := filepath.Join(root, name())
	os.WriteFile(halfIndex, []byte(`{"images":[`), 0o600)
	mine := filepath.Join(s.blobDir(), tmpName()) // a live writer's file stays
	os.WriteFile(mine, nil, 0o600)

	s2, err := Open(root, fakeUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{halfDir, halfBlob, halfIndex} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s not cleaned: %v", p, err)
		}
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("live temporary removed: %v", err)
	}
	os.Remove(mine)
	if _, err := s2.Lookup(img.ID); err != nil {
		t.Fatal(err)
	}
	importTar(t, s2, "y", "after")
	if _, err := s2.LayerDirs(img); err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, s2)
}
