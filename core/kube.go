//go:build apps

package core

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hull-project/hull/core/kube"
	"github.com/hull-project/hull/core/volume"
	"github.com/hull-project/hull/isolation"
)

// kubeDir is where kube play keeps a pod's ConfigMap and Secret files:
// $ROOT/kube/<pod>/{configmap,secret}/<volume>/, bound read-only into its
// containers (generate reads them back as what they were).
func (h *Hull) kubeDir(podName string) string { return filepath.Join(h.Root, "kube", podName) }

// claimKind is the kube.LabelKind of a volume kube play made for a
// PersistentVolumeClaim.
const claimKind = "PersistentVolumeClaim"

// KubePlayResult is what play made.
type KubePlayResult struct {
	Pods       []string // names
	Containers []string // ids
}

// KubePlay creates what plan describes: the claims' volumes, then each
// pod, its files and its containers, started. Names in use and host paths
// are checked before anything is made; a later failure removes every pod
// and volume this play made.
func (h *Hull) KubePlay(plan *kube.Plan, o kube.PlayOptions, warn io.Writer) (*KubePlayResult, error) {
	existing, err := h.podsByName()
	if err != nil {
		return nil, err
	}
	for _, pp := range plan.Pods {
		if _, ok := existing[pp.Name]; ok {
			return nil, fmt.Errorf("kube play: pod %s exists: remove it first (hull kube down FILE)", pp.Name)
		}
		for _, cp := range pp.Containers {
			if _, err := h.Containers.Lookup(cp.Options.Name); err == nil {
				return nil, fmt.Errorf("kube play: container name %s is in use", cp.Options.Name)
			}
		}
	}
	if err := h.checkServiceNames(plan, existing); err != nil {
		return nil, err
	}
	for _, pp := range plan.Pods {
		for _, n := range pp.EmptyDirs {
			if _, err := h.Volume(n); err == nil {
				return nil, fmt.Errorf("kube play: pod %s: emptyDir volume %s exists already (left by an earlier play?): remove it first", pp.Name, n)
			}
		}
		if err := h.checkHostPaths(pp, o.HostPathRoot); err != nil {
			return nil, fmt.Errorf("kube play: pod %s: %w", pp.Name, err)
		}
	}
	// All or nothing: a failure removes what this play made.
	var made []*kube.PodPlan
	var madeClaims []string
	undo := func() {
		for _, pp := range made {
			_ = h.kubeRemovePod(pp)
		}
		for _, n := range madeClaims {
			_ = h.RemoveVolume(n, true)
		}
	}
	for _, name := range plan.Claims {
		if _, err := h.Volume(name); err == nil {
			continue
		}
		// The label tells down --volumes which claims' volumes play made.
		if _, err := h.CreateVolume(name, volume.CreateOptions{Labels: map[string]string{kube.LabelKind: claimKind}}); err != nil {
			undo()
			return nil, fmt.Errorf("kube play: volume %s: %w", name, err)
		}
		madeClaims = append(madeClaims, name)
	}
	res := &KubePlayResult{}
	for _, pp := range plan.Pods {
		made = append(made, pp)
		ids, err := h.playPod(pp, warn)
		if err != nil {
			undo()
			return nil, fmt.Errorf("kube play: pod %s: %w", pp.Name, err)
		}
		res.Pods = append(res.Pods, pp.Name)
		res.Containers = append(res.Containers, ids...)
	}
	return res, nil
}

// checkServiceNames refuses a Service whose name is already a container's
// or another pod's: the network's DNS answers every holder of a name, so
// the Service would take a share of the traffic meant for that container
// (a kube file must not capture another application's name).
func (h *Hull) checkServiceNames(plan *kube.Plan, pods map[string]string) error {
	taken := map[string]string{}
	for name := range pods {
		taken[name] = "pod " + name
	}
	all, err := h.Containers.List()
	if err != nil {
		return err
	}
	for _, c := range all {
		if c.Name != "" {
			taken[c.Name] = "container " + c.Name
		}
	}
	for _, pp := range plan.Pods {
		for _, a := range pp.Aliases {
			if holder, ok := taken[a]; ok {
				return fmt.Errorf("kube play: service %s: the name is %s's: a Service must not answer for another's name on network %s", a, holder, pp.Network)
			}
		}
	}
	return nil
}

func (h *Hull) playPod(pp *kube.PodPlan, warn io.Writer) ([]string, error) {
	po := PodCreateOptions{Name: pp.Name, Hostname: pp.Hostname, Labels: pp.Labels, Publish: pp.Publish}
	if pp.Network != "" {
		po.Network, po.Aliases = []string{pp.Network}, pp.Aliases
	}
	if _, err := h.CreatePod(po); err != nil {
		return nil, err
	}
	for _, n := range pp.EmptyDirs {
		if _, err := h.CreateVolume(n, volume.CreateOptions{Labels: map[string]string{kube.LabelName: pp.Name}}); err != nil {
			return nil, err
		}
	}
	dirs, err := h.writeFileSets(pp)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, cp := range pp.Containers {
		opts := cp.Options
		opts.Volumes = append([]string(nil), opts.Volumes...)
		for _, f := range cp.Files {
			opts.Volumes = append(opts.Volumes, dirs[f.Volume]+":"+f.Target+":ro")
		}
		opts.Pod = pp.Name
		id, _, err := h.RunDetached(RunOptions{Options: opts, Image: cp.Image, Detach: true, Pull: cp.Pull, Warnings: warn})
		if err != nil {
			return ids, fmt.Errorf("container %s: %w", opts.Name, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// checkHostPaths resolves each hostPath inside the --host-path-root (a
// symlink may not lead out of it) and makes DirectoryOrCreate ones.
//
// The check is made once, here, but a container of the play (or one
// already running) that mounts part of the root could swap a checked
// directory for a symlink before a later container starts. So each
// hostPath is bound by its symlink-free path (the root's own links
// resolved now) with isolation's nofollow option: the container's start
// opens it with no link allowed on the way and binds that descriptor.
func (h *Hull) checkHostPaths(pp *kube.PodPlan, root string) error {
	canon, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("open --host-path-root: %w", err)
	}
	for _, cp := range pp.Containers {
		for i, v := range cp.Options.Volumes {
			src, rest, _ := strings.Cut(v, ":")
			if !path.IsAbs(src) {
				continue // a named volume
			}
			if err := resolveHostPath(root, src, cp.HostPathTypes[src]); err != nil {
				return err
			}
			rel := strings.TrimPrefix(strings.TrimPrefix(src, strings.TrimSuffix(root, "/")), "/")
			if _, _, hasMode := strings.Cut(rest, ":"); hasMode {
				rest += "," + isolation.MountNoFollow
			} else {
				rest += ":" + isolation.MountNoFollow
			}
			cp.Options.Volumes[i] = path.Join(canon, rel) + ":" + rest
		}
	}
	return nil
}

func resolveHostPath(root, p string, typ corev1.HostPathType) error {
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("open --host-path-root: %w", err)
	}
	defer r.Close()
	// A path not under root by its words is refused here too, not looked
	// up inside root under its own name (ROOT/home/u is not /home/u).
	rel, ok := strings.CutPrefix(p, strings.TrimSuffix(root, "/"))
	if !ok || (rel != "" && rel[0] != '/') {
		return fmt.Errorf("hostPath %s is not under --host-path-root %s", p, root)
	}
	rel = strings.TrimPrefix(rel, "/")
	if rel == "" {
		rel = "."
	}
	if typ == corev1.HostPathDirectoryOrCreate {
		if err := r.MkdirAll(rel, 0o755); err != nil {
			return fmt.Errorf("hostPath %s: %w", p, err)
		}
	}
	// os.Root follows a symlink only while it stays inside root.
	fi, err := r.Stat(rel)
	if err != nil {
		return fmt.Errorf("hostPath %s: %w", p, err)
	}
	switch {
	case (typ == corev1.HostPathDirectory || typ == corev1.HostPathDirectoryOrCreate) && !fi.IsDir():
		return fmt.Errorf("hostPath %s: not a directory", p)
	case typ == corev1.HostPathFile && !fi.Mode().IsRegular():
		return fmt.Errorf("hostPath %s: not a regular file", p)
	}
	// The bind mount follows the path again: refuse a symlink anywhere on
	// it, so that what was checked is what is mounted.
	cur := ""
	for _, part := range strings.Split(rel, "/") {
		if part == "." {
			continue
		}
		cur = path.Join(cur, part)
		li, err := r.Lstat(cur)
		if err != nil {
			return fmt.Errorf("hostPath %s: %w", p, err)
		}
		if li.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("hostPath %s: %s is a symlink", p, cur)
		}
	}
	return nil
}

// writeFileSets writes the pod's ConfigMap and Secret files, each set to
// a directory of its own, through an os.Root so that no key's path leaves
// it. It returns the directory of each set.
func (h *Hull) writeFileSets(pp *kube.PodPlan) (map[string]string, error) {
	dirs := map[string]string{}
	if len(pp.FileSets) == 0 {
		return dirs, nil
	}
	base := h.kubeDir(pp.Name)
	if err := os.RemoveAll(base); err != nil {
		return nil, fmt.Errorf("clear %s: %w", base, err)
	}
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", base, err)
	}
	r, err := os.OpenRoot(base)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for _, set := range pp.FileSets {
		dir := path.Join("configmap", set.Volume)
		if set.Secret {
			dir = path.Join("secret", set.Volume)
		}
		if err := r.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("volume %s: %w", set.Volume, err)
		}
		for _, f := range set.Files {
			p := path.Join(dir, f.Path)
			if err := r.MkdirAll(path.Dir(p), 0o755); err != nil {
				return nil, fmt.Errorf("volume %s file %s: %w", set.Volume, f.Path, err)
			}
			if err := r.WriteFile(p, f.Data, fs.FileMode(f.Mode)); err != nil {
				return nil, fmt.Errorf("volume %s file %s: %w", set.Volume, f.Path, err)
			}
			// WriteFile's mode passes through the umask.
			if err := r.Chmod(p, fs.FileMode(f.Mode)); err != nil {
				return nil, fmt.Errorf("volume %s file %s: %w", set.Volume, f.Path, err)
			}
		}
		dirs[set.Volume] = filepath.Join(base, filepath.FromSlash(dir))
	}
	return dirs, nil
}

// KubeDown removes the pods of plan with their containers, files and
// emptyDir volumes, and with volumes also its claims' volumes. Pods that
// do not exist are skipped; it returns the names of those removed.
func (h *Hull) KubeDown(plan *kube.Plan, volumes bool) ([]string, error) {
	var removed []string
	var errs []error
	for _, pp := range plan.Pods {
		id, ok := h.podID(pp.Name)
		if !ok {
			continue
		}
		// A pod of that name that kube play did not make is the user's.
		if v, err := h.Pod(id); err != nil || v.Labels[kube.LabelKind] == "" {
			errs = append(errs, fmt.Errorf("kube down: pod %s was not made by kube play: left alone (hull pod rm removes it)", pp.Name))
			continue
		}
		if err := h.kubeRemovePod(pp); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, pp.Name)
	}
	if volumes {
		for _, n := range plan.Claims {
			// A claim may name a volume that was there before play (the
			// user's, or a compose project's): that one is not play's to
			// remove.
			if v, err := h.Volume(n); err == nil && v.Labels[kube.LabelKind] != claimKind {
				errs = append(errs, fmt.Errorf("kube down: volume %s was not made by kube play: left alone (hull volume rm removes it)", n))
				continue
			}
			if err := h.RemoveVolume(n, false); err != nil && !errors.Is(err, volume.ErrNotFound) {
				errs = append(errs, fmt.Errorf("kube down: volume %s: %w", n, err))
			}
		}
	}
	return removed, errors.Join(errs...)
}

// kubeRemovePod removes a played pod and what was made for it alone.
func (h *Hull) kubeRemovePod(pp *kube.PodPlan) error {
	id, ok := h.podID(pp.Name)
	if ok {
		if _, err := h.RemovePod(id, true); err != nil {
			return fmt.Errorf("kube down: pod %s: %w", pp.Name, err)
		}
	}
	for _, n := range pp.EmptyDirs {
		// A volume of that name that play did not make for this pod
		// (no label naming it) is the user's: it stays.
		if v, err := h.Volume(n); err != nil || v.Labels[kube.LabelName] != pp.Name {
			continue
		}
		if err := h.RemoveVolume(n, true); err != nil && !errors.Is(err, volume.ErrNotFound) {
			return fmt.Errorf("kube down: volume %s: %w", n, err)
		}
	}
	if err := os.RemoveAll(h.kubeDir(pp.Name)); err != nil {
		return fmt.Errorf("kube down: files of pod %s: %w", pp.Name, err)
	}
	return nil
}

// podsByName maps every pod's name to its id (names only: a pod name
// must not match another pod's id prefix).
func (h *Hull) podsByName() (map[string]string, error) {
	all, err := h.Pods()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range all {
		out[p.Name] = p.ID
	}
	return out, nil
}

func (h *Hull) podID(name string) (string, bool) {
	m, err := h.podsByName()
	if err != nil {
		return "", false
	}
	id, ok := m[name]
	return id, ok
}
