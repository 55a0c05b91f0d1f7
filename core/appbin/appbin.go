// Package appbin hands to a fuller hull what the default one does not
// link. Every linked package's init runs in every process, and every hull
// process pays it: each `hull run`, and each container's monitor, which
// stays for the container's life. So `make build` builds two more hulls
// and compresses them into this package (build tag appsbin) before
// building the default hull around them:
//
//   - the full hull (hull-full: plugin machinery, gRPC and go-plugin,
//     registries, archives), which builds that must run a step, network
//     plugins and registry and archive commands are handed to (Exec,
//     Command);
//   - the app hull (hull-apps: all of that, plus compose-go and its
//     JSON-schema compiler, Kubernetes' API types and the ECS mapping,
//     ~28,000 allocations and ~45 ms of CPU of package init more), for the
//     app-file commands, compose, kube and generate (ExecApps).
//
// Hull stays one file; each is extracted once per user and version into
// the user's cache, checked by SHA-256 at every use, and exec'd with the
// same argv and environment.
package appbin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/isolation/lease"
)

// ErrNotBuilt is Exec's answer in a hull built without the full binary.
var ErrNotBuilt = errors.New("this hull was built without app-file support (compose, kube, generate): build it with `make build`")

// ErrNeedsFullHull is the default hull's answer for work whose libraries
// only the full hull links (a pull, a push, an image archive, a remote
// build cache): returned before anything is written, so that the caller
// can hand the whole command to the full hull (Exec) and the user sees
// one command (docs/speed.md).
var ErrNeedsFullHull = errors.New("this needs the full hull")

// binary is one embedded hull: its zstd-compressed bytes, the hex SHA-256
// of the uncompressed ones and the name its cached copies start with.
type binary struct {
	prefix string
	packed []byte
	sum    string
}

func (b binary) embedded() bool { return len(b.packed) > 0 && len(b.sum) == 64 }

// name is the cached copy's name, the prefix and the sum's first 16 digits.
func (b binary) name() string { return b.prefix + "-" + b.sum[:16] }

// appsBin is the app hull; fullBin the full one, or the app hull where
// only that is embedded (it has everything the full one has).
func appsBin() binary { return binary{"hull-apps", packed, sum} }

func fullBin() binary {
	if b := (binary{"hull-full", packedFull, sumFull}); b.embedded() {
		return b
	}
	return appsBin()
}

// Embedded reports whether this hull carries a fuller one to hand over to.
func Embedded() bool { return fullBin().embedded() }

// pruneAge is how old another version's copy must be to be removed.
const pruneAge = 24 * time.Hour

var errMismatch = errors.New("content does not match the embedded binary")

// Exec replaces this process with the full hull, running argv (argv[0]
// included) with env. It returns only on failure.
func Exec(argv, env []string) error { return execBinary(fullBin(), argv, env) }

// ExecApps is Exec with the app hull, for compose, kube and generate.
func ExecApps(argv, env []string) error { return execBinary(appsBin(), argv, env) }

func execBinary(b binary, argv, env []string) error {
	f, err := open(b)
	if err != nil {
		return err
	}
	// Exec the file that was checked, by its descriptor, not its name:
	// nothing can swap the name in between. The kernel opens the
	// executable before it closes close-on-exec descriptors.
	f, err = leaseCheck(f, b)
	if err != nil {
		return err
	}
	name := f.Name()
	lfd := leanFD()
	err = unix.Exec("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), argv, withLean(env, lfd))
	if !strings.HasPrefix(name, "memfd:") && lease.ExecRefused(err) {
		// A writer waits for the lease to open the copy (it cannot
		// write before the lease goes, but the kernel counts it as
		// open for writing already), or the owner cut the copy short
		// (an open O_RDONLY|O_TRUNC breaks no read lease) or made it
		// unexecutable (chmod) under the lease: the embedded bytes from
		// a sealed memfd instead.
		f.Close()
		if f, err = embeddedMemfd(b); err == nil {
			err = unix.Exec("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), argv, withLean(env, lfd))
		}
	}
	if f != nil {
		f.Close()
	}
	if lfd >= 0 {
		unix.Close(lfd)
	}
	return fmt.Errorf("exec %s: %w", name, err)
}

// Command returns a command that runs the full hull as a child with
// args (args[0] included), for work the default hull does not link (a
// network plugin's gRPC): the file checked as Exec checks it, executed by
// its descriptor. Call done once the command has started (or will not):
// it closes that descriptor. The command must not set ExtraFiles: the
// child's descriptors 3 and up are set before the exec, and could cover
// the checked one's number.
func Command(args []string) (cmd *exec.Cmd, done func(), err error) {
	b := fullBin()
	f, err := open(b)
	if err == nil {
		f, err = leaseCheck(f, b)
	}
	if err != nil {
		return nil, nil, err
	}
	// The child execs /proc/self/fd/N before it closes its close-on-exec
	// descriptors, so the one checked here is the one it runs.
	cmd = &exec.Cmd{Path: "/proc/self/fd/" + strconv.Itoa(int(f.Fd())), Args: args}
	return cmd, func() { f.Close() }, nil
}

// open returns the checked copy of b, extracting it first when it is
// missing or does not match.
func open(b binary) (*os.File, error) {
	if !b.embedded() {
		return nil, ErrNotBuilt
	}
	dir, err := cacheDir()
	if err != nil {
		// No usable cache directory (no home, or one its owner made
		// unusable: chmod 000, a symlink, another's): the embedded bytes
		// from a sealed memfd, which use no directory at all, rather
		// than every handover failing until the user repairs it.
		slog.Debug("full hull from memory", "err", err)
		return embeddedMemfd(b)
	}
	name := filepath.Join(dir, b.name())
	f, err := openVerified(name, b.sum)
	if retry(err) {
		// Missing, or not the embedded binary, not a private plain file
		// its owner can read and execute (chmod 0 made every handover
		// fail), open for writing somewhere or under another's lease (a symlink
		// there is never followed): written again, renamed over whatever
		// is there, then opened and checked like any copy. Nothing that
		// touches the file system happens while the lease is held: a
		// stall there (a rename freeing a huge file planted at the name)
		// could outlast the lease.
		if err = extract(dir, name, b); err == nil {
			f, err = openVerified(name, b.sum)
		}
		if retry(err) {
			// Someone keeps changing it: the embedded bytes, in memory.
			f, err = embeddedMemfd(b)
		}
	}
	return f, err
}

// retry reports whether a copy that failed to open checked is to be
// written again (or, the second time, replaced by the embedded bytes).
func retry(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, errMismatch) || errors.Is(err, unix.ELOOP) ||
		errors.Is(err, unix.EAGAIN) || errors.Is(err, lease.ErrUnsupported) || errors.Is(err, os.ErrPermission)
}

// leaseCheck is the last check before an exec of f: a copy whose lease is
// gone or breaking (a writer waited out lease-break-time while this hull
// stalled) is not run; the embedded bytes, in memory, are. A memfd holds
// no lease and needs none: it is sealed.
func leaseCheck(f *os.File, b binary) (*os.File, error) {
	if strings.HasPrefix(f.Name(), "memfd:") || lease.Held(f) {
		return f, nil
	}
	f.Close()
	return embeddedMemfd(b)
}

// embeddedMemfd decompresses b into a sealed memfd.
func embeddedMemfd(b binary) (*os.File, error) {
	dec, err := zstd.NewReader(bytes.NewReader(b.packed), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("unpack the full hull: %w", err)
	}
	defer dec.Close()
	mem, err := lease.SealedMemfd(b.prefix, dec)
	if err != nil {
		return nil, fmt.Errorf("unpack the full hull to memory: %w", err)
	}
	return mem, nil
}

// cacheDir is $XDG_CACHE_HOME/hull/bin (or ~/.cache/hull/bin), made
// 0700, refused when another user owns it or can write to it (or to
// hull/ above it): whoever can write there chooses what hull executes.
func cacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("app-file binary cache: %w", err)
	}
	hull := filepath.Join(base, "hull")
	bin := filepath.Join(hull, "bin")
	if err := os.MkdirAll(bin, 0o700); err != nil {
		return "", fmt.Errorf("app-file binary cache %s: %w", bin, err)
	}
	for _, d := range []string{hull, bin} {
		var st unix.Stat_t
		if err := unix.Lstat(d, &st); err != nil {
			return "", fmt.Errorf("app-file binary cache %s: %w", d, err)
		}
		if err := private(d, &st, unix.S_IFDIR); err != nil {
			return "", err
		}
	}
	return bin, nil
}

// private refuses what is not of type kind, owned by this user and
// unwritable by others.
func private(path string, st *unix.Stat_t, kind uint32) error {
	switch {
	case st.Mode&unix.S_IFMT != kind:
		return fmt.Errorf("app-file binary cache %s: not a plain %s", path, map[uint32]string{unix.S_IFDIR: "directory", unix.S_IFREG: "file"}[kind])
	case int(st.Uid) != os.Geteuid():
		return fmt.Errorf("app-file binary cache %s: owned by uid %d, not by this user (%d)", path, st.Uid, os.Geteuid())
	case st.Mode&0o022 != 0:
		return fmt.Errorf("app-file binary cache %s: writable by other users (mode %#o)", path, st.Mode&0o777)
	case st.Mode&0o500 != 0o500:
		return fmt.Errorf("app-file binary cache %s: not readable and executable by its owner (mode %#o)", path, st.Mode&0o777)
	}
	return nil
}

// openVerified opens name (never through a symlink) and checks that it
// is this user's, private, and the embedded binary byte for byte (by
// SHA-256, sum), under a read lease (isolation/lease) that keeps anyone
// from changing it until the caller has executed it: the caller execs the
// returned descriptor, /proc/self/fd/N, before closing it. Where no lease
// can be had, the returned file is a sealed in-memory copy, checked as it
// was copied. A file that some process holds open for writing is
// refused (errMismatch): it is extracted again, as a new file.
func openVerified(name, sum string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0) // a FIFO there does not block
	if err != nil {
		return nil, err // names the file
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", name, err)
	}
	if err := private(name, &st, unix.S_IFREG); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w (%w)", err, errMismatch)
	}
	switch err := lease.Hold(f); {
	case errors.Is(err, lease.ErrUnsupported):
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	case errors.Is(err, lease.ErrOpenForWriting):
		f.Close()
		return nil, fmt.Errorf("%s: %v (%w)", name, err, errMismatch)
	case err != nil:
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != sum {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, errMismatch)
	}
	return f, nil
}

// extract writes the binary to name atomically: into a new file (O_EXCL)
// beside it, then renamed over whatever is there, and prunes other
// versions' copies; the caller opens and checks name as any copy.
// Concurrent extractions each write their own file; the last rename
// wins, and all are the same bytes.
func extract(dir, name string, b binary) error {
	tmp, err := os.CreateTemp(dir, "."+b.prefix+"-*")
	if err != nil {
		return fmt.Errorf("extract app-file binary: %w", err)
	}
	defer os.Remove(tmp.Name()) // once renamed, a no-op
	defer tmp.Close()
	dec, err := zstd.NewReader(bytes.NewReader(b.packed), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return fmt.Errorf("extract app-file binary: %w", err)
	}
	defer dec.Close()
	if _, err := io.Copy(tmp, dec); err != nil {
		return fmt.Errorf("extract app-file binary to %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o700); err != nil {
		return fmt.Errorf("extract app-file binary: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("extract app-file binary to %s: %w", tmp.Name(), err)
	}
	err = os.Rename(tmp.Name(), name)
	if err != nil {
		// A directory in the way (renaming over anything else
		// replaces it): removed, without following what is in it.
		if st, lerr := os.Lstat(name); lerr == nil && st.IsDir() {
			if err = os.RemoveAll(name); err == nil {
				err = os.Rename(tmp.Name(), name)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("extract app-file binary: %w", err)
	}
	prune(dir)
	return nil
}

// prune removes other versions' copies extracted over a day ago (best
// effort: each is 25-35 MB), by name in the directory's descriptor. Not
// younger ones: two hull versions in use at once would take turns
// extracting. This version's copies are kept, whatever their age. A hull
// that still runs a removed copy keeps it open; its next use extracts it
// again.
func prune(dir string) {
	keep := map[string]bool{}
	for _, b := range []binary{fullBin(), appsBin()} {
		if b.embedded() {
			keep[b.name()] = true
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return
	}
	for _, n := range names {
		var st unix.Stat_t
		if keep[n] || !versioned(n) || unix.Fstatat(int(d.Fd()), n, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		if time.Since(time.Unix(st.Mtim.Unix())) > pruneAge {
			unix.Unlinkat(int(d.Fd()), n, 0)
		}
	}
}

// versioned reports whether name is a copy's name, hull-apps-<16 hex> or
// hull-full-<16 hex> (not a regexp: a package-level one is init work in
// every hull process).
func versioned(name string) bool {
	h, ok := strings.CutPrefix(name, "hull-apps-")
	if !ok {
		h, ok = strings.CutPrefix(name, "hull-full-")
	}
	if !ok || len(h) != 16 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil && strings.ToLower(h) == h
}
