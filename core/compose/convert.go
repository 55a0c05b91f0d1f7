package compose

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/isolation"
)

// Compose's labels (docker compose's names, so tools that read them work).
const (
	LabelProject     = "com.docker.compose.project"
	LabelService     = "com.docker.compose.service"
	LabelNumber      = "com.docker.compose.container-number"
	LabelOneoff      = "com.docker.compose.oneoff"
	LabelConfigHash  = "com.docker.compose.config-hash"
	LabelWorkingDir  = "com.docker.compose.project.working_dir"
	LabelConfigFiles = "com.docker.compose.project.config_files"
	LabelVersion     = "com.docker.compose.version"
	LabelNetwork     = "com.docker.compose.network"
	LabelVolume      = "com.docker.compose.volume"
	LabelDependsOn   = "com.docker.compose.depends_on"
	LabelImage       = "com.docker.compose.image"
	// Version is what hull writes as com.docker.compose.version: the
	// Compose behaviour it follows.
	Version = "2.0.0-hull"
)

// ContainerName is compose's name of a service's container n.
func ContainerName(p *types.Project, s types.ServiceConfig, n int) string {
	if s.ContainerName != "" {
		return s.ContainerName
	}
	return fmt.Sprintf("%s-%s-%d", p.Name, s.Name, n)
}

// ImageName is the image a service runs: its image, else the one compose
// builds for it, PROJECT-SERVICE.
func ImageName(p *types.Project, s types.ServiceConfig) string {
	if s.Image != "" {
		return s.Image
	}
	return p.Name + "-" + s.Name
}

// ConfigHash is the service's configuration as a digest: a service whose
// hash changed is recreated by up. As docker compose, the keys that do not
// shape the container (scale, build, pull policy, dependencies, profiles)
// are left out.
func ConfigHash(s types.ServiceConfig) (string, error) {
	s.Build, s.PullPolicy, s.Scale, s.DependsOn, s.Profiles = nil, "", nil, nil, nil
	if s.Deploy != nil {
		d := *s.Deploy
		d.Replicas = nil
		s.Deploy = &d
	}
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("hash service %s: %w", s.Name, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// containerLabels are the labels of a service's container n: the
// service's own, then compose's.
func containerLabels(p *types.Project, s types.ServiceConfig, n int, hash string, oneoff bool) []string {
	l := map[string]string{}
	for k, v := range s.Labels {
		l[k] = v
	}
	l[LabelProject] = p.Name
	l[LabelService] = s.Name
	l[LabelNumber] = strconv.Itoa(n)
	l[LabelOneoff] = map[bool]string{true: "True", false: "False"}[oneoff]
	l[LabelConfigHash] = hash
	l[LabelWorkingDir] = p.WorkingDir
	l[LabelConfigFiles] = strings.Join(p.ComposeFiles, ",")
	l[LabelVersion] = Version
	var deps []string
	for _, d := range sortedKeys(s.DependsOn) {
		dep := s.DependsOn[d]
		deps = append(deps, fmt.Sprintf("%s:%s:%t", d, dep.Condition, dep.Restart))
	}
	l[LabelDependsOn] = strings.Join(deps, ",")
	out := make([]string, 0, len(l))
	for _, k := range sortedKeys(l) {
		out = append(out, k+"="+l[k])
	}
	return out
}

// runOptions maps one service onto hull's run options (docs/compose.md
// has the table). Named networks are resolved by the caller.
func runOptions(p *types.Project, s types.ServiceConfig, n int, hash string, oneoff bool) (core.RunOptions, error) {
	o := core.RunOptions{Image: ImageName(p, s), Pull: core.PullMissing}
	switch s.PullPolicy {
	case types.PullPolicyAlways:
		o.Pull = core.PullAlways
	case types.PullPolicyNever, types.PullPolicyBuild:
		o.Pull = core.PullNever
	}
	if s.Build != nil && s.Image == "" {
		o.Pull = core.PullNever // compose builds it; a registry has no PROJECT-SERVICE
	}
	o.Name = ContainerName(p, s, n)
	o.Labels = containerLabels(p, s, n, hash, oneoff)
	o.Hostname, o.User, o.Workdir = s.Hostname, s.User, s.WorkingDir
	o.Cmd = s.Command
	if s.Entrypoint != nil {
		// hull's --entrypoint is one word, as Docker's flag: further words
		// of a compose entrypoint go in front of the command, which runs
		// the same argv (an empty entrypoint clears the image's).
		ep := ""
		if len(s.Entrypoint) > 0 {
			ep = s.Entrypoint[0]
			o.Cmd = append(append([]string(nil), s.Entrypoint[1:]...), s.Command...)
		}
		o.Entrypoint = &ep
	}
	for _, k := range sortedKeys(s.Environment) {
		if v := s.Environment[k]; v != nil {
			o.Env = append(o.Env, k+"="+*v)
		}
	}
	o.ReadOnly, o.Tty, o.Interactive = s.ReadOnly, s.Tty, s.StdinOpen
	o.Init = s.Init != nil && *s.Init
	o.CapAdd, o.CapDrop, o.SecurityOpt = s.CapAdd, s.CapDrop, s.SecurityOpt
	o.DNS, o.DNSSearch = s.DNS, s.DNSSearch
	o.AddHosts = s.ExtraHosts.AsList(":")
	o.Restart = s.Restart
	// The docker-run flags of container.RunFlags and DeviceOptions.
	o.Expose = []string(s.Expose)
	o.StopSignal = s.StopSignal
	if s.StopGracePeriod != nil {
		secs := int((time.Duration(*s.StopGracePeriod) + time.Second - 1) / time.Second)
		o.StopTimeout = &secs
	}
	if s.ShmSize > 0 {
		o.ShmSize = strconv.FormatInt(int64(s.ShmSize), 10)
	}
	for _, k := range sortedKeys(s.Sysctls) {
		o.Sysctls = append(o.Sysctls, k+"="+s.Sysctls[k])
	}
	o.Privileged = s.Privileged
	if s.Logging != nil {
		o.LogDriver = s.Logging.Driver
		for _, k := range sortedKeys(s.Logging.Options) {
			o.LogOpts = append(o.LogOpts, k+"="+s.Logging.Options[k])
		}
	}
	for _, d := range s.Devices {
		spec := d.Source
		if d.Target != "" && d.Target != d.Source {
			spec += ":" + d.Target
		}
		if d.Permissions != "" {
			if d.Target == "" || d.Target == d.Source {
				spec += ":" + d.Source
			}
			spec += ":" + d.Permissions
		}
		o.Devices = append(o.Devices, spec)
	}
	o.GroupAdd = s.GroupAdd
	if s.NetworkMode != "" {
		o.Network = namespaceRef(p, s.NetworkMode)
	}
	// The namespace modes: "service:NAME" is that service's first
	// container (it starts first: serviceOrder); the rest as docker run's.
	o.PID, o.IPC, o.UTS = namespaceRef(p, s.Pid), namespaceRef(p, s.Ipc), s.Uts
	for _, port := range s.Ports {
		o.Publish = append(o.Publish, publishSpec(port))
	}
	for _, t := range s.Tmpfs {
		o.Tmpfs = append(o.Tmpfs, t)
	}
	for _, v := range s.Volumes {
		m, err := mountSpec(p, v)
		if err != nil {
			return o, fmt.Errorf("service %s: %w", s.Name, err)
		}
		o.Mounts = append(o.Mounts, m)
	}
	files, err := fileMounts(p, s)
	if err != nil {
		return o, fmt.Errorf("service %s: %w", s.Name, err)
	}
	o.Volumes = append(o.Volumes, files...)
	if err := deviceRequests(s, &o.DeviceOptions); err != nil {
		return o, fmt.Errorf("service %s: %w", s.Name, err)
	}
	if err := limits(s, &o.LimitOptions); err != nil {
		return o, fmt.Errorf("service %s: %w", s.Name, err)
	}
	if hc := s.HealthCheck; hc != nil {
		if err := health(hc, &o.Health); err != nil {
			return o, fmt.Errorf("service %s: healthcheck: %w", s.Name, err)
		}
	}
	return o, nil
}

func publishSpec(port types.ServicePortConfig) string {
	spec := strconv.FormatUint(uint64(port.Target), 10)
	if port.Published != "" {
		spec = port.Published + ":" + spec
		if port.HostIP != "" {
			spec = port.HostIP + ":" + spec
		}
	} else if port.HostIP != "" {
		spec = port.HostIP + "::" + spec
	}
	if port.Protocol != "" && port.Protocol != "tcp" {
		spec += "/" + port.Protocol
	}
	return spec
}

// mountSpec is one service volume as a --mount value. Named volumes get
// the project's name for them (PROJECT_VOL); bind sources are already
// absolute (the loader resolves them against the project directory).
func mountSpec(p *types.Project, v types.ServiceVolumeConfig) (string, error) {
	parts := []string{"type=" + v.Type}
	switch v.Type {
	case types.VolumeTypeVolume:
		if v.Source != "" {
			vol, ok := p.Volumes[v.Source]
			if !ok {
				return "", fmt.Errorf("volume %q is not declared in the top-level volumes", v.Source)
			}
			parts = append(parts, "source="+vol.Name)
		}
		if v.Volume != nil && v.Volume.NoCopy {
			parts = append(parts, "volume-nocopy")
		}
	case types.VolumeTypeBind:
		if err := bindSource(v); err != nil {
			return "", err
		}
		parts = append(parts, "source="+v.Source)
	case types.VolumeTypeTmpfs:
		if v.Tmpfs != nil && v.Tmpfs.Size > 0 {
			parts = append(parts, "tmpfs-size="+strconv.FormatInt(int64(v.Tmpfs.Size), 10))
		}
		if v.Tmpfs != nil && v.Tmpfs.Mode != 0 {
			parts = append(parts, "tmpfs-mode="+strconv.FormatUint(uint64(v.Tmpfs.Mode), 8))
		}
	default:
		return "", fmt.Errorf("volume type %q is not supported (bind, volume and tmpfs are)", v.Type)
	}
	parts = append(parts, "target="+v.Target)
	if v.ReadOnly {
		parts = append(parts, "readonly")
	}
	for _, s := range parts {
		if strings.Contains(s, ",") {
			return "", fmt.Errorf("volume %s: a ',' in a path is not supported", v.Target)
		}
	}
	return strings.Join(parts, ","), nil
}

// fileMounts are a service's secrets and configs as read-only bind mounts
// (-v values) of their files, as docker compose mounts file secrets
// outside swarm: a secret at /run/secrets/NAME (or its target, relative
// to /run/secrets), a config at /NAME (or its target). Unsupported kinds
// were refused by Check. The source is the file's path with its symlinks
// resolved now, bound with nofollow: such a file often sits in a
// directory the service also mounts writable, and a container that
// swapped it for a symlink would otherwise get any of the user's files
// bound at its next start.
func fileMounts(p *types.Project, s types.ServiceConfig) ([]string, error) {
	var out []string
	add := func(kind, name, file, target string) error {
		if file == "" {
			return fmt.Errorf("%s %q is not declared in the top-level %ss, or has no file", kind, name, kind)
		}
		real, err := filepath.EvalSymlinks(file)
		if err != nil {
			return fmt.Errorf("%s %s: %w", kind, name, err)
		}
		if strings.Contains(real, ":") || strings.Contains(target, ":") {
			return fmt.Errorf("%s %s: a ':' in a path is not supported", kind, name)
		}
		out = append(out, real+":"+target+":ro,"+isolation.MountNoFollow)
		return nil
	}
	for _, sec := range s.Secrets {
		target := sec.Target
		if target == "" {
			target = sec.Source
		}
		if !path.IsAbs(target) {
			target = path.Join("/run/secrets", target)
		}
		if err := add("secret", sec.Source, p.Secrets[sec.Source].File, target); err != nil {
			return nil, err
		}
	}
	for _, cfg := range s.Configs {
		target := cfg.Target
		if target == "" {
			target = cfg.Source
		}
		if err := add("config", cfg.Source, p.Configs[cfg.Source].File, path.Join("/", target)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// namespaceRef maps compose's "service:NAME" onto the container of that
// service (its first replica), as docker compose joins it; other modes
// pass as they are.
func namespaceRef(p *types.Project, mode string) string {
	name, ok := strings.CutPrefix(mode, types.ServicePrefix)
	if !ok {
		return mode
	}
	svc, ok := p.Services[name]
	if !ok {
		return mode // Check refused it
	}
	return "container:" + ContainerName(p, svc, 1)
}

// bindSource makes a missing bind source directory when the file asks
// for it (the short syntax does, as docker compose): the path is the one
// the user's file names, nothing else is created.
func bindSource(v types.ServiceVolumeConfig) error {
	if _, err := os.Lstat(v.Source); err == nil {
		return nil
	}
	if v.Bind == nil || !bool(v.Bind.CreateHostPath) {
		return fmt.Errorf("bind source %s does not exist", v.Source)
	}
	if err := os.MkdirAll(v.Source, 0o755); err != nil {
		return fmt.Errorf("create bind source %s: %w", v.Source, err)
	}
	return nil
}

func limits(s types.ServiceConfig, l *container.LimitOptions) error {
	mem, cpus, pids := int64(s.MemLimit), float64(s.CPUS), s.PidsLimit
	if s.Deploy != nil && s.Deploy.Resources.Limits != nil {
		r := s.Deploy.Resources.Limits
		if r.MemoryBytes > 0 {
			mem = int64(r.MemoryBytes)
		}
		if r.NanoCPUs > 0 {
			cpus = float64(r.NanoCPUs)
		}
		if r.Pids > 0 {
			pids = r.Pids
		}
	}
	if mem > 0 {
		l.Memory = strconv.FormatInt(mem, 10)
	}
	if s.MemSwapLimit != 0 {
		l.MemorySwap = strconv.FormatInt(int64(s.MemSwapLimit), 10)
	}
	if cpus > 0 {
		l.CPUs = strconv.FormatFloat(cpus, 'f', -1, 64)
	}
	l.PidsLimit, l.CPUShares = pids, s.CPUShares
	for _, name := range sortedKeys(s.Ulimits) {
		u := s.Ulimits[name]
		if u.Single != 0 {
			l.Ulimits = append(l.Ulimits, fmt.Sprintf("%s=%d", name, u.Single))
		} else {
			l.Ulimits = append(l.Ulimits, fmt.Sprintf("%s=%d:%d", name, u.Soft, u.Hard))
		}
	}
	return nil
}

func health(hc *types.HealthCheckConfig, o *container.HealthOptions) error {
	if hc.Disable || (len(hc.Test) > 0 && hc.Test[0] == "NONE") {
		o.None = true
		return nil
	}
	if len(hc.Test) > 0 {
		switch hc.Test[0] {
		case "CMD-SHELL":
			o.Cmd = strings.Join(hc.Test[1:], " ")
		case "CMD":
			// hull's health check runs a shell line: the words are quoted
			// into one, which runs the same argv.
			o.Cmd = shellJoin(hc.Test[1:])
		default:
			return fmt.Errorf("test %q: want CMD, CMD-SHELL or NONE first", hc.Test)
		}
	}
	if hc.Interval != nil {
		o.Interval = time.Duration(*hc.Interval)
	}
	if hc.Timeout != nil {
		o.Timeout = time.Duration(*hc.Timeout)
	}
	if hc.StartPeriod != nil {
		o.StartPeriod = time.Duration(*hc.StartPeriod)
	}
	if hc.Retries != nil {
		o.Retries = int(*hc.Retries)
	}
	return nil
}

func shellJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// serviceOrder is the services in dependency order (dependencies first),
// by name where the order is free.
func serviceOrder(p *types.Project, names []string) ([]string, error) {
	var out []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string, []string) error
	visit = func(n string, path []string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("dependency cycle: %s", strings.Join(append(path, n), " -> "))
		case 2:
			return nil
		}
		s, ok := p.Services[n]
		if !ok {
			return fmt.Errorf("no such service: %s", n)
		}
		state[n] = 1
		deps := sortedKeys(s.DependsOn)
		for _, ref := range serviceRefs(s) {
			if _, ok := s.DependsOn[ref]; !ok {
				deps = append(deps, ref)
			}
		}
		for _, d := range deps {
			if _, ok := p.Services[d]; !ok && !s.DependsOn[d].Required {
				continue
			}
			if err := visit(d, append(path, n)); err != nil {
				return err
			}
		}
		state[n] = 2
		out = append(out, n)
		return nil
	}
	sort.Strings(names)
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}
