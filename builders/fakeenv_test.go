package builders

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hull-project/hull/builders/copier"
	"github.com/hull-project/hull/builders/dockerfile"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/plugins/sdk"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// A fake Env for the engine's tests: an image store in a temp dir, users
// from nowhere, and a step runner that starts no container. RUN steps are
// a small language of their own (the shell-form command's words):
//
//	write PATH TEXT   write TEXT to PATH in the step's upper dir
//	fail              exit 1
//	meet              wait until a second `meet` runs (at most 10s, else
//	                  exit 1): two stages that meet ran at the same time
//	anything else     exit 0, changing nothing
//
// The copy and mkdir tasks run in process on the step's upper dir, as the
// current user; a --from source's layers are merged into a temp dir.

// fakeStore is the image store: images by name, layers by diff_id.
type fakeStore struct {
	dir     string
	mu      sync.Mutex
	images  map[string]*Image
	layers  map[string]string // diff_id -> dir
	commits int               // CommitLayer calls that stored a layer
}

func (s *fakeStore) Image(ctx context.Context, ref string) (*Image, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	img, ok := s.images[ref]
	if !ok {
		return nil, fmt.Errorf("image %q: not found", ref)
	}
	c := *img
	c.Layers = append([]Layer(nil), img.Layers...)
	return &c, nil
}

func (s *fakeStore) Layer(diffID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, ok := s.layers[diffID]
	return dir, ok
}

func (s *fakeStore) CommitLayer(diff func(io.Writer) error, upper string) (Layer, error) {
	var buf bytes.Buffer
	if err := diff(&buf); err != nil {
		return Layer{}, err
	}
	data := buf.Bytes()
	sum := sha256.Sum256(data)
	l := Layer{DiffID: "sha256:" + hex.EncodeToString(sum[:]), Dir: filepath.Join(s.dir, hex.EncodeToString(sum[:]))}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commits++
	if _, ok := s.layers[l.DiffID]; ok {
		return l, os.RemoveAll(upper)
	}
	if err := os.Rename(upper, l.Dir); err != nil {
		return Layer{}, err
	}
	s.layers[l.DiffID] = l.Dir
	return l, nil
}

// drop removes a layer, as a prune does.
func (s *fakeStore) drop(t *testing.T, diffID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.RemoveAll(s.layers[diffID]); err != nil {
		t.Fatal(err)
	}
	delete(s.layers, diffID)
}

// fakeContainers knows root only.
type fakeContainers struct{}

func (fakeContainers) ResolveUser(spec string, dirs []string) (User, error) {
	if spec == "" || spec == "root" || spec == "0" {
		return User{Home: "/root"}, nil
	}
	return User{}, fmt.Errorf("unable to find user %s", spec)
}

func (fakeContainers) Accounts(dirs []string) (map[string]int, map[string]int, error) {
	return map[string]int{"root": 0}, map[string]int{"root": 0}, nil
}

func (fakeContainers) ProcessEnv(config []string, hostname, home string) []string {
	return append([]string{"PATH=/fake/bin", "HOSTNAME=" + hostname}, config...)
}

// fakeRun is one RUN the runner saw.
type fakeRun struct {
	cmd string
	env []string
	cwd string
}

// fakeRunner is the StepRunner.
type fakeRunner struct {
	mu    sync.Mutex
	runs  []fakeRun
	tasks map[string]int
	met   int
	meet  chan struct{}
}

func (r *fakeRunner) StartStep(ctx context.Context, s StepSpec) (StepProcess, error) {
	if s.Spec.Task != nil {
		return fakeStep{isolation.ExitStatus{}}, r.task(s.Spec, s.Stdio.Stdout)
	}
	args := s.Spec.Args
	cmd := args[len(args)-1]
	r.mu.Lock()
	r.runs = append(r.runs, fakeRun{cmd: cmd, env: s.Spec.Env, cwd: s.Spec.Cwd})
	r.mu.Unlock()
	words := strings.Fields(cmd)
	code := 0
	switch {
	case len(words) == 3 && words[0] == "write":
		if err := os.WriteFile(filepath.Join(s.Spec.Rootfs.UpperDir, words[1]), []byte(words[2]), 0o644); err != nil {
			return nil, err
		}
	case cmd == "fail":
		code = 1
	case cmd == "meet":
		code = r.rendezvous()
	}
	return fakeStep{isolation.ExitStatus{Code: code}}, nil
}

func (r *fakeRunner) rendezvous() int {
	r.mu.Lock()
	r.met++
	if r.met == 2 {
		close(r.meet)
	}
	r.mu.Unlock()
	select {
	case <-r.meet:
		return 0
	case <-time.After(10 * time.Second):
		return 1
	}
}

func (r *fakeRunner) task(spec *isolation.Spec, stdout io.Writer) error {
	r.mu.Lock()
	r.tasks[spec.Task.Name]++
	r.mu.Unlock()
	upper := spec.Rootfs.UpperDir
	switch spec.Task.Name {
	case "mkdir":
		return mkdirTask(upper, nil, spec.Task.Args)
	case "copy":
		var op copier.Op
		if err := json.Unmarshal(spec.Task.Args, &op); err != nil {
			return err
		}
		uid, gid := os.Getuid(), os.Getgid()
		op.UID, op.GID = &uid, &gid
		args, _ := json.Marshal(op)
		var sources []string
		for _, src := range spec.Task.Sources {
			dir := src.Dir
			if dir == "" {
				var err error
				if dir, err = mergeLayers(src.Layers); err != nil {
					return err
				}
				defer os.RemoveAll(dir)
			}
			sources = append(sources, dir)
		}
		if stdout == nil {
			stdout = io.Discard
		}
		return copyTaskTo(stdout, upper, sources, args)
	}
	return fmt.Errorf("fake runner: task %s is not faked", spec.Task.Name)
}

// mergeLayers copies the regular files and dirs of layers (topmost
// first) into a new temp dir, as an overlay shows them.
func mergeLayers(layers []string) (string, error) {
	out, err := os.MkdirTemp("", "fake-merge-")
	if err != nil {
		return "", err
	}
	for i := len(layers) - 1; i >= 0; i-- {
		root := layers[i]
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(out, rel), 0o755)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(out, rel), data, 0o644)
		})
		if err != nil {
			return "", err
		}
	}
	return out, nil
}

// fakeEnv is a build environment over the fakes, with the image "base"
// (one empty layer, PATH set) in its store.
type fakeEnv struct {
	Env
	store  *fakeStore
	runner *fakeRunner
	ctxDir string
	out    bytes.Buffer
}

func newFakeEnv(t *testing.T) *fakeEnv {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"store", "work", "state", "cache", "context", "store/base-layer"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	store := &fakeStore{dir: filepath.Join(root, "store"), images: map[string]*Image{}, layers: map[string]string{}}
	base := "sha256:" + strings.Repeat("0", 64)
	store.layers[base] = filepath.Join(root, "store/base-layer")
	store.addImage("base", &Image{ID: "sha256:" + strings.Repeat("b", 64),
		Config:    ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}},
		RunConfig: sdk.Config{Env: []string{"PATH=/usr/bin"}},
		Layers:    []Layer{{DiffID: base, Dir: store.layers[base]}}})
	runner := &fakeRunner{tasks: map[string]int{}, meet: make(chan struct{})}
	f := &fakeEnv{store: store, runner: runner, ctxDir: filepath.Join(root, "context")}
	f.Env = Env{
		Images: store, Containers: fakeContainers{}, Steps: runner,
		Mapping: isolation.Single(os.Getuid(), os.Getgid()),
		WorkDir: filepath.Join(root, "work"), StateDir: filepath.Join(root, "state"), CacheDir: filepath.Join(root, "cache"),
		Handler: func(keyword string) (Handler, bool, error) {
			if !dockerfile.IsKeyword(keyword) {
				return Handler{}, false, nil
			}
			return Handler{Handler: builtinHandler(), Plugin: "builtin", Version: "test"}, true, nil
		},
	}
	return f
}

func (s *fakeStore) addImage(name string, img *Image) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.images[name] = img
}

// file writes a file of the build context.
func (f *fakeEnv) file(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.ctxDir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// build runs df with opts' build args, target and no-cache.
func (f *fakeEnv) build(t *testing.T, df string, opts Options) (*Result, error) {
	t.Helper()
	f.out.Reset()
	opts.ContextDir, opts.Dockerfile, opts.DockerfileName = f.ctxDir, []byte(df), "Dockerfile"
	opts.Out, opts.Progress = &f.out, "plain"
	return Build(context.Background(), f.Env, opts)
}

// mustBuild is build that fails the test on an error.
func (f *fakeEnv) mustBuild(t *testing.T, df string, opts Options) *Result {
	t.Helper()
	res, err := f.build(t, df, opts)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, f.out.String())
	}
	return res
}

// runCmds lists the RUN commands the runner saw, in order.
func (f *fakeEnv) runCmds() []string {
	f.runner.mu.Lock()
	defer f.runner.mu.Unlock()
	var out []string
	for _, r := range f.runner.runs {
		out = append(out, r.cmd)
	}
	return out
}

// layerFile reads a file of one of res's layers, "" when it has none.
func (f *fakeEnv) layerFile(t *testing.T, diffID, name string) string {
	t.Helper()
	dir, ok := f.store.Layer(diffID)
	if !ok {
		t.Fatalf("layer %s is not in the store", diffID)
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return ""
	}
	return string(data)
}

// envValue finds name in a KEY=value list.
func envValueOf(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}
