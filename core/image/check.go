package image

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// LayerChecker compares an unpacked layer directory with the tar it was
// unpacked from and returns one line per difference ("PATH: what"). Like
// the Unpacker it is injected, so that the caller can run it inside the
// user namespace that owns the files.
type LayerChecker func(r io.Reader, dir string) ([]string, error)

// CheckOptions control Check.
type CheckOptions struct {
	// Repair re-derives what can be: a layer directory that differs from
	// its blob (or has none) is removed, and unpacked again when the blob
	// is sound.
	Repair bool
	// InUse names what uses the unpacked layer hex (running containers
	// mount it); such a directory is reported, never replaced. "" when
	// nothing does.
	InUse func(hex string) string
}

// CheckProblem is one thing Check found wrong: the object (a blob, a
// layer directory or an image) and what is wrong with it.
type CheckProblem struct {
	Object   string
	What     string
	Repaired bool
}

func (p CheckProblem) String() string {
	if p.Repaired {
		return p.Object + ": " + p.What + " (repaired)"
	}
	return p.Object + ": " + p.What
}

var hexRE = lazyRE(`^[a-f0-9]{64}$`)

// Check verifies the store under its lock: every image's manifest and
// config, every blob against its digest, and every unpacked layer
// directory against its blob. A corrupt blob cannot be re-derived; its
// problem names the images that use it.
func (s *Store) Check(check LayerChecker, opts CheckOptions) ([]CheckProblem, error) {
	unlock, err := lockFile(filepath.Join(s.root, "store.lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	ix, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	c := &storeCheck{s: s, opts: opts, users: map[string][]string{}, corrupt: map[string]bool{}}
	c.images(ix)
	if err := c.blobs(); err != nil {
		return nil, err
	}
	if err := c.layers(check); err != nil {
		return nil, err
	}
	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Object < c.problems[j].Object })
	return c.problems, nil
}

// storeCheck is the state of one Check.
type storeCheck struct {
	s        *Store
	opts     CheckOptions
	users    map[string][]string // blob hex -> images using it
	corrupt  map[string]bool     // blob hex
	problems []CheckProblem
}

// add records a problem and returns its index.
func (c *storeCheck) add(object, format string, args ...any) int {
	c.problems = append(c.problems, CheckProblem{Object: object, What: fmt.Sprintf(format, args...)})
	return len(c.problems) - 1
}

// images records which image uses which blob and reports images whose
// manifest or config blob is missing or unreadable (corrupt blobs are
// reported by blobs, with their users).
func (c *storeCheck) images(ix *index) {
	for _, r := range ix.Images {
		name := imageLabel(r)
		c.use(r.Digest, name)
		c.use(r.ID, name)
		var m ocispec.Manifest
		if err := c.s.readJSON(digest.Digest(r.Digest), &m); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				c.add("image "+name, "manifest: %v", err)
			}
			continue
		}
		for _, d := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
			c.use(d.Digest.String(), name)
			if !c.s.hasLayer(d.Digest) {
				c.add("image "+name, "blob %s is missing; remove the image and pull or load it again", d.Digest)
			}
		}
	}
}

func (c *storeCheck) use(d, name string) {
	h := digest.Digest(d).Encoded()
	if !containsString(c.users[h], name) {
		c.users[h] = append(c.users[h], name)
	}
}

func imageLabel(r record) string {
	id := strings.TrimPrefix(r.ID, "sha256:")
	if len(id) > 12 {
		id = id[:12]
	}
	if len(r.Names) > 0 {
		return id + " (" + strings.Join(r.Names, ", ") + ")"
	}
	return id
}

// blobs recomputes every blob's digest.
func (c *storeCheck) blobs() error {
	entries, err := os.ReadDir(c.s.blobDir())
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		if !hexRE().MatchString(e.Name()) {
			c.add("blob "+e.Name(), "not named by a sha256 digest")
			continue
		}
		got, err := hashFile(filepath.Join(c.s.blobDir(), e.Name()))
		if err != nil {
			c.add("blob sha256:"+e.Name(), "%v", err)
			continue
		}
		if got == e.Name() {
			continue
		}
		c.corrupt[e.Name()] = true
		what := fmt.Sprintf("content does not match its digest (sha256:%s)", got)
		if users := c.users[e.Name()]; len(users) > 0 {
			what += "; used by image " + strings.Join(users, ", ")
		}
		c.add("blob sha256:"+e.Name(), "%s; it cannot be re-derived: remove the images that use it and pull or load them again", what)
	}
	return nil
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// layers checks every unpacked layer directory against its blob.
func (c *storeCheck) layers(check LayerChecker) error {
	entries, err := os.ReadDir(c.s.layerRoot())
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() || !hexRE().MatchString(e.Name()) {
			continue
		}
		if err := c.layer(check, e.Name()); err != nil {
			return err
		}
	}
	return nil
}

func (c *storeCheck) layer(check LayerChecker, hexName string) error {
	d := digest.NewDigestFromEncoded(digest.SHA256, hexName)
	object, dir := "layer "+d.String(), filepath.Join(c.s.layerRoot(), hexName)
	switch {
	case c.corrupt[hexName]:
		c.add(object, "not checked: its blob is corrupt")
		return nil
	case !c.s.hasBlob(d) && c.s.hasMeta(d):
		if err := c.assembled(d); err != nil {
			c.add(object, "%v; its tar is kept as its unpacked files and tar-split metadata, so it cannot be re-derived: remove the images that use it and pull or load them again", err)
			return nil
		}
	case !c.s.hasBlob(d):
		return c.repair(d, c.add(object, "unpacked directory has no blob"), false)
	}
	r, err := c.s.openBlob(d)
	if err != nil {
		return err
	}
	lines, err := check(r, dir)
	r.Close()
	if err != nil {
		c.add(object, "cannot check: %v", err)
		return nil
	}
	if len(lines) == 0 {
		return nil
	}
	first := len(c.problems)
	for _, l := range lines {
		c.add(object, "%s", l)
	}
	return c.repair(d, first, true)
}

// assembled checks that layer d, kept without its blob, is assembled from
// its directory into a tar of its digest.
func (c *storeCheck) assembled(d digest.Digest) error {
	a, ok := c.s.u.(Assembler)
	if !ok {
		return errors.New("has no blob, and this store cannot assemble it from its directory")
	}
	err := c.s.assembleCheck(a, d)
	if err != nil {
		err = errors.New(strings.TrimPrefix(err.Error(), "layer "+d.String()+": "))
	}
	return err
}

// repair replaces layer d's directory by a fresh unpack of its blob (or
// removes it when there is no blob), unless Repair is off or a running
// container uses it. The problems from index first on are marked
// repaired when it succeeds.
func (c *storeCheck) repair(d digest.Digest, first int, unpack bool) error {
	if !c.opts.Repair {
		return nil
	}
	object := "layer " + d.String()
	if c.opts.InUse != nil {
		if user := c.opts.InUse(d.Encoded()); user != "" {
			c.add(object, "not repaired: in use by %s; stop it and run the check again", user)
			return nil
		}
	}
	final := filepath.Join(c.s.layerRoot(), d.Encoded())
	if unpack && !c.s.hasBlob(d) {
		// The directory is the layer's only copy, and its files are
		// still the layer's (layer checked it): what differs is what
		// the tar's headers say (modes, owners). Unpack the tar it
		// gives, and keep it once again (after the lock is released).
		if err := c.s.restoreBlob(d); err != nil {
			c.add(object, "not repaired: %v", err)
			return nil
		}
		defer c.s.compact(d)
	}
	unlock, err := lockFile(final + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	aside := filepath.Join(c.s.layerRoot(), tmpName())
	if err := os.Rename(final, aside); err != nil {
		return fmt.Errorf("repair %s: %w", object, err)
	}
	if err := c.s.u.RemoveAll(aside); err != nil {
		return fmt.Errorf("repair %s: %w", object, err)
	}
	if unpack {
		if err := c.s.unpack(d, final); err != nil {
			c.add(object, "not repaired: unpack again: %v", err)
			return nil
		}
	}
	for i := first; i < len(c.problems); i++ {
		c.problems[i].Repaired = true
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
