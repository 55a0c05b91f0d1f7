package archive

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/hull-project/hull/core/image"
)

// Annotations that carry an image's name in an OCI layout: the OCI one
// and the one Docker and containerd read.
const (
	annotationRefName  = "org.opencontainers.image.ref.name"
	annotationImageRef = "io.containerd.image.name"
)

// saved is one image to save and the names to save it under.
type saved struct {
	img   *image.Image
	names []string // normalised tags
}

// Save writes the images named by refs (names or ids) to o.Output, or to
// w when there is none. An image given by name keeps that name; one given
// by id is saved without names, as in Docker.
func Save(s *image.Store, refs []string, o SaveOptions, w io.Writer) error {
	imgs, err := collect(s, refs)
	if err != nil {
		return err
	}
	switch o.Format {
	case "", DockerArchive:
		return toFile(o.Output, w, func(w io.Writer) error { return writeDocker(s, imgs, w) })
	case OCIArchive:
		return toFile(o.Output, w, func(w io.Writer) error { return writeOCIArchive(s, imgs, w) })
	case OCIDir:
		if o.Output == "" {
			return fmt.Errorf("save: --format %s needs -o DIRECTORY", OCIDir)
		}
		return writeLayout(s, imgs, o.Output)
	}
	return fmt.Errorf("save: unknown format %q (docker-archive, oci-archive or oci-dir)", o.Format)
}

func collect(s *image.Store, refs []string) ([]*saved, error) {
	var out []*saved
	for _, ref := range refs {
		img, err := s.Lookup(ref)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(out, func(x *saved) bool { return x.img.ID == img.ID })
		if i < 0 {
			out = append(out, &saved{img: img})
			i = len(out) - 1
		}
		norm, err := image.NormalizeRef(ref)
		if err == nil && !strings.Contains(norm, "@") && slices.Contains(img.Names, norm) && !slices.Contains(out[i].names, norm) {
			out[i].names = append(out[i].names, norm)
		}
	}
	return out, nil
}

// toFile runs write on a new file at path (replaced only when complete)
// or on w.
func toFile(path string, w io.Writer, write func(io.Writer) error) error {
	if path == "" {
		return write(w)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".hull-save-*")
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	defer os.Remove(f.Name())
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

// writeDocker writes a docker-archive with uncompressed layers, named in
// Docker's familiar form ("busybox:latest") as `docker save` does.
func writeDocker(s *image.Store, imgs []*saved, w io.Writer) error {
	refs := map[name.Reference]v1.Image{}
	for _, sv := range imgs {
		vi, err := v1Image(s, sv.img)
		if err != nil {
			return err
		}
		if len(sv.names) == 0 {
			d, err := name.NewDigest("untagged@" + sv.img.Digest)
			if err != nil {
				return err
			}
			refs[d] = vi
		}
		for _, n := range sv.names {
			t, err := name.NewTag(image.FamiliarString(n))
			if err != nil {
				return err
			}
			refs[t] = vi
		}
	}
	return tarball.MultiRefWrite(refs, w)
}

// writeLayout writes an OCI image layout in dir, one index entry per name.
func writeLayout(s *image.Store, imgs []*saved, dir string) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	for _, sv := range imgs {
		vi, err := v1Image(s, sv.img)
		if err != nil {
			return err
		}
		names := sv.names
		if len(names) == 0 {
			names = []string{""}
		}
		for _, n := range names {
			var opts []layout.Option
			if n != "" {
				opts = append(opts, layout.WithAnnotations(map[string]string{annotationRefName: n, annotationImageRef: n}))
			}
			if err := p.AppendImage(vi, opts...); err != nil {
				return fmt.Errorf("save %s: %w", dir, err)
			}
		}
	}
	return nil
}

// writeOCIArchive writes an OCI layout to a temporary directory and tars it.
func writeOCIArchive(s *image.Store, imgs []*saved, w io.Writer) error {
	dir, err := os.MkdirTemp(s.Root(), fmt.Sprintf(".tmp-%d-save", os.Getpid()))
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeLayout(s, imgs, dir); err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	if err := tw.AddFS(os.DirFS(dir).(fs.FS)); err != nil {
		return fmt.Errorf("write OCI archive: %w", err)
	}
	return tw.Close()
}
