package container

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

const passwd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
app:x:1000:1000:App:/home/app:/bin/sh
`

const group = `root:x:0:root
bin:x:1:root,daemon
wheel:x:10:root,app
app:x:1000:
staff:x:50:app
`

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolveUser(t *testing.T) {
	lower := t.TempDir()
	writeFile(t, filepath.Join(lower, "etc/passwd"), passwd)
	writeFile(t, filepath.Join(lower, "etc/group"), group)
	layers := []string{lower}
	tests := []struct {
		spec string
		want User
		err  string
	}{
		{"", User{UID: 0, GID: 0, Home: "/root", AdditionalGIDs: []int{0, 1, 10}}, ""},
		{"app", User{UID: 1000, GID: 1000, Home: "/home/app", AdditionalGIDs: []int{10, 50}}, ""},
		{"1000", User{UID: 1000, GID: 1000, Home: "/home/app", AdditionalGIDs: []int{10, 50}}, ""},
		{"4242", User{UID: 4242, GID: 0, Home: "/"}, ""},
		{"app:staff", User{UID: 1000, GID: 50, Home: "/home/app"}, ""},
		{"daemon:77", User{UID: 1, GID: 77, Home: "/usr/sbin"}, ""},
		{"4242:4343", User{UID: 4242, GID: 4343, Home: "/"}, ""},
		{"nobody", User{}, "unable to find user nobody: no matching entries in passwd file"},
		{"app:nogroup", User{}, "unable to find group nogroup: no matching entries in group file"},
	}
	for _, tt := range tests {
		got, err := ResolveUser(tt.spec, layers)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: error %v, want %q", tt.spec, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %+v, %v; want %+v", tt.spec, got, err, tt.want)
		}
	}
}

func TestResolveUserNoPasswd(t *testing.T) {
	empty := t.TempDir()
	u, err := ResolveUser("", []string{empty})
	if err != nil || !reflect.DeepEqual(u, User{Home: "/"}) {
		t.Fatalf("got %+v, %v", u, err)
	}
	if u, err := ResolveUser("123:456", []string{empty}); err != nil || u.UID != 123 || u.GID != 456 {
		t.Fatalf("got %+v, %v", u, err)
	}
	if _, err := ResolveUser("someone", []string{empty}); err == nil {
		t.Fatal("name resolved without passwd")
	}
}

// whiteout makes an overlay whiteout (character device 0/0), which
// unprivileged users may create since Linux 5.8.
func whiteout(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mknod(path, unix.S_IFCHR|0o600, 0); err != nil {
		t.Skipf("cannot create whiteout: %v", err)
	}
}

func TestReadLayerFileOverlaySemantics(t *testing.T) {
	bottom, middle, top := t.TempDir(), t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(bottom, "etc/passwd"), passwd)
	writeFile(t, filepath.Join(bottom, "etc/group"), group)
	writeFile(t, filepath.Join(middle, "etc/passwd"), "only:x:7:7::/only:/bin/sh\n")

	// The upper file wins.
	u, err := ResolveUser("only", []string{middle, bottom})
	if err != nil || u.UID != 7 {
		t.Fatalf("upper passwd not used: %+v %v", u, err)
	}
	// A whiteout above hides every lower copy.
	whiteout(t, filepath.Join(top, "etc/passwd"))
	if b, err := readLayerFile([]string{top, middle, bottom}, "etc/passwd"); err != nil || b != nil {
		t.Fatalf("whiteout ignored: %q %v", b, err)
	}
	if _, err := ResolveUser("app", []string{top, middle, bottom}); err == nil || !strings.Contains(err.Error(), "unable to find user app") {
		t.Fatalf("whited-out passwd still used: %v", err)
	}
	// group still comes from the bottom layer through the others.
	if b, _ := readLayerFile([]string{top, middle, bottom}, "etc/group"); string(b) != group {
		t.Fatalf("group not found through layers: %q", b)
	}
}

func TestReadLayerFileWhiteoutDirAndSymlink(t *testing.T) {
	bottom, top := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(bottom, "etc/passwd"), passwd)
	whiteout(t, filepath.Join(top, "etc"))
	if b, _ := readLayerFile([]string{top, bottom}, "etc/passwd"); b != nil {
		t.Fatal("whited-out /etc still read")
	}
	// A symlink is never followed, even one pointing at a real passwd.
	link := t.TempDir()
	if err := os.MkdirAll(filepath.Join(link, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(bottom, "etc/passwd"), filepath.Join(link, "etc/passwd")); err != nil {
		t.Fatal(err)
	}
	if b, _ := readLayerFile([]string{link, bottom}, "etc/passwd"); b != nil {
		t.Fatal("symlinked passwd followed or lower layer used")
	}
}

func TestReadLayerFileOpaqueDir(t *testing.T) {
	bottom, top := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(bottom, "etc/passwd"), passwd)
	if err := os.MkdirAll(filepath.Join(top, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(filepath.Join(top, "etc"), "user.overlay.opaque", []byte("y"), 0); err != nil {
		t.Skipf("no user xattrs here: %v", err)
	}
	if b, _ := readLayerFile([]string{top, bottom}, "etc/passwd"); b != nil {
		t.Fatal("opaque /etc did not hide the lower passwd")
	}
}
