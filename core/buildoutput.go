package core

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hull-project/hull/builders"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/layer"
	"github.com/hull-project/hull/core/transfer"
)

// BuildOutput is `hull build -o`: where the result goes besides (or, with
// no -t, instead of) the image store.
type BuildOutput struct {
	// Type is local (the result's files into the directory Dest), tar (the
	// files as one tar), oci or docker (the image as `hull save` writes it).
	Type string
	// Dest is a directory for local, a file for the others; "-" is stdout.
	Dest string
}

// ParseBuildOutput parses -o: type=TYPE,dest=DEST, or a bare DEST meaning
// type=local (as Docker).
func ParseBuildOutput(s string) (BuildOutput, error) {
	if !strings.Contains(s, "=") {
		if s == "" || s == "-" {
			return BuildOutput{}, fmt.Errorf("invalid --output %q: a bare value is a directory (type=local,dest=DIR)", s)
		}
		return BuildOutput{Type: "local", Dest: s}, nil
	}
	var o BuildOutput
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "type":
			o.Type = v
		case "dest":
			o.Dest = v
		case "name", "compression", "oci-mediatypes", "push", "unpack":
			// Exporter attributes hull's exporters have no use for.
		default:
			return o, fmt.Errorf("invalid --output %q: unknown attribute %q", s, k)
		}
	}
	switch o.Type {
	case "local", "tar", "oci", "docker":
	case "image", "registry", "cacheonly":
		return o, fmt.Errorf("invalid --output %q: type=%s is not supported; use -t (and hull push)", s, o.Type)
	default:
		return o, fmt.Errorf("invalid --output %q: type must be local, tar, oci or docker", s)
	}
	if o.Dest == "" {
		return o, fmt.Errorf("invalid --output %q: dest= is missing", s)
	}
	if o.Type == "local" && o.Dest == "-" {
		return o, fmt.Errorf("invalid --output %q: type=local needs a directory", s)
	}
	return o, nil
}

func (h *Hull) buildScratch() string { return filepath.Join(h.Root, "builds") }

// exportBuild writes the built image img (named tags) as o says; stdout
// is where dest "-" goes.
func (h *Hull) exportBuild(img *image.Image, tags []string, o BuildOutput, stdout io.Writer) error {
	switch o.Type {
	case "local":
		if err := os.MkdirAll(o.Dest, 0o755); err != nil {
			return fmt.Errorf("export build to %s: %w", o.Dest, err)
		}
		return h.flatten(img, o.Dest)
	case "tar":
		return h.exportTar(img, o.Dest, stdout)
	}
	refs := tags
	if len(refs) == 0 {
		refs = []string{img.ID}
	}
	opts := transfer.SaveOptions{Format: transfer.DockerArchive}
	if o.Type == "oci" {
		opts.Format = transfer.OCIArchive
	}
	if o.Dest != "-" {
		opts.Output = o.Dest
	}
	if err := h.Save(refs, opts, stdout); err != nil {
		return fmt.Errorf("export build as %s: %w", o.Type, err)
	}
	return nil
}

// flatten applies img's layers in order to dir, as the user (owners are
// the user's, as with BuildKit's local exporter run rootless). Unpack
// keeps every entry inside dir.
func (h *Hull) flatten(img *image.Image, dir string) error {
	for _, l := range img.Manifest.Layers {
		rc, err := h.Images.OpenBlob(l.Digest.String())
		if err != nil {
			return fmt.Errorf("export build: layer %s: %w", l.Digest, err)
		}
		err = layer.Unpack(rc, dir, layer.Options{ApplyWhiteouts: true})
		rc.Close()
		if err != nil {
			return fmt.Errorf("export build to %s: %w", dir, err)
		}
	}
	return nil
}

// exportTar writes img's files as one tar (owners 0:0) to dest.
func (h *Hull) exportTar(img *image.Image, dest string, stdout io.Writer) error {
	wd, err := builders.NewWorkDir(h.buildScratch(), "export-"+randomHex())
	if err != nil {
		return err
	}
	defer wd.Release()
	defer removeTree(wd.Path)
	if err := h.flatten(img, wd.Path); err != nil {
		return err
	}
	w := stdout
	if dest != "-" {
		f, err := os.Create(dest)
		if err != nil {
			return fmt.Errorf("export build: %w", err)
		}
		defer f.Close()
		w = f
	}
	root := func(int, int) (int, int) { return 0, 0 }
	if err := layer.DiffWith(wd.Path, w, layer.DiffOptions{IDs: root}); err != nil {
		return fmt.Errorf("export build to %s: %w", dest, err)
	}
	if f, ok := w.(*os.File); ok && dest != "-" {
		return f.Close()
	}
	return nil
}
