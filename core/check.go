package core

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/layer"
	"github.com/hull-project/hull/isolation"
)

// SystemCheck verifies the image store (hull system check): every blob
// against its digest and every unpacked layer directory against its
// blob. With repair it replaces the layer directories that differ (those
// of running containers excepted) by a fresh unpack; corrupt blobs are
// only reported.
func (h *Hull) SystemCheck(repair bool) ([]image.CheckProblem, error) {
	inUse, err := h.layersInUse()
	if err != nil {
		return nil, err
	}
	return h.Images.Check(h.checkLayer, image.CheckOptions{Repair: repair,
		InUse: func(hex string) string { return inUse[hex] }})
}

// layersInUse maps the layers of running containers' images (hex) to one
// such container.
func (h *Hull) layersInUse() (map[string]string, error) {
	cs, err := h.Containers.List()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, c := range cs {
		if !c.State.Running {
			continue
		}
		img, err := h.Images.Lookup(c.ImageID)
		if err != nil {
			continue // its image's problems are the check's to report
		}
		for _, l := range img.Manifest.Layers {
			out[l.Digest.Encoded()] = "running container " + container.ShortID(c.ID)
		}
	}
	return out, nil
}

// checkLayer compares a layer directory with its tar inside a user
// namespace with the store's mapping, where every file of the layer is
// readable and shows the owner unpack gave it.
func (h *Hull) checkLayer(r io.Reader, dir string) ([]string, error) {
	var out bytes.Buffer
	if err := isolation.RunHelperOutput(h.Mapping, r, &out, "check", dir); err != nil {
		return nil, err
	}
	var lines []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, sc.Err()
}

// checkLayerMain is the helper's side of checkLayer: one difference per
// line on w.
func checkLayerMain(r io.Reader, dir string, w io.Writer) error {
	problems, err := layer.Check(r, dir, layer.CheckOptions{Chown: true})
	if err != nil {
		return err
	}
	for _, p := range problems {
		if _, err := fmt.Fprintln(w, strings.ReplaceAll(p.String(), "\n", " ")); err != nil {
			return err
		}
	}
	return nil
}
