//go:build apps

package core

import (
	"fmt"
	"path/filepath"

	"github.com/hull-project/hull/core/kube"
)

// GenerateKube writes the manifests of the pods, containers and compose
// projects refs names (a project: one workload per service). An image
// the store did not get from a registry is refused, unless allowLocal,
// which names it anyway with a warning: a cluster cannot pull it until
// it is pushed.
func (h *Hull) GenerateKube(refs []string, o kube.GenerateOptions, allowLocal bool) ([]byte, []string, error) {
	groups, err := h.AppGroups(refs)
	if err != nil {
		return nil, nil, fmt.Errorf("generate kube: %w", err)
	}
	var warnings []string
	var ws []kube.Workload
	for _, g := range groups {
		w, err := localImages(g, allowLocal)
		if err != nil {
			return nil, nil, fmt.Errorf("generate kube: %w", err)
		}
		warnings = append(warnings, w...)
		switch g.Kind {
		case "project":
			// One workload per service; its further containers are
			// replicas of the first.
			var svcs []*kube.Workload
			bySvc := map[string]*kube.Workload{}
			for _, m := range g.Members {
				if w := bySvc[m.Service]; w != nil {
					w.Replicas++
					continue
				}
				w := &kube.Workload{Name: m.Service, Ports: m.Container.HostConfig.PortBindings, Replicas: 1,
					Members: []kube.Member{kubeMember(m, nil)}}
				bySvc[m.Service] = w
				svcs = append(svcs, w)
			}
			for _, w := range svcs {
				ws = append(ws, *w)
			}
		case "pod":
			files, secret, err := h.KubeFiles(g.Name)
			if err != nil {
				return nil, nil, err
			}
			fvs := map[string]*kube.FileVolume{}
			for src, data := range files {
				fvs[src] = &kube.FileVolume{Name: filepath.Base(src), Secret: secret[src], Data: data}
			}
			w := kube.Workload{Name: g.Name, Labels: g.Pod.Labels, Ports: g.Pod.Ports}
			for _, m := range g.Members {
				w.Members = append(w.Members, kubeMember(m, fvs))
			}
			ws = append(ws, w)
		default:
			m := g.Members[0]
			ws = append(ws, kube.Workload{Name: g.Name + "-pod", Ports: m.Container.HostConfig.PortBindings,
				Members: []kube.Member{kubeMember(m, nil)}})
		}
	}
	out, w, err := kube.Generate(ws, o)
	return out, append(warnings, w...), err
}

func kubeMember(m AppMember, files map[string]*kube.FileVolume) kube.Member {
	return kube.Member{Name: m.Name, Container: m.Container, Image: m.Image, ImageConfig: m.ImageConfig, Files: files}
}

// localImages refuses (or, with allowLocal, warns about) the images of g
// that exist only in this store.
func localImages(g AppGroup, allowLocal bool) ([]string, error) {
	var warnings []string
	for _, m := range g.Members {
		if m.Pushed {
			continue
		}
		if !allowLocal {
			return nil, fmt.Errorf("image %s of container %s exists only locally (not pulled from or pushed to a registry): hull push it first, or give --allow-local", m.Image, m.Container.Name)
		}
		warnings = append(warnings, fmt.Sprintf("image %s of container %s exists only locally: a cluster cannot pull it until you hull push it", m.Image, m.Container.Name))
	}
	return warnings, nil
}
