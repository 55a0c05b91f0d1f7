package container

import (
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hull-project/hull/isolation"
)

// Options are the docker-run flags that shape a container, as given.
type Options struct {
	Name     string
	Hostname string
	User     string
	Workdir  string
	Network  string
	// Named are the named networks --network chose (core resolves the
	// names against its network store), with --network-alias and --ip.
	Named []NamedNetwork
	// Entrypoint is nil when --entrypoint was not given; "" clears the
	// image's entrypoint.
	Entrypoint  *string
	Cmd         []string
	Env         []string
	EnvFiles    []string
	Volumes     []string
	Mounts      []string
	Tmpfs       []string
	ReadOnly    bool
	Init        bool
	Tty         bool
	Interactive bool
	AutoRemove  bool
	// Pod is the pod's id (core resolves --pod NAME before New).
	Pod         string
	SecurityOpt []string
	CapAdd      []string
	CapDrop     []string
	// Networking: -p, -P, --add-host, --dns, --dns-search.
	Publish    []string
	PublishAll bool
	AddHosts   []string
	DNS        []string
	DNSSearch  []string
	// Health is the --health-* flags, Restart --restart (health.go).
	Health  HealthOptions
	Restart string
	// Labels are -l/--label KEY=VALUE and LabelFiles --label-file (see
	// ParseLabels); they go over the image's labels.
	Labels     []string
	LabelFiles []string
	// NonRoot refuses a container whose user is root, or a name that
	// cannot be checked (Kubernetes' runAsNonRoot).
	NonRoot bool
	// Sandboxing (see resources.go): limits, time-out, user namespace.
	LimitOptions
	// The flags of runflags.go.
	RunFlags
	// Devices, GPUs and --group-add (devices.go).
	DeviceOptions
}

// ImageRef is what a new container needs to know about its image.
type ImageRef struct {
	Name   string // as the user gave it
	ID     string
	Config ocispec.ImageConfig
	// Healthcheck is the image's HEALTHCHECK, if it has one.
	Healthcheck *Healthcheck
}

// New builds the record of a new container from the run options and the
// image, checking every option so that mistakes surface before anything is
// created. The record gets its id here (the default hostname is derived
// from it); Store.Create assigns the name.
func New(o Options, img ImageRef, lookup LookupEnv, now time.Time) (*Container, error) {
	c := &Container{ID: NewID(), Name: o.Name, Image: img.Name, ImageID: img.ID, Created: now.UTC()}
	c.State.Status = StatusCreated
	var err error
	if c.Config, err = newConfig(o, img, lookup); err != nil {
		return nil, err
	}
	argv := append(append([]string(nil), c.Config.Entrypoint...), c.Config.Cmd...)
	if len(argv) == 0 {
		return nil, fmt.Errorf("no command specified")
	}
	c.Path, c.Args = argv[0], argv[1:]
	if c.HostConfig, err = newHostConfig(o); err != nil {
		return nil, err
	}
	if err := c.setHealthRestart(o, img); err != nil {
		return nil, err
	}
	if err := c.setRunFlags(o.RunFlags, img.Config.ExposedPorts); err != nil {
		return nil, err
	}
	keepIDUser(&c.Config, o)
	if err := c.HostConfig.checkJoins(o); err != nil {
		return nil, err
	}
	hostMode := c.HostConfig.NetworkMode
	if c.HostConfig.UTSMode == "host" {
		if o.Hostname != "" {
			return nil, fmt.Errorf("conflicting options: --hostname and --uts host")
		}
		hostMode = NetworkHost // the host's name, as with --network host
	}
	if c.Config.Hostname, err = hostname(o.Hostname, hostMode, c.ID); err != nil {
		return nil, err
	}
	if err := c.setNamed(o.Named); err != nil {
		return nil, err
	}
	if err := c.setPorts(o, c.Config.ExposedPorts); err != nil {
		return nil, err
	}
	vols, err := volumePoints(c.HostConfig, img.Config.Volumes)
	if err != nil {
		return nil, err
	}
	plan, err := planMounts(c.HostConfig, vols)
	if err != nil {
		return nil, err
	}
	c.Mounts = plan.points
	if err := pinBindSources(c.Mounts); err != nil {
		return nil, err
	}
	return c, nil
}

func newConfig(o Options, img ImageRef, lookup LookupEnv) (Config, error) {
	ic := img.Config
	cfg := Config{User: ic.User, Image: img.Name, WorkingDir: ic.WorkingDir,
		StopSignal: ic.StopSignal, Tty: o.Tty, OpenStdin: o.Interactive}
	labels, err := ParseLabels(o.LabelFiles, o.Labels)
	if err != nil {
		return cfg, err
	}
	cfg.Labels = mergeLabels(ic.Labels, labels)
	env, err := UserEnv(o.EnvFiles, o.Env, lookup)
	if err != nil {
		return cfg, err
	}
	cfg.Env = MergeImageEnv(env, ic.Env)
	cfg.Entrypoint, cfg.Cmd = command(o.Entrypoint, o.Cmd, ic.Entrypoint, ic.Cmd)
	if o.User != "" {
		cfg.User = o.User
	}
	if o.NonRoot {
		if err := nonRoot(cfg.User); err != nil {
			return cfg, err
		}
	}
	if o.Workdir != "" {
		if !path.IsAbs(o.Workdir) {
			return cfg, fmt.Errorf("the working directory '%s' is invalid, it needs to be an absolute path", o.Workdir)
		}
		cfg.WorkingDir = path.Clean(o.Workdir)
	}
	return cfg, nil
}

// nonRoot checks a user as the kubelet checks runAsNonRoot: the user (the
// part before ':') must be a number other than 0; a name cannot be
// checked before the container's passwd is read, so it is refused.
func nonRoot(user string) error {
	u, _, _ := strings.Cut(user, ":")
	id, err := strconv.ParseUint(u, 10, 32)
	switch {
	case u == "" || u == "root" || (err == nil && id == 0):
		return fmt.Errorf("container has runAsNonRoot and image will run as root")
	case err != nil:
		return fmt.Errorf("container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root", u)
	}
	return nil
}

// command merges entrypoint and cmd as Docker does: a given --entrypoint,
// even "" (which leaves no entrypoint), replaces the image's and drops the
// image's Cmd (the daemon's merge copies Cmd only when the user's
// Entrypoint is empty, and --entrypoint "" sends [""]); CMD arguments
// replace the image's Cmd.
func command(flagEntrypoint *string, cmd, imageEntrypoint, imageCmd []string) (entrypoint, command []string) {
	command = cmd
	switch {
	case flagEntrypoint == nil:
		entrypoint = imageEntrypoint
		if len(command) == 0 {
			command = imageCmd
		}
	case *flagEntrypoint != "":
		entrypoint = []string{*flagEntrypoint}
	}
	return append([]string(nil), entrypoint...), append([]string(nil), command...)
}

func newHostConfig(o Options) (HostConfig, error) {
	hc := HostConfig{Binds: o.Volumes, AutoRemove: o.AutoRemove, ReadonlyRootfs: o.ReadOnly, Pod: o.Pod,
		SecurityOpt: o.SecurityOpt, Init: o.Init}
	var err error
	if strings.HasPrefix(o.Network, ModeContainer) {
		hc.NetworkMode = o.Network // looked up by core (joins.go)
	} else if hc.NetworkMode, err = ParseNetwork(o.Network); err != nil {
		return hc, err
	}
	for _, v := range o.Volumes {
		if _, err := ParseVolume(v); err != nil {
			return hc, err
		}
	}
	for _, m := range o.Mounts {
		mnt, err := ParseMount(m)
		if err != nil {
			return hc, err
		}
		hc.Mounts = append(hc.Mounts, mnt)
	}
	for _, t := range o.Tmpfs {
		dst, opts, err := ParseTmpfs(t)
		if err != nil {
			return hc, err
		}
		if hc.Tmpfs == nil {
			hc.Tmpfs = map[string]string{}
		}
		hc.Tmpfs[dst] = opts
	}
	if hc.CapAdd, err = NormalizeCaps(o.CapAdd); err != nil {
		return hc, err
	}
	if hc.CapDrop, err = NormalizeCaps(o.CapDrop); err != nil {
		return hc, err
	}
	if _, err := Capabilities(isolation.DefaultCapabilities(), hc.CapAdd, hc.CapDrop); err != nil {
		return hc, err
	}
	if hc.SecurityOpt, err = inlineSeccompProfiles(o.SecurityOpt); err != nil {
		return hc, err
	}
	if _, err = ParseSecurityOpts(hc.SecurityOpt); err != nil {
		return hc, err
	}
	if hc.DeviceConfig, err = ParseDeviceOptions(o.DeviceOptions); err != nil {
		return hc, err
	}
	return hc, setResources(&hc, o.LimitOptions)
}

// hostname is --hostname, else the host's name on the host network, else
// the short id, as in Docker.
// CheckHostname refuses a host name that is not RFC 1123's letters (plus
// '_'): the kernel takes up to 64 bytes of anything, but the name also
// goes into the container's /etc/hosts, where a newline or a space would
// add an entry of the caller's making (from a compose file too).
func CheckHostname(h string) error {
	ok := h != "" && len(h) <= 64 && h[0] != '-' && h[0] != '.'
	for _, r := range h {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}
	if !ok {
		return fmt.Errorf("invalid hostname %q: want 1-64 letters, digits, '-', '_' or '.', not starting with '-' or '.'", h)
	}
	return nil
}

func hostname(given, network, id string) (string, error) {
	switch {
	case given != "":
		return given, CheckHostname(given)
	case network == NetworkHost:
		h, err := os.Hostname()
		if err != nil {
			return "", fmt.Errorf("read host name: %w", err)
		}
		return h, nil
	}
	return ShortID(id), nil
}
