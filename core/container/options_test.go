package container

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hull-project/hull/isolation"
)

func str(s string) *string { return &s }

func TestCommandMerge(t *testing.T) {
	imgEP, imgCmd := []string{"/entry"}, []string{"default"}
	tests := []struct {
		name     string
		flagEP   *string
		cmd      []string
		wantEP   []string
		wantCmd  []string
		imgEP    []string
		imgCmdIn []string
	}{
		{"image defaults", nil, nil, imgEP, imgCmd, imgEP, imgCmd},
		{"args replace cmd", nil, []string{"x"}, imgEP, []string{"x"}, imgEP, imgCmd},
		{"entrypoint drops image cmd", str("/other"), nil, []string{"/other"}, []string{}, imgEP, imgCmd},
		{"entrypoint with args", str("/other"), []string{"a"}, []string{"/other"}, []string{"a"}, imgEP, imgCmd},
		{"empty entrypoint drops image cmd", str(""), nil, []string{}, []string{}, imgEP, imgCmd},
		{"empty entrypoint with args", str(""), []string{"ls"}, []string{}, []string{"ls"}, imgEP, imgCmd},
	}
	for _, tt := range tests {
		ep, cmd := command(tt.flagEP, tt.cmd, tt.imgEP, tt.imgCmdIn)
		if !slices.Equal(ep, tt.wantEP) || !slices.Equal(cmd, tt.wantCmd) {
			t.Errorf("%s: got %q %q, want %q %q", tt.name, ep, cmd, tt.wantEP, tt.wantCmd)
		}
	}
}

func testImage() ImageRef {
	return ImageRef{Name: "busybox", ID: "sha256:" + strings.Repeat("ab", 32), Config: ocispec.ImageConfig{
		Env: []string{"PATH=/bin"}, Cmd: []string{"sh"}, WorkingDir: "/srv", User: "app",
		Labels: map[string]string{"a": "b"},
	}}
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	o := Options{Cmd: []string{"ls", "-l", "/"}, Env: []string{"X=1"}, Volumes: []string{dir + ":/data:ro"},
		Tmpfs: []string{"/run:size=1m"}, CapAdd: []string{"net_admin"}, CapDrop: []string{"CAP_CHOWN"},
		Workdir: "/work//x/", User: "0:0", Tty: true, Interactive: true}
	c, err := New(o, testImage(), fakeLookup(nil), time.Unix(100, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ID) != 64 || c.Config.Hostname != c.ID[:12] {
		t.Errorf("id %q hostname %q", c.ID, c.Config.Hostname)
	}
	if c.Path != "ls" || !reflect.DeepEqual(c.Args, []string{"-l", "/"}) {
		t.Errorf("path %q args %q", c.Path, c.Args)
	}
	if !reflect.DeepEqual(c.Config.Env, []string{"X=1", "PATH=/bin"}) || c.Config.WorkingDir != "/work/x" || c.Config.User != "0:0" {
		t.Errorf("config %+v", c.Config)
	}
	if c.HostConfig.NetworkMode != "bridge" || !reflect.DeepEqual(c.HostConfig.CapAdd, []string{"CAP_NET_ADMIN"}) {
		t.Errorf("host config %+v", c.HostConfig)
	}
	isDir := true
	want := []MountPoint{{Type: "bind", Source: dir, Destination: "/data", Mode: "ro", RW: false, Propagation: "rprivate", HostPath: dir, HostPathDir: &isDir}}
	if !reflect.DeepEqual(c.Mounts, want) {
		t.Errorf("mounts %+v", c.Mounts)
	}
	if c.State.Status != StatusCreated {
		t.Errorf("status %q", c.State.Status)
	}
}

func TestNewErrors(t *testing.T) {
	img := testImage()
	noCmd := img
	noCmd.Config.Cmd = nil
	tests := []struct {
		o   Options
		img ImageRef
		err string
	}{
		{Options{}, noCmd, "no command specified"},
		{Options{Workdir: "rel"}, img, "the working directory 'rel' is invalid, it needs to be an absolute path"},
		{Options{Network: "none:x=1"}, img, "network none takes no options"},
		{Options{Volumes: []string{"my vol:/data"}}, img, "invalid characters for a local volume name"},
		{Options{Volumes: []string{"-vol:/data"}}, img, "invalid characters for a local volume name"},
		{Options{Volumes: []string{"data"}}, img, "invalid volume specification"},
		{Options{Volumes: []string{"/does/not/exist:/data"}}, img, "bind source path does not exist: /does/not/exist"},
		{Options{Volumes: []string{"/tmp:/data:rx"}}, img, "invalid mode: rx"},
		{Options{Volumes: []string{"/tmp:/"}}, img, "destination can't be '/'"},
		{Options{Mounts: []string{"type=volume,src=../x,target=/x"}}, img, "invalid volume name"},
		{Options{Mounts: []string{"type=bind,src=/tmp,target=/x,volume-nocopy"}}, img, "volume-nocopy is only valid for type=volume"},
		{Options{Volumes: []string{"v:/a"}, Mounts: []string{"type=tmpfs,target=/a"}}, img, "duplicate mount point: /a"},
		{Options{Mounts: []string{"type=bind,target=/x"}}, img, "field Source must not be empty"},
		{Options{Mounts: []string{"type=tmpfs,source=/tmp,target=/x"}}, img, "field Source must not be specified"},
		{Options{Mounts: []string{"type=bind,source=/tmp,target=/x,bogus=1"}}, img, "unexpected key 'bogus'"},
		{Options{Tmpfs: []string{"/x:weird"}}, img, `invalid tmpfs option "weird"`},
		{Options{CapAdd: []string{"CAP_FLY"}}, img, `unknown capability: "CAP_FLY"`},
		{Options{SecurityOpt: []string{"apparmor=unconfined"}}, img, `invalid --security-opt: "apparmor=unconfined"`},
		{Options{SecurityOpt: []string{"seccomp=/some/profile.json"}}, img, "read seccomp profile: open /some/profile.json: no such file or directory"},
		{Options{Volumes: []string{"/tmp:/a"}, Mounts: []string{"type=tmpfs,target=/a"}}, img, "duplicate mount point: /a"},
		{Options{EnvFiles: []string{"/does/not/exist"}}, img, "read env file"},
	}
	for _, tt := range tests {
		_, err := New(tt.o, tt.img, fakeLookup(nil), time.Now())
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%+v: error %v, want %q", tt.o, err, tt.err)
		}
	}
}

// A host name is one word of RFC 1123's letters: a newline would add a
// line of the caller's making to the container's /etc/hosts.
func TestHostnameRefused(t *testing.T) {
	for _, h := range []string{"h\n6.6.6.6 evil", "a b", "-x", ".x", "a/b", strings.Repeat("a", 65)} {
		if _, err := New(Options{Hostname: h}, testImage(), fakeLookup(nil), time.Now()); err == nil || !strings.Contains(err.Error(), "invalid hostname") {
			t.Errorf("hostname %q: %v, want invalid hostname", h, err)
		}
	}
	for _, h := range []string{"box1", "my_host.example-1", strings.Repeat("a", 64)} {
		if c, err := New(Options{Hostname: h}, testImage(), fakeLookup(nil), time.Now()); err != nil || c.Config.Hostname != h {
			t.Errorf("hostname %q: %v", h, err)
		}
	}
}

func TestHostNetworkHostname(t *testing.T) {
	c, err := New(Options{Network: "host"}, testImage(), fakeLookup(nil), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h, _ := os.Hostname()
	if c.Config.Hostname != h {
		t.Fatalf("hostname %q, want host's %q", c.Config.Hostname, h)
	}
}

func TestSpec(t *testing.T) {
	layer := t.TempDir()
	writeFile(t, layer+"/etc/passwd", passwd)
	writeFile(t, layer+"/etc/group", group)
	o := Options{User: "app", Tmpfs: []string{"/tmp:exec,size=64k"}, ReadOnly: true, Init: true,
		SecurityOpt: []string{"no-new-privileges", "seccomp=unconfined"}, CapDrop: []string{"all"}, CapAdd: []string{"kill"}}
	c, err := New(o, testImage(), fakeLookup(nil), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m := isolation.Mapping{UIDs: []isolation.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}}, GIDs: []isolation.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}}}
	s, err := c.Spec(SpecInput{Layers: []string{layer}, Mapping: m, UpperDir: "/u", WorkDir: "/w", MountDir: "/m", StateDir: "/s"})
	if err != nil {
		t.Fatal(err)
	}
	if s.UID != 1000 || s.GID != 1000 || !reflect.DeepEqual(s.AdditionalGIDs, []int{10, 50}) || s.Cwd != "/srv" || !s.CreateCwd {
		t.Errorf("user/cwd: %+v", s)
	}
	if !reflect.DeepEqual(s.Capabilities, []string{"CAP_KILL"}) || !s.NoNewPrivileges || s.Seccomp || !s.Init || !s.Rootfs.ReadOnly {
		t.Errorf("privileges: caps %q nnp %v seccomp %v init %v ro %v", s.Capabilities, s.NoNewPrivileges, s.Seccomp, s.Init, s.Rootfs.ReadOnly)
	}
	wantMounts := []isolation.Mount{{Type: "tmpfs", Source: "tmpfs", Destination: "/tmp", Options: []string{"nosuid", "nodev", "size=65536"}}}
	if !reflect.DeepEqual(s.Mounts, wantMounts) {
		t.Errorf("mounts %+v", s.Mounts)
	}
	if s.Files["/etc/hostname"] != c.Config.Hostname+"\n" || !strings.Contains(s.Files["/etc/hosts"], "127.0.1.1\t"+c.Config.Hostname) {
		t.Errorf("files %q", s.Files)
	}
	if !reflect.DeepEqual(s.Env, []string{"PATH=/bin", "HOSTNAME=" + c.Config.Hostname, "HOME=/home/app"}) {
		t.Errorf("env %q", s.Env)
	}
	if len(s.MaskedPaths) == 0 || len(s.ReadonlyPaths) == 0 || s.Args[0] != "sh" {
		t.Errorf("masked %q readonly %q args %q", s.MaskedPaths, s.ReadonlyPaths, s.Args)
	}
}

func TestSpecSingleMapping(t *testing.T) {
	layer := t.TempDir()
	writeFile(t, layer+"/etc/passwd", passwd)
	writeFile(t, layer+"/etc/group", group)
	single := isolation.Mapping{UIDs: []isolation.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}, GIDs: []isolation.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}}
	c, err := New(Options{User: "root"}, testImage(), fakeLookup(nil), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Spec(SpecInput{Layers: []string{layer}, Mapping: single})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.AdditionalGIDs, []int{0}) {
		t.Errorf("unmapped supplementary groups kept: %v", s.AdditionalGIDs)
	}
	c.Config.User = "app"
	if _, err := c.Spec(SpecInput{Layers: []string{layer}, Mapping: single}); err == nil || !strings.Contains(err.Error(), "not mapped") {
		t.Errorf("unmapped user accepted: %v", err)
	}
}

func TestLabels(t *testing.T) {
	f := t.TempDir() + "/labels"
	if err := os.WriteFile(f, []byte("# comment\n\n  from=file\nbare\nover=file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ParseLabels([]string{f}, []string{"over=flag", "a=c", "eq=x=y"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"from": "file", "bare": "", "over": "flag", "a": "c", "eq": "x=y"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("labels %v, want %v", got, want)
	}
	if _, err := ParseLabels(nil, []string{"=x"}); err == nil || !strings.Contains(err.Error(), "empty name") {
		t.Errorf("empty name: %v", err)
	}
	if err := os.WriteFile(f, []byte("a b=c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseLabels([]string{f}, nil); err == nil {
		t.Error("a name with a space in a label file was accepted")
	}
	img := testImage()
	c, err := New(Options{Labels: []string{"a=mine", "x=1"}}, img, fakeLookup(nil), time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Config.Labels, map[string]string{"a": "mine", "x": "1"}) || img.Config.Labels["a"] != "b" {
		t.Errorf("merged labels %v, image's %v", c.Config.Labels, img.Config.Labels)
	}
	if !MatchLabel(c.Config.Labels, "a") || !MatchLabel(c.Config.Labels, "a=mine") || MatchLabel(c.Config.Labels, "a=b") ||
		MatchLabel(c.Config.Labels, "nope") {
		t.Error("MatchLabel")
	}
}

// runAsNonRoot, as the kubelet checks it: a numeric non-zero user passes;
// root, no user, or a name (which cannot be checked) is refused.
func TestNonRoot(t *testing.T) {
	for user, ok := range map[string]bool{
		"1000": true, "1000:0": true, "65534:65534": true,
		"": false, "0": false, "0:1000": false, "root": false, "nobody": false, "1000x": false,
	} {
		if err := nonRoot(user); (err == nil) != ok {
			t.Errorf("nonRoot(%q) = %v, want ok=%v", user, err, ok)
		}
	}
}

// A bind source is resolved once, at create (a link the user gave is
// followed then); every start binds that path, nofollow, even after the
// source was swapped for a link to elsewhere (outside review: a container
// writing in a bind source's parent could redirect the next start).
func TestBindSourcePinnedAtCreate(t *testing.T) {
	layer := t.TempDir()
	writeFile(t, layer+"/etc/passwd", passwd)
	writeFile(t, layer+"/etc/group", group)
	home := t.TempDir()
	data, secret := home+"/data", home+"/secret"
	for _, d := range []string{data + "/sub", secret} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(data, home+"/link"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, home+"/f", "x")
	o := Options{User: "root", Volumes: []string{home + "/link:/data", data + "/sub:/sub:ro", home + "/f:/f"},
		Mounts: []string{"type=bind,source=" + home + "/link/sub,target=/m"}}
	c, err := New(o, testImage(), fakeLookup(nil), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The container replaces data/sub with a link to the user's secret.
	if err := os.Remove(data + "/sub"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, data+"/sub"); err != nil {
		t.Fatal(err)
	}
	single := isolation.Mapping{UIDs: []isolation.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}, GIDs: []isolation.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}}
	s, err := c.Spec(SpecInput{Layers: []string{layer}, Mapping: single})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"/data": data, "/sub": data + "/sub", "/m": data + "/sub", "/f": home + "/f"}
	for _, m := range s.Mounts {
		if want[m.Destination] == "" {
			continue
		}
		kind := isolation.MountSourceDir
		if m.Destination == "/f" {
			kind = isolation.MountSourceFile
		}
		if m.Source != want[m.Destination] || !slices.Contains(m.Options, isolation.MountNoFollow) || !slices.Contains(m.Options, kind) {
			t.Errorf("%s: source %s options %q, want %s nofollow %s", m.Destination, m.Source, m.Options, want[m.Destination], kind)
		}
		delete(want, m.Destination)
	}
	if len(want) != 0 {
		t.Errorf("binds missing from the spec: %v", want)
	}
	for _, mp := range c.Mounts {
		if mp.Destination == "/data" && (mp.Source != home+"/link" || mp.HostPath != data) {
			t.Errorf("/data: Source %s HostPath %s, want the user's path and its resolution", mp.Source, mp.HostPath)
		}
	}
}
