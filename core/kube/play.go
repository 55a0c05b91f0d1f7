package kube

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/hull-project/hull/core/container"
)

// Labels hull sets on what kube play makes, to tell it from the rest.
const (
	LabelKind = "io.hull.kube.kind" // Pod or Deployment
	LabelName = "io.hull.kube.name" // the object's metadata.name
)

// PlayOptions are the flags of `hull kube play`.
type PlayOptions struct {
	// Replicas is how many pods each Deployment gets; 0 means one (a
	// Deployment's own spec.replicas is for a cluster).
	Replicas int
	// HostPathRoot is the one directory under which hostPath volumes may
	// be; "" refuses every hostPath.
	HostPathRoot string
	// Network is a named network every pod joins, answering there to
	// the names of the Services that select it; "" gives each pod a
	// network of its own (and the Services are not played).
	Network string
}

// Plan is what play creates: named volumes, then each pod with its
// containers. Down removes the same pods and, when asked, the volumes.
type Plan struct {
	Pods []*PodPlan
	// Claims are the named volumes of PersistentVolumeClaims (made when
	// missing, kept by down unless asked).
	Claims []string
}

// PodPlan is one hull pod.
type PodPlan struct {
	Name     string
	Hostname string
	Labels   []string // KEY=VALUE
	Publish  []string // run's -p syntax
	// Network and Aliases: the named network the pod joins (--network)
	// and its names there besides its own (the Services selecting it).
	Network string
	Aliases []string
	// FileSets are the ConfigMap and Secret volumes: core writes each to a
	// directory of the pod's and binds it read-only.
	FileSets []*FileSet
	// EmptyDirs are the volumes made for this pod alone (emptyDir): down
	// removes them with the pod.
	EmptyDirs  []string
	Containers []*ContainerPlan
}

// FileSet is the content of one ConfigMap or Secret volume.
type FileSet struct {
	Volume string // the pod's volume name
	Secret bool
	Files  []File
}

// File is one file of a FileSet; Path is relative and clean.
type File struct {
	Path string
	Data []byte
	Mode uint32
}

// ContainerPlan is one member of a pod: run options and the mounts of
// its FileSets, which core turns into binds.
type ContainerPlan struct {
	Image   string
	Pull    string // "always", "missing", "never" (imagePullPolicy)
	Options container.Options
	Files   []FileMount
	// HostPathTypes are the hostPath sources among Options.Volumes with
	// what each must be (core resolves them inside the host path root).
	HostPathTypes map[string]corev1.HostPathType
}

// FileMount binds FileSet Volume at Target.
type FileMount struct {
	Volume string
	Target string
}

// Plan maps the pods and deployments of m to hull pods.
func (m *Manifests) Plan(o PlayOptions) (*Plan, []string, error) {
	p := &Plan{}
	var warnings []string
	for _, c := range m.Claims {
		p.Claims = append(p.Claims, c.Name)
	}
	for _, pod := range m.Pods {
		pp, w, err := m.planPod(pod.Name, pod.Name, "Pod", pod.Labels, &pod.Spec, o)
		if err != nil {
			return nil, nil, fmt.Errorf("pod %s: %w", pod.Name, err)
		}
		p.Pods = append(p.Pods, pp)
		warnings = append(warnings, w...)
	}
	for _, d := range m.Deployments {
		pods, w, err := m.planDeployment(d, o)
		if err != nil {
			return nil, nil, fmt.Errorf("deployment %s: %w", d.Name, err)
		}
		p.Pods = append(p.Pods, pods...)
		warnings = append(warnings, w...)
	}
	seen := map[string]bool{}
	for _, pp := range p.Pods {
		if seen[pp.Name] {
			return nil, nil, fmt.Errorf("kube file: two objects make pod %s", pp.Name)
		}
		seen[pp.Name] = true
	}
	if len(m.Services) > 0 && o.Network == "" {
		warnings = append(warnings, "Services are not played without --network: each pod has a network of its own (its hostPorts are published)")
	}
	if o.Network != "" {
		for _, pp := range p.Pods {
			pp.Network = o.Network
			pp.Aliases = m.serviceAliases(pp)
		}
	}
	return p, warnings, nil
}

// serviceAliases are the names of the Services whose selector matches
// the pod's labels. A Service that selects several pods (replicas) names
// each: the network's DNS answers with one of them.
func (m *Manifests) serviceAliases(pp *PodPlan) []string {
	labels := map[string]string{}
	for _, l := range pp.Labels {
		k, v, _ := strings.Cut(l, "=")
		labels[k] = v
	}
	var out []string
	for _, svc := range m.Services {
		sel := svc.Spec.Selector
		if len(sel) == 0 {
			continue
		}
		match := true
		for k, v := range sel {
			if labels[k] != v {
				match = false
				break
			}
		}
		if match && svc.Name != pp.Name {
			out = append(out, svc.Name)
		}
	}
	return out
}

// DeploymentPodName is the pod of replica i of a Deployment, as Podman
// names it ("NAME-pod"; further replicas "NAME-pod-1", ...).
func DeploymentPodName(name string, i int) string {
	if i == 0 {
		return name + "-pod"
	}
	return fmt.Sprintf("%s-pod-%d", name, i)
}

func (m *Manifests) planDeployment(d *appsv1.Deployment, o PlayOptions) ([]*PodPlan, []string, error) {
	n := o.Replicas
	if n <= 0 {
		n = 1
	}
	var pods []*PodPlan
	var warnings []string
	for i := 0; i < n; i++ {
		pp, w, err := m.planPod(DeploymentPodName(d.Name, i), d.Name, "Deployment", d.Spec.Template.Labels, &d.Spec.Template.Spec, o)
		if err != nil {
			return nil, nil, err
		}
		if n > 1 && len(pp.Publish) > 0 {
			return nil, nil, fmt.Errorf("--replicas %d: its pods would publish the same hostPort", n)
		}
		pods = append(pods, pp)
		if i == 0 {
			warnings = w
		}
	}
	return pods, warnings, nil
}

func (m *Manifests) planPod(name, objName, kind string, labels map[string]string, spec *corev1.PodSpec, o PlayOptions) (*PodPlan, []string, error) {
	if err := container.ValidateName(name); err != nil {
		return nil, nil, err
	}
	pp := &PodPlan{Name: name, Hostname: spec.Hostname}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pp.Labels = append(pp.Labels, k+"="+labels[k])
	}
	pp.Labels = append(pp.Labels, LabelKind+"="+kind, LabelName+"="+objName)
	if len(spec.Containers) == 0 {
		return nil, nil, fmt.Errorf("no containers")
	}
	restart, err := restartPolicy(spec.RestartPolicy)
	if err != nil {
		return nil, nil, err
	}
	vols, err := m.planVolumes(pp, spec.Volumes, o)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	names := map[string]bool{}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		if c.Name == "" || names[c.Name] {
			return nil, nil, fmt.Errorf("container %d: its name is empty or used twice", i)
		}
		names[c.Name] = true
		cp, w, err := m.planContainer(pp, c, spec.SecurityContext, vols, restart)
		if err != nil {
			return nil, nil, fmt.Errorf("container %s: %w", c.Name, err)
		}
		warnings = append(warnings, w...)
		pp.Containers = append(pp.Containers, cp)
	}
	return pp, warnings, nil
}

func restartPolicy(p corev1.RestartPolicy) (string, error) {
	switch p {
	case "", corev1.RestartPolicyAlways:
		return "always", nil
	case corev1.RestartPolicyOnFailure:
		return "on-failure", nil
	case corev1.RestartPolicyNever:
		return "no", nil
	}
	return "", fmt.Errorf("restartPolicy %q: want Always, OnFailure or Never", p)
}

// volume is how a pod volume is mounted: a named volume, a host path or
// a FileSet.
type volume struct {
	named, host, fileSet string
	hostType             corev1.HostPathType
}

func (m *Manifests) planVolumes(pp *PodPlan, vs []corev1.Volume, o PlayOptions) (map[string]volume, error) {
	out := map[string]volume{}
	for _, v := range vs {
		if v.Name == "" || out[v.Name] != (volume{}) {
			return nil, fmt.Errorf("volume %q: its name is empty or used twice", v.Name)
		}
		s := v.VolumeSource
		switch {
		case s.EmptyDir != nil:
			n := pp.Name + "-" + v.Name
			if err := container.ValidateName(n); err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			pp.EmptyDirs = append(pp.EmptyDirs, n)
			out[v.Name] = volume{named: n}
		case s.PersistentVolumeClaim != nil:
			// A claim names a volume of hull's store. A path here would
			// be bound as a host path past checkHostPath's root check.
			n := s.PersistentVolumeClaim.ClaimName
			if container.ValidateName(n) != nil {
				return nil, fmt.Errorf("volume %s: claimName %q is not a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", v.Name, n)
			}
			out[v.Name] = volume{named: n}
		case s.HostPath != nil:
			p, err := checkHostPath(o.HostPathRoot, s.HostPath)
			if err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			out[v.Name] = volume{host: p, hostType: HostPathType(s.HostPath)}
		case s.ConfigMap != nil:
			fs, err := m.configMapFiles(v.Name, s.ConfigMap)
			if err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			pp.FileSets = append(pp.FileSets, fs)
			out[v.Name] = volume{fileSet: v.Name}
		case s.Secret != nil:
			fs, err := m.secretFiles(v.Name, s.Secret)
			if err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			pp.FileSets = append(pp.FileSets, fs)
			out[v.Name] = volume{fileSet: v.Name}
		default:
			return nil, fmt.Errorf("volume %s: only emptyDir, hostPath, persistentVolumeClaim, configMap and secret volumes are supported", v.Name)
		}
	}
	return out, nil
}

// checkHostPath refuses a hostPath outside root (by its words; the
// symlinks on the way are checked when core mounts it).
func checkHostPath(root string, hp *corev1.HostPathVolumeSource) (string, error) {
	if root == "" {
		return "", fmt.Errorf("hostPath %s: host paths are refused unless --host-path-root names a directory they may be under", hp.Path)
	}
	if !path.IsAbs(hp.Path) || path.Clean(hp.Path) != hp.Path {
		return "", fmt.Errorf("hostPath %q: not an absolute, clean path", hp.Path)
	}
	if hp.Path != root && !strings.HasPrefix(hp.Path, strings.TrimSuffix(root, "/")+"/") {
		return "", fmt.Errorf("hostPath %s is not under --host-path-root %s", hp.Path, root)
	}
	if hp.Type != nil {
		switch *hp.Type {
		case corev1.HostPathUnset, corev1.HostPathDirectory, corev1.HostPathFile, corev1.HostPathDirectoryOrCreate:
		default:
			return "", fmt.Errorf("hostPath %s: type %s is not supported (Directory, DirectoryOrCreate, File)", hp.Path, *hp.Type)
		}
	}
	return hp.Path, nil
}

// HostPathType is what a hostPath needs to be (for core's check).
func HostPathType(hp *corev1.HostPathVolumeSource) corev1.HostPathType {
	if hp.Type == nil {
		return corev1.HostPathUnset
	}
	return *hp.Type
}

func (m *Manifests) configMapFiles(vol string, s *corev1.ConfigMapVolumeSource) (*FileSet, error) {
	fs := &FileSet{Volume: vol}
	cm := m.ConfigMaps[s.Name]
	if cm == nil {
		if s.Optional != nil && *s.Optional {
			return fs, nil
		}
		return nil, fmt.Errorf("configmap %s is not in the file", s.Name)
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return fs, fillFiles(fs, "configmap "+s.Name, data, s.Items, s.DefaultMode, 0o644)
}

func (m *Manifests) secretFiles(vol string, s *corev1.SecretVolumeSource) (*FileSet, error) {
	fs := &FileSet{Volume: vol, Secret: true}
	sec := m.Secrets[s.SecretName]
	if sec == nil {
		if s.Optional != nil && *s.Optional {
			return fs, nil
		}
		return nil, fmt.Errorf("secret %s is not in the file", s.SecretName)
	}
	return fs, fillFiles(fs, "secret "+s.SecretName, secretData(sec), s.Items, s.DefaultMode, 0o644)
}

func secretData(s *corev1.Secret) map[string][]byte {
	data := map[string][]byte{}
	for k, v := range s.Data {
		data[k] = v
	}
	for k, v := range s.StringData {
		data[k] = []byte(v)
	}
	return data
}

// fillFiles lists a FileSet's files: every key, or the items asked for.
func fillFiles(fs *FileSet, what string, data map[string][]byte, items []corev1.KeyToPath, defMode *int32, mode uint32) error {
	if defMode != nil {
		mode = uint32(*defMode) & 0o777
	}
	if len(items) == 0 {
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			items = append(items, corev1.KeyToPath{Key: k, Path: k})
		}
	}
	for _, it := range items {
		d, ok := data[it.Key]
		if !ok {
			return fmt.Errorf("%s has no key %q", what, it.Key)
		}
		if err := checkFilePath(it.Path); err != nil {
			return fmt.Errorf("%s key %s: %w", what, it.Key, err)
		}
		m := mode
		if it.Mode != nil {
			m = uint32(*it.Mode) & 0o777
		}
		fs.Files = append(fs.Files, File{Path: it.Path, Data: d, Mode: m})
	}
	return nil
}

// checkFilePath keeps a key's file inside its volume's directory.
func checkFilePath(p string) error {
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../") || strings.HasPrefix(p, "..") {
		return fmt.Errorf("path %q: want a relative path that stays in the volume", p)
	}
	return nil
}

func (m *Manifests) planContainer(pp *PodPlan, c *corev1.Container, psc *corev1.PodSecurityContext, vols map[string]volume, restart string) (*ContainerPlan, []string, error) {
	var warnings []string
	o := container.Options{Name: pp.Name + "-" + c.Name, Workdir: c.WorkingDir, Restart: restart}
	cp := &ContainerPlan{Image: c.Image}
	if c.Image == "" {
		return nil, nil, fmt.Errorf("no image")
	}
	switch c.ImagePullPolicy {
	case corev1.PullAlways:
		cp.Pull = "always"
	case corev1.PullNever:
		cp.Pull = "never"
	default:
		cp.Pull = "missing"
	}
	// command replaces the image's entrypoint and drops its CMD; args
	// replace its CMD. Entrypoint takes one word, the rest goes first in
	// Cmd: the same argv, and generate gives the same command back.
	if len(c.Command) > 0 {
		o.Entrypoint = &c.Command[0]
		o.Cmd = append(append([]string(nil), c.Command[1:]...), c.Args...)
	} else {
		o.Cmd = append([]string(nil), c.Args...)
	}
	env, secrets, err := m.containerEnv(c)
	if err != nil {
		return nil, nil, err
	}
	o.Env = env
	if v := container.SecretEnvLabelValue(secrets); v != "" {
		o.Labels = append(o.Labels, container.SecretEnvLabel+"="+v)
	}
	for _, p := range c.Ports {
		if p.HostPort == 0 {
			continue // a cluster-internal port: nothing to publish here
		}
		proto := strings.ToLower(string(p.Protocol))
		if proto == "" {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" {
			return nil, nil, fmt.Errorf("port %d: protocol %s is not supported (TCP, UDP)", p.ContainerPort, p.Protocol)
		}
		s := fmt.Sprintf("%d:%d/%s", p.HostPort, p.ContainerPort, proto)
		if p.HostIP != "" {
			s = p.HostIP + ":" + s
		}
		pp.Publish = append(pp.Publish, s)
	}
	for _, vm := range c.VolumeMounts {
		v, ok := vols[vm.Name]
		if !ok {
			return nil, nil, fmt.Errorf("volumeMount %s: no such volume in the pod", vm.Name)
		}
		if !path.IsAbs(vm.MountPath) {
			return nil, nil, fmt.Errorf("volumeMount %s: mountPath %q is not absolute", vm.Name, vm.MountPath)
		}
		if vm.SubPath != "" || vm.SubPathExpr != "" {
			return nil, nil, fmt.Errorf("volumeMount %s: subPath is not supported", vm.Name)
		}
		ro := ""
		if vm.ReadOnly {
			ro = ":ro"
		}
		switch {
		case v.fileSet != "":
			cp.Files = append(cp.Files, FileMount{Volume: v.fileSet, Target: vm.MountPath})
		case v.host != "":
			if cp.HostPathTypes == nil {
				cp.HostPathTypes = map[string]corev1.HostPathType{}
			}
			cp.HostPathTypes[v.host] = v.hostType
			o.Volumes = append(o.Volumes, v.host+":"+vm.MountPath+ro)
		default:
			o.Volumes = append(o.Volumes, v.named+":"+vm.MountPath+ro)
		}
	}
	probe := c.LivenessProbe
	if probe == nil {
		probe = c.ReadinessProbe
	} else if c.ReadinessProbe != nil {
		warnings = append(warnings, fmt.Sprintf("pod %s container %s: readinessProbe is not used: the livenessProbe is its health check", pp.Name, c.Name))
	}
	if probe != nil {
		h, err := healthOptions(probe)
		if err != nil {
			return nil, nil, err
		}
		o.Health = h
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		o.Memory = strconv.FormatInt(q.Value(), 10)
	}
	if q, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
		o.CPUs = strconv.FormatFloat(float64(q.MilliValue())/1000, 'f', -1, 64)
	}
	for r := range c.Resources.Limits {
		if r != corev1.ResourceMemory && r != corev1.ResourceCPU {
			warnings = append(warnings, fmt.Sprintf("pod %s container %s: limit %s is not supported, ignored", pp.Name, c.Name, r))
		}
	}
	if err := securityOptions(&o, psc, c.SecurityContext); err != nil {
		return nil, nil, err
	}
	warnings = append(warnings, weakenings(pp.Name, c.Name, o)...)
	cp.Options = o
	return cp, warnings, nil
}

// healthOptions maps an exec probe to a health check: ["sh", "-c", X] is
// the shell form X (Docker's CMD-SHELL), anything else its quoted words.
func healthOptions(p *corev1.Probe) (container.HealthOptions, error) {
	var h container.HealthOptions
	if p.Exec == nil || len(p.Exec.Command) == 0 {
		return h, fmt.Errorf("only exec probes are supported")
	}
	cmd := p.Exec.Command
	if len(cmd) == 3 && (cmd[0] == "sh" || cmd[0] == "/bin/sh") && cmd[1] == "-c" {
		h.Cmd = cmd[2]
	} else {
		q := make([]string, len(cmd))
		for i, w := range cmd {
			q[i] = shellQuote(w)
		}
		h.Cmd = strings.Join(q, " ")
	}
	sec := func(n int32) time.Duration { return time.Duration(n) * time.Second }
	h.Interval, h.Timeout, h.StartPeriod = sec(p.PeriodSeconds), sec(p.TimeoutSeconds), sec(p.InitialDelaySeconds)
	h.Retries = int(p.FailureThreshold)
	return h, nil
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '=' || r == ',' || r == '@' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// securityOptions applies the pod's and then the container's security
// context.
func securityOptions(o *container.Options, psc *corev1.PodSecurityContext, sc *corev1.SecurityContext) error {
	var uid, gid *int64
	var nonRoot *bool
	if psc != nil {
		uid, gid, nonRoot = psc.RunAsUser, psc.RunAsGroup, psc.RunAsNonRoot
		if err := seccompProfile(o, psc.SeccompProfile); err != nil {
			return err
		}
	}
	if sc != nil {
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			gid = sc.RunAsGroup
		}
		if sc.RunAsNonRoot != nil {
			nonRoot = sc.RunAsNonRoot
		}
		if err := seccompProfile(o, sc.SeccompProfile); err != nil {
			return err
		}
		// Restrictions are honoured, never dropped with a warning: a
		// manifest that forbids escalation gets no_new_privs.
		if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
			o.SecurityOpt = append(o.SecurityOpt, "no-new-privileges")
		}
		if sc.Privileged != nil && *sc.Privileged {
			o.Privileged = true
		}
		if err := procMount(o, sc.ProcMount); err != nil {
			return err
		}
		if sc.ReadOnlyRootFilesystem != nil {
			o.ReadOnly = *sc.ReadOnlyRootFilesystem
		}
		if sc.Capabilities != nil {
			for _, c := range sc.Capabilities.Add {
				o.CapAdd = append(o.CapAdd, string(c))
			}
			for _, c := range sc.Capabilities.Drop {
				o.CapDrop = append(o.CapDrop, string(c))
			}
		}
	}
	o.NonRoot = nonRoot != nil && *nonRoot
	switch {
	case uid != nil && gid != nil:
		o.User = fmt.Sprintf("%d:%d", *uid, *gid)
	case uid != nil:
		o.User = strconv.FormatInt(*uid, 10)
	case gid != nil:
		return fmt.Errorf("runAsGroup without runAsUser is not supported: give both")
	}
	return nil
}

// procMount honours securityContext.procMount as rootless Podman does:
// Unmasked is --security-opt unmask=ALL (no masked and no read-only
// kernel path), Default changes nothing; any other value is refused
// rather than guessed at.
func procMount(o *container.Options, pm *corev1.ProcMountType) error {
	if pm == nil {
		return nil
	}
	switch *pm {
	case corev1.DefaultProcMount:
		return nil
	case corev1.UnmaskedProcMount:
		o.SecurityOpt = append(o.SecurityOpt, "unmask=ALL")
		return nil
	}
	return fmt.Errorf("securityContext.procMount %s is not supported (Default and Unmasked are)", *pm)
}

// weakenings are the warnings for what a manifest's security context
// gives up: honoured, as rootless Podman honours them, but never
// silently, since a manifest is often someone else's file.
func weakenings(pod, ctr string, o container.Options) []string {
	var w []string
	if o.Privileged {
		w = append(w, fmt.Sprintf("pod %s container %s: securityContext.privileged: runs as hull run --privileged does: every capability in its user namespace, no seccomp filter, no masked kernel paths, /sys writable, the host devices you can open", pod, ctr))
	}
	if slices.Contains(o.SecurityOpt, "unmask=ALL") {
		w = append(w, fmt.Sprintf("pod %s container %s: securityContext.procMount: Unmasked: runs with no masked or read-only kernel path in /proc and /sys (--security-opt unmask=ALL)", pod, ctr))
	}
	if slices.Contains(o.SecurityOpt, "seccomp=unconfined") {
		w = append(w, fmt.Sprintf("pod %s container %s: seccompProfile Unconfined: runs with no seccomp filter", pod, ctr))
	}
	return w
}

// seccompProfile honours a seccomp profile the kubelet would: the
// runtime's default is hull's, Unconfined drops the filter; a Localhost
// profile names a file on a node that hull cannot read as the kubelet
// would, so it is refused rather than replaced by a weaker default.
func seccompProfile(o *container.Options, p *corev1.SeccompProfile) error {
	if p == nil {
		return nil
	}
	switch p.Type {
	case corev1.SeccompProfileTypeRuntimeDefault:
		return nil
	case corev1.SeccompProfileTypeUnconfined:
		o.SecurityOpt = append(o.SecurityOpt, "seccomp=unconfined")
		return nil
	}
	return fmt.Errorf("seccompProfile type %s is not supported (RuntimeDefault and Unconfined are): hull will not run it with a weaker filter", p.Type)
}

// containerEnv is envFrom's variables, then env's (which win, as in a
// cluster), and which of them came from a Secret.
func (m *Manifests) containerEnv(c *corev1.Container) ([]string, map[string]container.SecretRef, error) {
	var env []string
	secrets := map[string]container.SecretRef{}
	for _, ef := range c.EnvFrom {
		var data map[string][]byte
		switch {
		case ef.ConfigMapRef != nil:
			cm := m.ConfigMaps[ef.ConfigMapRef.Name]
			if cm == nil {
				if opt(ef.ConfigMapRef.Optional) {
					continue
				}
				return nil, nil, fmt.Errorf("envFrom: configmap %s is not in the file", ef.ConfigMapRef.Name)
			}
			data = map[string][]byte{}
			for k, v := range cm.Data {
				data[k] = []byte(v)
			}
		case ef.SecretRef != nil:
			s := m.Secrets[ef.SecretRef.Name]
			if s == nil {
				if opt(ef.SecretRef.Optional) {
					continue
				}
				return nil, nil, fmt.Errorf("envFrom: secret %s is not in the file", ef.SecretRef.Name)
			}
			data = secretData(s)
		default:
			return nil, nil, fmt.Errorf("envFrom: needs configMapRef or secretRef")
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			env = append(env, ef.Prefix+k+"="+string(data[k]))
			delete(secrets, ef.Prefix+k)
			if ef.SecretRef != nil {
				secrets[ef.Prefix+k] = container.SecretRef{Secret: ef.SecretRef.Name, Key: k}
			}
		}
	}
	for _, e := range c.Env {
		if e.Name == "" || strings.Contains(e.Name, "=") {
			return nil, nil, fmt.Errorf("env %q: not a variable name", e.Name)
		}
		delete(secrets, e.Name) // a later definition wins
		if e.ValueFrom == nil {
			env = append(env, e.Name+"="+e.Value)
			continue
		}
		switch r := e.ValueFrom; {
		case r.ConfigMapKeyRef != nil:
			cm := m.ConfigMaps[r.ConfigMapKeyRef.Name]
			v, ok := "", false
			if cm != nil {
				v, ok = cm.Data[r.ConfigMapKeyRef.Key]
			}
			if !ok {
				if opt(r.ConfigMapKeyRef.Optional) {
					continue
				}
				return nil, nil, fmt.Errorf("env %s: configmap %s key %s is not in the file", e.Name, r.ConfigMapKeyRef.Name, r.ConfigMapKeyRef.Key)
			}
			env = append(env, e.Name+"="+v)
		case r.SecretKeyRef != nil:
			s := m.Secrets[r.SecretKeyRef.Name]
			var v []byte
			ok := false
			if s != nil {
				v, ok = secretData(s)[r.SecretKeyRef.Key]
			}
			if !ok {
				if opt(r.SecretKeyRef.Optional) {
					continue
				}
				return nil, nil, fmt.Errorf("env %s: secret %s key %s is not in the file", e.Name, r.SecretKeyRef.Name, r.SecretKeyRef.Key)
			}
			env = append(env, e.Name+"="+string(v))
			secrets[e.Name] = container.SecretRef{Secret: r.SecretKeyRef.Name, Key: r.SecretKeyRef.Key}
		default:
			return nil, nil, fmt.Errorf("env %s: only configMapKeyRef and secretKeyRef are supported in valueFrom", e.Name)
		}
	}
	return env, secrets, nil
}

func opt(b *bool) bool { return b != nil && *b }
