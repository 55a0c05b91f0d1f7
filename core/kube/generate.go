package kube

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// Workload is what becomes one Pod (or Deployment): a hull pod, a lone
// container or one service of a compose project.
type Workload struct {
	Name   string
	Labels map[string]string
	// Ports are the published ports (the pod's, or the container's own).
	Ports   []netspec.PortMapping
	Members []Member
	// Replicas is how many containers a compose service runs (Deployment).
	Replicas int
}

// Member is one container of a workload.
type Member struct {
	Name      string // the container's name in the manifest
	Container *container.Container
	// Image is the reference the cluster pulls (core checks it was pushed).
	Image       string
	ImageConfig ocispec.ImageConfig
	// Files maps a bind source to the ConfigMap or Secret that kube play
	// wrote there, to be given back as one.
	Files map[string]*FileVolume
}

// FileVolume is a ConfigMap or Secret read back from kube play's files.
type FileVolume struct {
	Name   string
	Secret bool
	Data   map[string]string
}

// GenerateOptions are the flags of `hull generate kube`.
type GenerateOptions struct {
	Service bool
	Type    string // "pod" (default) or "deployment"
}

// Generate writes the manifests of ws as one multi-document YAML:
// volumes' claims, config maps and secrets first, then the workloads, then
// their Services. Warnings name what a cluster will not get.
func Generate(ws []Workload, o GenerateOptions) ([]byte, []string, error) {
	if o.Type == "" {
		o.Type = "pod"
	}
	if o.Type != "pod" && o.Type != "deployment" {
		return nil, nil, fmt.Errorf("generate kube: --type %q: want pod or deployment", o.Type)
	}
	g := &generator{claims: map[string]bool{}, files: map[string]*FileVolume{}, secrets: map[string]bool{}}
	var workloads, services []any
	for i := range ws {
		w := &ws[i]
		spec, labels, err := g.podSpec(w)
		if err != nil {
			return nil, nil, err
		}
		name := dnsName(w.Name)
		if o.Type == "deployment" && w.Labels[LabelKind] == "Deployment" && w.Labels[LabelName] != "" {
			// A pod kube play made of a Deployment ("NAME-pod") is that
			// Deployment again.
			name = dnsName(w.Labels[LabelName])
		} else if name != w.Name {
			g.warn("%s: named %s in the manifest (Kubernetes names are DNS labels)", w.Name, name)
		}
		meta := metav1.ObjectMeta{Name: name, Labels: labels}
		if o.Type == "deployment" {
			if spec.RestartPolicy != corev1.RestartPolicyAlways {
				g.warn("%s: a Deployment's pods restart Always, not %s", w.Name, spec.RestartPolicy)
				spec.RestartPolicy = corev1.RestartPolicyAlways
			}
			n := int32(max(w.Replicas, 1))
			workloads = append(workloads, &appsv1.Deployment{
				TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
				ObjectMeta: meta,
				Spec: appsv1.DeploymentSpec{Replicas: &n,
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": labels["app"]}},
					Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: *spec}},
			})
		} else {
			workloads = append(workloads, &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: meta, Spec: *spec})
		}
		if o.Service {
			if svc := service(name, labels["app"], spec); svc != nil {
				services = append(services, svc)
			}
		}
	}
	var buf bytes.Buffer
	for _, obj := range slices.Concat(g.objects, workloads, services) {
		out, err := yaml.Marshal(obj)
		if err != nil {
			return nil, nil, fmt.Errorf("generate kube: %w", err)
		}
		if buf.Len() > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(stripEmpty(out))
	}
	return buf.Bytes(), g.warnings, nil
}

// stripEmpty drops the empty status and creationTimestamp lines the API
// types marshal although they are unset: a cluster fills them in.
func stripEmpty(y []byte) []byte {
	var out []string
	ls := strings.SplitAfter(string(y), "\n")
	for i := 0; i < len(ls); i++ {
		t := strings.TrimSpace(ls[i])
		if t == "creationTimestamp: null" || t == "status: {}" || t == "resources: {}" || t == "strategy: {}" {
			continue
		}
		// A Service's empty status.
		if ls[i] == "status:\n" && i+1 < len(ls) && ls[i+1] == "  loadBalancer: {}\n" {
			i++
			continue
		}
		out = append(out, ls[i])
	}
	return []byte(strings.Join(out, ""))
}

type generator struct {
	objects  []any // claims, config maps, secrets
	claims   map[string]bool
	files    map[string]*FileVolume
	secrets  map[string]bool // referred to (and warned about)
	warnings []string
}

func (g *generator) warn(format string, args ...any) {
	g.warnings = append(g.warnings, fmt.Sprintf(format, args...))
}

func (g *generator) podSpec(w *Workload) (*corev1.PodSpec, map[string]string, error) {
	labels := map[string]string{}
	for k, v := range w.Labels {
		if !strings.HasPrefix(k, "io.hull.") {
			labels[k] = v
		}
	}
	if labels["app"] == "" {
		labels["app"] = dnsName(w.Name)
	}
	spec := &corev1.PodSpec{}
	if len(w.Members) == 0 {
		return nil, nil, fmt.Errorf("generate kube: %s has no containers", w.Name)
	}
	spec.RestartPolicy = restartPolicyOf(w.Members[0].Container.HostConfig.RestartPolicy.Name)
	vols := map[string]bool{}
	for i, m := range w.Members {
		c, err := g.container(w, &m, spec, vols)
		if err != nil {
			return nil, nil, fmt.Errorf("generate kube: %s: %w", m.Container.Name, err)
		}
		if i == 0 {
			c.Ports = append(publishedPorts(w.Ports), c.Ports...)
		}
		spec.Containers = append(spec.Containers, *c)
	}
	return spec, labels, nil
}

func restartPolicyOf(name string) corev1.RestartPolicy {
	switch name {
	case "always", "unless-stopped":
		return corev1.RestartPolicyAlways
	case "on-failure":
		return corev1.RestartPolicyOnFailure
	}
	return corev1.RestartPolicyNever
}

func publishedPorts(ps []netspec.PortMapping) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	for _, p := range ps {
		cp := corev1.ContainerPort{ContainerPort: int32(p.ContainerPort), HostPort: int32(p.HostPort), Protocol: protocol(p.Protocol)}
		if p.HostIP != "" && p.HostIP != "0.0.0.0" && p.HostIP != "::" {
			cp.HostIP = p.HostIP
		}
		out = append(out, cp)
	}
	return out
}

func protocol(p string) corev1.Protocol {
	if strings.EqualFold(p, "udp") {
		return corev1.ProtocolUDP
	}
	return corev1.ProtocolTCP
}

func (g *generator) container(w *Workload, m *Member, spec *corev1.PodSpec, vols map[string]bool) (*corev1.Container, error) {
	rec := m.Container
	ic := m.ImageConfig
	c := &corev1.Container{Name: dnsName(m.Name), Image: m.Image}
	// The image's entrypoint and CMD are the cluster's defaults too:
	// write only what the container changed.
	if !slices.Equal(rec.Config.Entrypoint, ic.Entrypoint) {
		c.Command = append([]string{}, rec.Config.Entrypoint...)
		c.Args = rec.Config.Cmd
		if len(c.Command) == 0 {
			// No entrypoint at all: the command line is the CMD.
			c.Command, c.Args = rec.Config.Cmd, nil
		}
	} else if !slices.Equal(rec.Config.Cmd, ic.Cmd) {
		c.Args = rec.Config.Cmd
	}
	if rec.Config.WorkingDir != ic.WorkingDir {
		c.WorkingDir = rec.Config.WorkingDir
	}
	c.Env = g.env(m)
	// Ports the image exposes and nothing publishes: the cluster's
	// containerPorts (a Service reaches them).
	published := map[string]bool{}
	for _, p := range w.Ports {
		published[fmt.Sprintf("%d/%s", p.ContainerPort, strings.ToLower(p.Protocol))] = true
	}
	exposed := make([]string, 0, len(ic.ExposedPorts))
	for k := range ic.ExposedPorts {
		exposed = append(exposed, k)
	}
	sort.Strings(exposed)
	for _, k := range exposed {
		num, proto, _ := strings.Cut(k, "/")
		if proto == "" {
			proto = "tcp"
		}
		n, err := strconv.Atoi(num)
		if err != nil || published[num+"/"+proto] {
			continue
		}
		c.Ports = append(c.Ports, corev1.ContainerPort{ContainerPort: int32(n), Protocol: protocol(proto)})
	}
	if p := probe(rec.Config.Healthcheck); p != nil {
		c.LivenessProbe = p
	}
	lim := corev1.ResourceList{}
	if rec.HostConfig.Memory > 0 {
		lim[corev1.ResourceMemory] = *resource.NewQuantity(rec.HostConfig.Memory, resource.BinarySI)
	}
	if rec.HostConfig.NanoCPUs > 0 {
		lim[corev1.ResourceCPU] = *resource.NewMilliQuantity(rec.HostConfig.NanoCPUs/1e6, resource.DecimalSI)
	}
	if len(lim) > 0 {
		c.Resources.Limits = lim
	}
	if rec.HostConfig.PidsLimit > 0 || len(rec.HostConfig.Ulimits) > 0 || rec.HostConfig.CPUShares > 0 {
		g.warn("%s: its pids limit, ulimits and cpu shares have no place in a container spec, left out", rec.Name)
	}
	sc, err := g.securityContext(rec)
	if err != nil {
		return nil, err
	}
	c.SecurityContext = sc
	for _, mp := range rec.Mounts {
		name, src, err := g.volume(w, m, mp)
		if err != nil {
			return nil, err
		}
		if src == nil {
			continue
		}
		if !vols[name] {
			vols[name] = true
			spec.Volumes = append(spec.Volumes, corev1.Volume{Name: name, VolumeSource: *src})
		}
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: mp.Destination, ReadOnly: !mp.RW})
	}
	for dst := range rec.HostConfig.Tmpfs {
		name := dnsName("tmpfs" + dst)
		if !vols[name] {
			vols[name] = true
			spec.Volumes = append(spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}})
		}
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: dst})
	}
	return c, nil
}

// volume is the pod volume of one mount point: a claim for a named
// volume, an emptyDir for an anonymous one (or one of kube play's emptyDir
// volumes), a ConfigMap or Secret for kube play's files, else a hostPath.
func (g *generator) volume(w *Workload, m *Member, mp container.MountPoint) (string, *corev1.VolumeSource, error) {
	switch mp.Type {
	case "volume":
		if mp.Anonymous {
			return dnsName("anon-" + mp.Destination), &corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}, nil
		}
		if rest, ok := strings.CutPrefix(mp.Name, w.Name+"-"); ok && w.Labels[LabelKind] != "" {
			// An emptyDir of kube play: the pod's own, named POD-VOLUME.
			return dnsName(rest), &corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}, nil
		}
		name := dnsName(mp.Name)
		if name != mp.Name {
			g.warn("volume %s: its claim is named %s (Kubernetes names are DNS labels)", mp.Name, name)
		}
		if !g.claims[name] {
			g.claims[name] = true
			g.objects = append(g.objects, &corev1.PersistentVolumeClaim{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
				ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceStorage: resource.MustParse("1Gi")}}},
			})
		}
		return name, &corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name}}, nil
	case "bind":
		if fv := m.Files[mp.Source]; fv != nil {
			return g.fileVolume(w, fv)
		}
		name := dnsName("host" + mp.Destination)
		g.warn("%s: bind mount %s becomes a hostPath volume: the node needs that path", m.Container.Name, mp.Source)
		return name, &corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: mp.Source}}, nil
	}
	return "", nil, nil // tmpfs mounts are in HostConfig.Tmpfs
}

// env is the container's variables that differ from the image's. One
// that came from a Secret (kube play's secretKeyRef, envFrom secretRef)
// is written as a secretKeyRef to it, never with its value, as podman
// generate kube does; the Secret itself is the cluster's to hold.
func (g *generator) env(m *Member) []corev1.EnvVar {
	var out []corev1.EnvVar
	plain, secret := m.Container.SplitSecretEnv(m.ImageConfig.Env)
	for _, e := range plain {
		k, v, _ := strings.Cut(e, "=")
		out = append(out, corev1.EnvVar{Name: k, Value: v})
	}
	refs := m.Container.SecretEnv()
	for _, k := range secret {
		r := refs[k]
		out = append(out, corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: r.Secret}, Key: r.Key}}})
		g.referSecret(r.Secret)
	}
	return out
}

// referSecret warns, once per Secret, that the manifest refers to it
// without its data.
func (g *generator) referSecret(name string) {
	if g.secrets[name] {
		return
	}
	g.secrets[name] = true
	g.warn("Secret %s is referred to, not written (no secret value goes into the file): create it in the cluster first", name)
}

func (g *generator) fileVolume(w *Workload, fv *FileVolume) (string, *corev1.VolumeSource, error) {
	name := dnsName(fv.Name)
	if prev, ok := g.files[name]; ok && !maps.Equal(prev.Data, fv.Data) {
		// Another pod's volume of that name holds other data.
		name = dnsName(w.Name + "-" + fv.Name)
	}
	if _, ok := g.files[name]; !ok {
		g.files[name] = fv
		meta := metav1.ObjectMeta{Name: name}
		if fv.Secret {
			// Referred to only, as an env's Secret: its files are
			// secret values.
			g.referSecret(name)
		} else {
			g.objects = append(g.objects, &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta, Data: fv.Data})
		}
	}
	if fv.Secret {
		return name, &corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: name}}, nil
	}
	return name, &corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}, nil
}

func (g *generator) securityContext(rec *container.Container) (*corev1.SecurityContext, error) {
	sc := &corev1.SecurityContext{}
	set := false
	if u := rec.Config.User; u != "" {
		uid, gid, hasGid := strings.Cut(u, ":")
		if n, err := strconv.ParseInt(uid, 10, 64); err == nil {
			sc.RunAsUser, set = &n, true
			if hasGid {
				if g, err := strconv.ParseInt(gid, 10, 64); err == nil {
					sc.RunAsGroup = &g
				}
			}
		} else {
			g.warn("%s: user %q is not numeric: runAsUser needs a uid, left out", rec.Name, u)
		}
	}
	if rec.HostConfig.ReadonlyRootfs {
		t := true
		sc.ReadOnlyRootFilesystem, set = &t, true
	}
	caps := func(in []string) []corev1.Capability {
		var out []corev1.Capability
		for _, c := range in {
			out = append(out, corev1.Capability(strings.TrimPrefix(c, "CAP_")))
		}
		return out
	}
	if len(rec.HostConfig.CapAdd)+len(rec.HostConfig.CapDrop) > 0 {
		sc.Capabilities = &corev1.Capabilities{Add: caps(rec.HostConfig.CapAdd), Drop: caps(rec.HostConfig.CapDrop)}
		set = true
	}
	if !set {
		return nil, nil
	}
	return sc, nil
}

// probe is the exec probe of a health check (nil for none).
func probe(hc *container.Healthcheck) *corev1.Probe {
	if hc == nil || len(hc.Test) == 0 {
		return nil
	}
	var cmd []string
	switch hc.Test[0] {
	case "CMD-SHELL":
		cmd = append([]string{"sh", "-c"}, hc.Test[1:]...)
	case "CMD":
		cmd = hc.Test[1:]
	default:
		return nil // NONE
	}
	if len(cmd) == 0 {
		return nil
	}
	sec := func(d time.Duration) int32 { return int32(math.Ceil(d.Seconds())) }
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}},
		PeriodSeconds: sec(hc.Interval), TimeoutSeconds: sec(hc.Timeout), InitialDelaySeconds: sec(hc.StartPeriod),
		FailureThreshold: int32(hc.Retries)}
}

// service is a ClusterIP Service for the workload's ports: a published
// port keeps its host port as the Service's port, an exposed one its own.
// A NodePort would have to lie in the cluster's node port range, which a
// host port rarely does.
func service(name, app string, spec *corev1.PodSpec) *corev1.Service {
	var ports []corev1.ServicePort
	seen := map[string]bool{}
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			port := p.HostPort
			if port == 0 {
				port = p.ContainerPort
			}
			key := fmt.Sprintf("%d-%s", port, strings.ToLower(string(p.Protocol)))
			if seen[key] {
				continue
			}
			seen[key] = true
			ports = append(ports, corev1.ServicePort{Name: key, Port: port, Protocol: p.Protocol, TargetPort: intstr.FromInt32(p.ContainerPort)})
		}
	}
	if len(ports) == 0 {
		return nil
	}
	return &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": app}, Ports: ports}}
}

// dnsName makes s a DNS-1123 label: lower case, [a-z0-9-], at most 63
// characters, alphanumeric at both ends.
func dnsName(s string) string {
	// A loop, not a package-level regexp: that would compile at every
	// hull command's start.
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	s = b.String()
	if len(s) > 63 {
		s = s[:63]
	}
	s = strings.Trim(s, "-")
	if s == "" {
		return "x"
	}
	return s
}
