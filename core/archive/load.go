package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/layer"
	"github.com/hull-project/hull/core/registry"
	"golang.org/x/sys/unix"
)

// Load reads a docker-archive, an OCI archive or an OCI layout directory
// at path ("" or "-": r, which is spooled to a temporary file first) and
// stores every image in it under the names it carries.
func Load(s *image.Store, path string, r io.Reader, p registry.Progress) ([]Loaded, error) {
	shown := "stdin"
	if path != "" && path != "-" {
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			return loadLayout(s, path, p)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		defer f.Close()
		r, shown = f, path
	}
	plain, kind, closeDec, err := decompress(r)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", shown, err)
	}
	defer closeDec()
	if kind == "" && shown != "stdin" {
		return loadFile(s, path, shown, p) // a plain file is read in place
	}
	// Archives are read out of order: stdin and compressed ones are
	// spooled, plain, to a file that goes when the load ends.
	tmp, err := spool(s, plain)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", shown, err)
	}
	defer os.Remove(tmp)
	return loadFile(s, tmp, shown, p)
}

// spool copies r to a temporary file in the store.
func spool(s *image.Store, r io.Reader) (string, error) {
	f, err := os.CreateTemp(s.Root(), fmt.Sprintf(".tmp-%d-load", os.Getpid()))
	if err != nil {
		return "", err
	}
	_, err = io.Copy(image.ReserveWriter(f), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("read archive: %w", err)
	}
	return f.Name(), nil
}

// loadFile loads the plain archive at path; errors name it as shown (the
// user's file or "stdin", never a temporary file).
func loadFile(s *image.Store, path, shown string, p registry.Progress) ([]Loaded, error) {
	loaded, err := loadPlainFile(s, path, p)
	if err != nil {
		// The OCI branch unpacks to a temporary directory: its name, too, means nothing to the user.
		tmp := regexp.MustCompile(regexp.QuoteMeta(filepath.Join(s.Root(), ".tmp-")) + `[0-9]+-load[0-9]+`)
		if msg := tmp.ReplaceAllLiteralString(strings.ReplaceAll(err.Error(), path, shown), shown); msg != err.Error() {
			err = errors.New(msg)
		}
	}
	return loaded, err
}

func loadPlainFile(s *image.Store, path string, p registry.Progress) ([]Loaded, error) {
	kind, err := archiveKind(path)
	if err != nil {
		return nil, err
	}
	if kind == DockerArchive {
		return loadDocker(s, path, p)
	}
	dir, err := os.MkdirTemp(s.Root(), fmt.Sprintf(".tmp-%d-load", os.Getpid()))
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := extract(path, dir); err != nil {
		return nil, err
	}
	return loadLayout(s, dir, p)
}

// archiveKind tells a docker-archive (manifest.json) from an OCI archive
// (index.json).
func archiveKind(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("load: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	oci := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("load %s: not a tar archive: %w", path, err)
		}
		switch filepath.Clean(hdr.Name) {
		case "manifest.json":
			return DockerArchive, nil
		case "index.json":
			oci = true
		}
	}
	if oci {
		return OCIArchive, nil
	}
	return "", fmt.Errorf("load %s: neither a docker-archive (no manifest.json) nor an OCI archive (no index.json)", path)
}

func loadDocker(s *image.Store, path string, p registry.Progress) ([]Loaded, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(path) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	var out []Loaded
	for _, d := range m {
		var tag *name.Tag
		if len(d.RepoTags) > 0 {
			t, err := name.NewTag(d.RepoTags[0])
			if err != nil {
				return out, fmt.Errorf("load %s: %w", path, err)
			}
			tag = &t
		} else if len(m) > 1 {
			return out, fmt.Errorf("load %s: an untagged image among several is not supported", path)
		}
		img, err := tarball.Image(opener, tag)
		if err != nil {
			return out, fmt.Errorf("load %s: %w", path, err)
		}
		got, err := registry.Store(s, img, p, d.RepoTags...)
		if err != nil {
			return out, fmt.Errorf("load %s: %w", path, err)
		}
		out = append(out, Loaded{ID: got.ID, Names: d.RepoTags})
	}
	return out, nil
}

// loadLayout stores every image of an OCI layout, named by its
// annotations; a bare tag ("latest", as skopeo writes) names nothing.
func loadLayout(s *image.Store, dir string, p registry.Progress) ([]Loaded, error) {
	if err := checkLayoutDir(dir); err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	var out []Loaded
	for _, d := range im.Manifests {
		img, err := layoutImage(idx, d)
		if err != nil {
			return out, fmt.Errorf("load %s: %w", dir, err)
		}
		names := layoutNames(d.Annotations)
		got, err := registry.Store(s, img, p, names...)
		if err != nil {
			return out, fmt.Errorf("load %s: %w", dir, err)
		}
		out = append(out, Loaded{ID: got.ID, Names: names})
	}
	return out, nil
}

// checkLayoutDir refuses an OCI layout directory that holds anything but
// directories and regular files. The layout is read by path (by
// go-containerregistry), so a symlink in it, at index.json or at blobs/,
// would make the load read a host file; none has a reason to be there.
func checkLayoutDir(dir string) error {
	return layer.Walk(dir, func(rel string, st *unix.Stat_t) error {
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR, unix.S_IFREG:
			return nil
		case unix.S_IFLNK:
			return fmt.Errorf("%s is a symlink: %w", rel, errUnsafeEntry)
		}
		return fmt.Errorf("%s is a special file: %w", rel, errUnsafeEntry)
	})
}

// layoutImage returns the image a layout's index entry points at; a nested
// index gives its entry for the host platform.
func layoutImage(idx v1.ImageIndex, d v1.Descriptor) (v1.Image, error) {
	if !d.MediaType.IsIndex() {
		return idx.Image(d.Digest)
	}
	child, err := idx.ImageIndex(d.Digest)
	if err != nil {
		return nil, err
	}
	cm, err := child.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, c := range cm.Manifests {
		if c.Platform == nil || hostPlatform(c.Platform) {
			return layoutImage(child, c)
		}
	}
	return nil, fmt.Errorf("index %s has no image for this platform", d.Digest)
}

func layoutNames(ann map[string]string) []string {
	for _, key := range []string{annotationImageRef, annotationRefName} {
		n := ann[key]
		if n == "" {
			continue
		}
		if _, err := image.NormalizeRef(n); err == nil && strings.ContainsAny(n, "/:") {
			return []string{n}
		}
	}
	return nil
}

// extract unpacks an OCI archive into dir: directories and regular files
// with local names only, so that a hostile archive cannot write elsewhere.
func extract(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load %s: %w", path, err)
		}
		if err := extractEntry(tr, hdr, dir); err != nil {
			return fmt.Errorf("load %s: entry %q: %w", path, hdr.Name, err)
		}
	}
}

var errUnsafeEntry = errors.New("not allowed in an OCI archive")

func extractEntry(tr *tar.Reader, hdr *tar.Header, dir string) error {
	name := filepath.Clean(hdr.Name)
	if !filepath.IsLocal(name) {
		return fmt.Errorf("path leaves the archive: %w", errUnsafeEntry)
	}
	target := filepath.Join(dir, name)
	switch hdr.Typeflag {
	case tar.TypeDir:
		return os.MkdirAll(target, 0o700)
	case tar.TypeReg:
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return err
		}
		out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return fmt.Errorf("type %q: links and special files are %w", hdr.Typeflag, errUnsafeEntry)
}

func hostPlatform(p *v1.Platform) bool {
	host, _ := registry.Platform("")
	return p.OS == host.OS && p.Architecture == host.Architecture
}
