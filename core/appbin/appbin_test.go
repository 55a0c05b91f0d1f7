package appbin

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hull-project/hull/isolation/lease"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// fake embeds content as the full binary for one test.
func fake(t *testing.T, content string) {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	oldPacked, oldSum := packed, sum
	h := sha256.Sum256([]byte(content))
	packed, sum = enc.EncodeAll([]byte(content), nil), hex.EncodeToString(h[:])
	t.Cleanup(func() { packed, sum = oldPacked, oldSum })
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

func TestExtractVerifyAndRepair(t *testing.T) {
	fake(t, "the full hull")
	dir, err := cacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("cache dir %s: %v %v, want mode 0700", dir, st.Mode(), err)
	}
	old := filepath.Join(dir, "hull-apps-0123456789abcdef")
	recent := filepath.Join(dir, "hull-apps-fedcba9876543210")
	for _, f := range []string{old, recent} {
		if err := os.WriteFile(f, []byte("another version"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Now().Add(-pruneAge - time.Hour)
	if err := os.Chtimes(old, day, day); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "hull-apps-"+sum[:16])
	if _, err := openVerified(name, sum); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("before extraction: %v, want not exist", err)
	}
	if err := extract(dir, name, appsBin()); err != nil {
		t.Fatal(err)
	}
	f, err := openVerified(name, sum)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if b, _ := os.ReadFile(name); string(b) != "the full hull" {
		t.Fatalf("extracted %q", b)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("another version's day-old copy was kept: %v", err)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("another version's recent copy was removed: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("cache holds %d files, want 2 (no temporary left)", len(ents))
	}
	// A copy changed after extraction is refused, never run.
	if err := os.WriteFile(name, []byte("the full hulk"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := openVerified(name, sum); !errors.Is(err, errMismatch) {
		t.Fatalf("changed copy: %v, want a mismatch", err)
	}
	// A symlink in its place is not followed.
	os.Remove(name)
	if err := os.Symlink("/bin/sh", name); err != nil {
		t.Fatal(err)
	}
	if _, err := openVerified(name, sum); err == nil {
		t.Fatal("a symlink was opened")
	}
}

func TestCacheDirRefusesWritableByOthers(t *testing.T) {
	fake(t, "x")
	dir, err := cacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(dir), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := cacheDir(); err == nil || !strings.Contains(err.Error(), "writable by other users") {
		t.Fatalf("cacheDir under a 0777 dir: %v", err)
	}
	os.Chmod(filepath.Dir(dir), 0o700)
	if err := os.Chmod(dir, 0o770); err != nil {
		t.Fatal(err)
	}
	if _, err := cacheDir(); err == nil || !strings.Contains(err.Error(), "writable by other users") {
		t.Fatalf("cacheDir 0770: %v", err)
	}
}

// A cache directory its owner made unusable (mode 0, writable by others,
// a symlink to a directory holding a planted copy) does not stop a
// handover: the embedded bytes run from a sealed memfd, and nothing in
// the directory is used.
func TestUnusableCacheDirRunsFromMemory(t *testing.T) {
	for _, spoil := range []string{"mode 0", "writable by others", "a symlink"} {
		t.Run(spoil, func(t *testing.T) {
			fake(t, "the full hull")
			dir, err := cacheDir()
			if err != nil {
				t.Fatal(err)
			}
			planted := t.TempDir()
			if err := os.WriteFile(filepath.Join(planted, fullBin().name()), []byte("planted"), 0o700); err != nil {
				t.Fatal(err)
			}
			switch spoil {
			case "mode 0":
				err = os.Chmod(dir, 0)
				t.Cleanup(func() { os.Chmod(dir, 0o700) })
			case "writable by others":
				err = os.Chmod(dir, 0o777)
			case "a symlink":
				if err = os.RemoveAll(dir); err == nil {
					err = os.Symlink(planted, dir)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			f, err := open(fullBin())
			if err != nil {
				t.Fatalf("open with the cache directory spoiled: %v", err)
			}
			defer f.Close()
			if !strings.HasPrefix(f.Name(), "memfd:") {
				t.Fatalf("ran %s, want the sealed memfd", f.Name())
			}
			if b, _ := os.ReadFile("/proc/self/fd/" + strconv.Itoa(int(f.Fd()))); string(b) != "the full hull" {
				t.Fatalf("memfd holds %q", b)
			}
		})
	}
}

func TestExecWithoutEmbeddedBinary(t *testing.T) {
	oldPacked, oldSum := packed, sum
	packed, sum = nil, ""
	defer func() { packed, sum = oldPacked, oldSum }()
	if err := Exec([]string{"hull", "compose"}, nil); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Exec: %v, want ErrNotBuilt", err)
	}
}

func TestVersioned(t *testing.T) {
	for name, want := range map[string]bool{
		"hull-apps-0123456789abcdef": true, "hull-apps-0123456789ABCDEF": false,
		"hull-full-0123456789abcdef": true, "hull-fulls-0123456789abcde": false,
		"hull-apps-0123": false, ".hull-apps-123456": false, "hull-apps-0123456789abcdeg": false,
	} {
		if versioned(name) != want {
			t.Errorf("versioned(%q) = %v", name, !want)
		}
	}
}

// Command runs the checked copy of the full binary as a child, by its
// descriptor, with the arguments given.
func TestCommandRunsTheCheckedCopy(t *testing.T) {
	echo, err := os.ReadFile("/bin/echo")
	if err != nil {
		t.Skip(err)
	}
	fake(t, string(echo))
	cmd, done, err := Command([]string{"echo", "from", "the full hull"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.Output()
	done()
	if err != nil || string(out) != "from the full hull\n" {
		t.Fatalf("Command: %q, %v", out, err)
	}
	if !strings.HasPrefix(cmd.Path, "/proc/self/fd/") {
		t.Fatalf("Command path %s: want the checked descriptor", cmd.Path)
	}
	// A copy changed behind hull's back is written again before it runs.
	dir, _ := cacheDir()
	if err := os.WriteFile(filepath.Join(dir, "hull-apps-"+sum[:16]), []byte("#!/bin/sh\necho evil\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd, done, err = Command([]string{"echo", "again"})
	if err != nil {
		t.Fatal(err)
	}
	out, err = cmd.Output()
	done()
	if err != nil || string(out) != "again\n" {
		t.Fatalf("Command after tampering: %q, %v", out, err)
	}
}

// A symlink at the copy's name is replaced by the binary, never followed.
func TestSymlinkedCopyReplaced(t *testing.T) {
	echo, err := os.ReadFile("/bin/echo")
	if err != nil {
		t.Skip(err)
	}
	fake(t, string(echo))
	dir, err := cacheDir()
	if err != nil {
		t.Fatal(err)
	}
	evil := filepath.Join(t.TempDir(), "evil")
	if err := os.WriteFile(evil, []byte("#!/bin/sh\necho evil\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "hull-apps-"+sum[:16])
	if err := os.Symlink(evil, name); err != nil {
		t.Fatal(err)
	}
	cmd, done, err := Command([]string{"echo", "ok"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.Output()
	done()
	if err != nil || string(out) != "ok\n" {
		t.Fatalf("Command with a symlink at the copy's name: %q, %v", out, err)
	}
	if fi, err := os.Lstat(name); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the symlink was not replaced: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(evil); string(b) != "#!/bin/sh\necho evil\n" {
		t.Errorf("the link's target was written: %q", b)
	}
}

// Exec, Command and builds go to the full hull; the app-file commands to
// the app hull; each is its own checked copy, and extracting one keeps
// this version's other one, however old.
func TestFullAndAppHulls(t *testing.T) {
	echo, err := os.ReadFile("/bin/echo")
	if err != nil {
		t.Skip(err)
	}
	fake(t, string(echo)+"apps")
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	oldPacked, oldSum := packedFull, sumFull
	h := sha256.Sum256(echo)
	packedFull, sumFull = enc.EncodeAll(echo, nil), hex.EncodeToString(h[:])
	t.Cleanup(func() { packedFull, sumFull = oldPacked, oldSum })
	if fullBin().prefix != "hull-full" || appsBin().prefix != "hull-apps" {
		t.Fatalf("binaries %q %q", fullBin().prefix, appsBin().prefix)
	}
	dir, err := cacheDir()
	if err != nil {
		t.Fatal(err)
	}
	apps, err := open(appsBin())
	if err != nil {
		t.Fatal(err)
	}
	apps.Close()
	appsName := filepath.Join(dir, appsBin().name())
	day := time.Now().Add(-pruneAge - time.Hour)
	if err := os.Chtimes(appsName, day, day); err != nil {
		t.Fatal(err)
	}
	cmd, done, err := Command([]string{"echo", "full"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.Output()
	done()
	if err != nil || string(out) != "full\n" {
		t.Fatalf("Command: %q, %v", out, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, fullBin().name())); err != nil || string(b) != string(echo) {
		t.Fatalf("the full hull's copy: %v", err)
	}
	if b, err := os.ReadFile(appsName); err != nil || string(b) != string(echo)+"apps" {
		t.Fatalf("this version's app hull, a day old, was pruned or changed: %v", err)
	}
}

// Whatever is at the copy's name that is not a private plain file (a
// FIFO, a directory, a file others can write) is replaced, not fatal; a
// copy some process holds open for writing is never run, but extracted
// again as a new file, which that writer cannot reach.
func TestUnusableCopyReplaced(t *testing.T) {
	echo, err := os.ReadFile("/bin/echo")
	if err != nil {
		t.Skip(err)
	}
	fake(t, string(echo))
	dir, err := cacheDir()
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "hull-apps-"+sum[:16])
	run := func(what string) {
		t.Helper()
		cmd, done, err := Command([]string{"echo", "ok"})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		out, err := cmd.Output()
		done()
		if err != nil || string(out) != "ok\n" {
			t.Fatalf("%s: %q, %v", what, out, err)
		}
		if fi, err := os.Lstat(name); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s: the copy is %v, %v", what, fi, err)
		}
	}
	if err := unix.Mkfifo(name, 0o600); err != nil {
		t.Fatal(err)
	}
	run("a FIFO at the name")
	os.Remove(name)
	if err := os.MkdirAll(filepath.Join(name, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	run("a directory at the name")
	if err := os.Chmod(name, 0o766); err != nil {
		t.Fatal(err)
	}
	run("a copy others can write")
	for _, mode := range []os.FileMode{0o600, 0} {
		if err := os.Chmod(name, mode); err != nil {
			t.Fatal(err)
		}
		run(fmt.Sprintf("a copy of mode %#o", mode)) // failed every handover: permission denied
	}
	w, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var held unix.Stat_t
	if err := unix.Fstat(int(w.Fd()), &held); err != nil {
		t.Fatal(err)
	}
	f, err := open(appsBin())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &got); err != nil {
		t.Fatal(err)
	}
	if got.Ino == held.Ino && got.Dev == held.Dev {
		t.Fatal("the copy open for writing elsewhere was returned to run")
	}
}

// A copy whose lease is gone or breaking is not run: the embedded bytes
// are, from a sealed memfd that cannot be written.
func TestLeaseCheckFallsBackToEmbedded(t *testing.T) {
	fake(t, "the full hull")
	f, err := open(appsBin())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := leaseCheck(f, appsBin()); err != nil || got != f {
		t.Fatalf("a copy under its lease: %v, %v", got, err)
	}
	// A writer breaks the lease (it waits for it in the kernel).
	go func() {
		if w, err := os.OpenFile(f.Name(), os.O_WRONLY, 0); err == nil {
			w.Close()
		}
	}()
	// Wait until the kernel shows the break (F_GETLEASE then reports the
	// type the lease is being broken to), however slow the machine.
	for deadline := time.Now().Add(20 * time.Second); lease.Held(f); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the writer's open did not break the lease")
		}
	}
	mem, err := leaseCheck(f, appsBin())
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if !strings.HasPrefix(mem.Name(), "memfd:") {
		t.Fatalf("a copy whose lease breaks was kept: %s", mem.Name())
	}
	if _, err := mem.WriteAt([]byte("x"), 0); err == nil {
		t.Fatal("wrote into the sealed copy")
	}
	if b, _ := os.ReadFile("/proc/self/fd/" + strconv.Itoa(int(mem.Fd()))); string(b) != "the full hull" {
		t.Fatalf("memfd holds %q", b)
	}
}
