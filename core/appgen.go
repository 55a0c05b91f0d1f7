//go:build apps

package core

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/pod"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// Compose's labels, which `hull compose` sets on its containers: generate
// recognises a project by them.
const (
	ComposeProjectLabel   = "com.docker.compose.project"
	ComposeServiceLabel   = "com.docker.compose.service"
	ComposeDependsOnLabel = "com.docker.compose.depends_on"
)

// AppGroup is what one argument of `generate kube|ecs` names: a pod, a
// lone container, or a compose project with its services.
type AppGroup struct {
	Kind    string // "pod", "container" or "project"
	Name    string
	Pod     *pod.Pod // for a pod
	Members []AppMember
}

// AppMember is one container with its image, as generate writes it.
type AppMember struct {
	Name      string // in its pod or project: the container's name without "POD-", or the service
	Service   string // compose service ("" outside a project)
	Container *container.Container
	// Image is the reference to write; Pushed tells whether the store has
	// it from a registry (pulled, or pushed with a digest recorded).
	Image       string
	Pushed      bool
	ImageConfig ocispec.ImageConfig
}

// AppGroups resolves each ref, in this order, to a pod, a container or
// the compose project whose containers carry that project label.
func (h *Hull) AppGroups(refs []string) ([]AppGroup, error) {
	all, err := h.Containers.List()
	if err != nil {
		return nil, err
	}
	var out []AppGroup
	for _, ref := range refs {
		g, err := h.appGroup(ref, all)
		if err != nil {
			return nil, err
		}
		out = append(out, *g)
	}
	return out, nil
}

func (h *Hull) appGroup(ref string, all []*container.Container) (*AppGroup, error) {
	if v, err := h.Pod(ref); err == nil {
		g := &AppGroup{Kind: "pod", Name: v.Name, Pod: v.Pod}
		// In the order they were made (kube play: the manifest's).
		members := append([]*container.Container(nil), v.Containers...)
		sort.SliceStable(members, func(i, j int) bool {
			if !members[i].Created.Equal(members[j].Created) {
				return members[i].Created.Before(members[j].Created)
			}
			return members[i].Name < members[j].Name
		})
		for _, c := range members {
			m, err := h.appMember(c, strings.TrimPrefix(c.Name, v.Name+"-"))
			if err != nil {
				return nil, err
			}
			g.Members = append(g.Members, *m)
		}
		if len(g.Members) == 0 {
			return nil, fmt.Errorf("pod %s has no containers", v.Name)
		}
		return g, nil
	} else if !errors.Is(err, pod.ErrNotFound) {
		return nil, err
	}
	if c, err := h.Containers.Lookup(ref); err == nil {
		m, err := h.appMember(c, c.Name)
		if err != nil {
			return nil, err
		}
		return &AppGroup{Kind: "container", Name: c.Name, Members: []AppMember{*m}}, nil
	} else if !errors.Is(err, container.ErrNotFound) {
		return nil, err
	}
	g := &AppGroup{Kind: "project", Name: ref}
	var members []*container.Container
	for _, c := range all {
		if c.Config.Labels[ComposeProjectLabel] == ref {
			members = append(members, c)
		}
	}
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	for _, c := range members {
		svc := c.Config.Labels[ComposeServiceLabel]
		if svc == "" {
			svc = c.Name
		}
		m, err := h.appMember(c, svc)
		if err != nil {
			return nil, err
		}
		m.Service = svc
		g.Members = append(g.Members, *m)
	}
	if len(g.Members) == 0 {
		return nil, fmt.Errorf("no such pod, container or compose project: %s", ref)
	}
	return g, nil
}

func (h *Hull) appMember(c *container.Container, name string) (*AppMember, error) {
	img, err := h.Images.Lookup(c.ImageID)
	if err != nil {
		return nil, fmt.Errorf("container %s: image %s: %w", c.Name, c.Image, err)
	}
	m := &AppMember{Name: name, Container: c, ImageConfig: img.Config.Config}
	m.Image, m.Pushed = imageReference(c.Image, img)
	return m, nil
}

// imageReference is the name a cluster pulls img by: the container's
// image name when the image has it, else its first tag, else its
// repository digest. The image counts as in a registry when its record
// has a repository digest (NAME@sha256:…), which a pull records.
func imageReference(given string, img *image.Image) (string, bool) {
	var tags, digests []string
	for _, n := range img.Names {
		if strings.Contains(n, "@") {
			digests = append(digests, n)
		} else {
			tags = append(tags, n)
		}
	}
	pushed := len(digests) > 0
	if norm, err := image.NormalizeRef(given); err == nil {
		for _, t := range tags {
			if t == norm {
				return norm, pushed
			}
		}
	}
	switch {
	case len(tags) > 0:
		return tags[0], pushed
	case len(digests) > 0:
		return digests[0], pushed
	}
	return img.ID, false
}

// PortsOf are the published ports of a group: its pod's, or its one
// container's own.
func (g *AppGroup) PortsOf(c *container.Container) []netspec.PortMapping {
	if g.Pod != nil {
		return g.Pod.Ports
	}
	return c.HostConfig.PortBindings
}

// KubeFiles reads back the ConfigMap and Secret files kube play wrote for
// a pod: bind source -> its files, by path. Only a played pod has any.
func (h *Hull) KubeFiles(podName string) (map[string]map[string]string, map[string]bool, error) {
	base := h.kubeDir(podName)
	out := map[string]map[string]string{}
	secret := map[string]bool{}
	for _, kind := range []string{"configmap", "secret"} {
		dir := filepath.Join(base, kind)
		r, err := os.OpenRoot(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, nil, err
		}
		err = fs.WalkDir(r.FS(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			vol, rel, ok := strings.Cut(p, "/")
			if !ok {
				return nil
			}
			data, err := fs.ReadFile(r.FS(), p)
			if err != nil {
				return err
			}
			src := filepath.Join(dir, vol)
			if out[src] == nil {
				out[src] = map[string]string{}
			}
			out[src][rel] = string(data)
			secret[src] = kind == "secret"
			return nil
		})
		r.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("read files of pod %s: %w", podName, err)
		}
	}
	return out, secret, nil
}
