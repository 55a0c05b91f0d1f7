package container

import (
	"strings"
	"time"
)

// Status values of State.Status, as Docker names them.
const (
	StatusCreated = "created"
	StatusRunning = "running"
	StatusPaused  = "paused"
	StatusExited  = "exited"
)

// Container is one container record. Field names follow Docker's inspect
// output so that the record reads like `docker inspect` in container.json.
type Container struct {
	ID         string       `json:"Id"`
	Name       string       `json:"Name"`  // without Docker's leading "/"
	Image      string       `json:"Image"` // as the user gave it
	ImageID    string       `json:"ImageID"`
	Created    time.Time    `json:"Created"`
	Path       string       `json:"Path"`
	Args       []string     `json:"Args"`
	Config     Config       `json:"Config"`
	HostConfig HostConfig   `json:"HostConfig"`
	State      State        `json:"State"`
	Mounts     []MountPoint `json:"Mounts"`
	// NetworkSettings is the network of the last start.
	NetworkSettings NetworkSettings `json:"NetworkSettings"`
	// RestartCount is how often the monitor restarted the container
	// (--restart) since it was last started by the user.
	RestartCount int `json:"RestartCount"`
	// HasBeenManuallyStopped: the user stopped or killed the container,
	// so its restart policy does not start it again.
	HasBeenManuallyStopped bool `json:"HasBeenManuallyStopped,omitempty"`
	// LastExit is the end of the latest run. State is replaced at every
	// start; this is kept across a restart, so that hull wait returns
	// the code of the run that ended, as Docker's does, even when the
	// restart policy starts the container again at once.
	LastExit *RunExit `json:"HullLastExit,omitempty"`
}

// RunExit is how and when one run of a container ended.
type RunExit struct {
	Code int       `json:"ExitCode"`
	At   time.Time `json:"FinishedAt"`
}

// Config is the part of the record that comes from the image and is
// portable between hosts.
type Config struct {
	Hostname   string            `json:"Hostname"`
	User       string            `json:"User"`
	Env        []string          `json:"Env"`
	Cmd        []string          `json:"Cmd"`
	Entrypoint []string          `json:"Entrypoint"`
	Image      string            `json:"Image"`
	WorkingDir string            `json:"WorkingDir"`
	Labels     map[string]string `json:"Labels"`
	StopSignal string            `json:"StopSignal,omitempty"`
	// StopTimeout is --stop-timeout in seconds; nil is stop's default.
	StopTimeout *int `json:"StopTimeout,omitempty"`
	// ExposedPorts are the image's EXPOSE with --expose added; -P
	// publishes them all.
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Tty          bool                `json:"Tty"`
	OpenStdin    bool                `json:"OpenStdin"`
	// Healthcheck is the image's HEALTHCHECK with the --health-* flags
	// over it (health.go).
	Healthcheck *Healthcheck `json:"Healthcheck,omitempty"`
}

// HostConfig is the part of the record that depends on the host: what is
// mounted, which privileges the process keeps, which network it joins.
type HostConfig struct {
	Binds          []string          `json:"Binds"`
	Mounts         []Mount           `json:"Mounts,omitempty"`
	Tmpfs          map[string]string `json:"Tmpfs,omitempty"`
	NetworkMode    string            `json:"NetworkMode"`
	AutoRemove     bool              `json:"AutoRemove"`
	ReadonlyRootfs bool              `json:"ReadonlyRootfs"`
	CapAdd         []string          `json:"CapAdd"`
	CapDrop        []string          `json:"CapDrop"`
	SecurityOpt    []string          `json:"SecurityOpt"`
	Init           bool              `json:"Init"`
	// PortBindings are the -p and -P publications (Docker's PortMap on
	// disk); a HostPort of 0 is chosen at start.
	PortBindings Ports    `json:"PortBindings,omitempty"`
	ExtraHosts   []string `json:"ExtraHosts,omitempty"`
	DNS          []string `json:"Dns,omitempty"`
	DNSSearch    []string `json:"DnsSearch,omitempty"`
	// RestartPolicy is --restart, carried out by the monitor.
	RestartPolicy RestartPolicy `json:"RestartPolicy"`
	// Privileged is --privileged, as rootless Podman means it (see
	// docs/security.md): every capability, no seccomp, nothing masked,
	// /sys writable, the host devices the user can open.
	Privileged bool `json:"Privileged,omitempty"`
	// ShmSize is --shm-size in bytes, 0 for 64 MiB.
	ShmSize int64 `json:"ShmSize,omitempty"`
	// Sysctls are --sysctl, namespaced keys only.
	Sysctls map[string]string `json:"Sysctls,omitempty"`
	// VolumesFrom is --volumes-from as given; the mounts it named were
	// copied into Binds at create.
	VolumesFrom []string `json:"VolumesFrom,omitempty"`
	// LogType is --log-driver ("json-file" or "none"; "" is json-file),
	// LogOpts --log-opt (max-size, max-file).
	LogType string            `json:"LogDriver,omitempty"`
	LogOpts map[string]string `json:"LogOpts,omitempty"`
	// IpcMode, UTSMode and PidMode are --ipc, --uts and --pid: ""
	// (private), "host" or "container:ID" (joins.go); NetworkMode may be
	// "container:ID" too.
	IpcMode string `json:"IpcMode,omitempty"`
	UTSMode string `json:"UTSMode,omitempty"`
	PidMode string `json:"PidMode,omitempty"`
	// Pod is the id of the pod whose network, IPC and UTS namespaces the
	// container shares (run --pod); "" for none.
	Pod string `json:"Pod,omitempty"`
	// Limits, time-out and user namespace (resources.go).
	Limits
	// Devices, GPUs and supplementary groups (devices.go).
	DeviceConfig
}

// Mount is one --mount flag, parsed (Docker's HostConfig.Mounts entry).
type Mount struct {
	Type     string `json:"Type"`             // "bind", "volume" or "tmpfs"
	Source   string `json:"Source,omitempty"` // for "volume": its name, "" for an anonymous one
	Target   string `json:"Target"`
	ReadOnly bool   `json:"ReadOnly,omitempty"`
	// NoCopy (volume-nocopy) leaves a new volume empty instead of
	// seeding it from the image.
	NoCopy bool `json:"NoCopy,omitempty"`
	// TmpfsSize is in bytes, 0 for the kernel's default.
	TmpfsSize int64 `json:"TmpfsSize,omitempty"`
	// TmpfsMode is the permission bits of the tmpfs root, 0 for default.
	TmpfsMode uint32 `json:"TmpfsMode,omitempty"`
}

// MountPoint is one entry of Docker's inspect "Mounts" list. For a volume
// it is also the record of which volume the container uses: Name (made up
// at create for an anonymous one) and Source, its directory in the store,
// filled in when the volume is attached.
type MountPoint struct {
	Type        string `json:"Type"`
	Name        string `json:"Name,omitempty"`
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Driver      string `json:"Driver,omitempty"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
	// Anonymous marks a volume made for this container alone (an image
	// VOLUME, -v /path): rm -v and --rm remove it.
	Anonymous bool `json:"Anonymous,omitempty"`
	// HostPath is a bind's Source with its symlinks resolved at create
	// (pinBindSources): every start binds exactly this path, with no
	// symlink followed on it.
	HostPath string `json:"HullHostPath,omitempty"`
	// HostPathDir says whether HostPath was a directory at create; a
	// start refuses a source of the other kind. Nil in older records.
	HostPathDir *bool `json:"HullHostPathDir,omitempty"`
}

// Volumes returns the volume mounts of c.
func (c *Container) Volumes() []MountPoint {
	var out []MountPoint
	for _, m := range c.Mounts {
		if m.Type == "volume" {
			out = append(out, m)
		}
	}
	return out
}

// UsesVolume reports whether c mounts volume name.
func (c *Container) UsesVolume(name string) bool {
	for _, m := range c.Mounts {
		if m.Type == "volume" && m.Name == name {
			return true
		}
	}
	return false
}

// State is where the container is in its life.
type State struct {
	Status     string    `json:"Status"`
	Running    bool      `json:"Running"`
	Pid        int       `json:"Pid"`
	ExitCode   int       `json:"ExitCode"`
	StartedAt  time.Time `json:"StartedAt"`
	FinishedAt time.Time `json:"FinishedAt"`
	OOMKilled  bool      `json:"OOMKilled"`
	Error      string    `json:"Error"`
	// Restarting: the container exited and its monitor starts it again
	// after the restart policy's back-off.
	Restarting bool `json:"Restarting"`
	// Paused: hull pause froze the running container's processes.
	Paused bool `json:"Paused,omitempty"`
	// Health is the health check's state while the container runs with
	// one (health.go).
	Health *Health `json:"Health,omitempty"`
}

// ShortID is the 12-character id Docker prints.
func ShortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Command is the command line as `docker ps` shows it.
func (c *Container) Command() string {
	return strings.TrimSpace(strings.Join(append([]string{c.Path}, c.Args...), " "))
}

// SetRunning records a successful start.
func (c *Container) SetRunning(pid int, at time.Time) {
	c.State = State{Status: StatusRunning, Running: true, Pid: pid, StartedAt: at}
	if c.HealthProbe() != nil {
		c.State.Health = &Health{Status: HealthStarting, Log: []HealthLog{}}
	}
}

// SetExited records the end of the container's first process. A non-empty
// msg is an error that kept the process from running at all.
func (c *Container) SetExited(code int, at time.Time, msg string) {
	c.State.Status = StatusExited
	c.State.Running = false
	c.State.Paused = false
	c.State.Pid = 0
	c.State.ExitCode = code
	c.State.FinishedAt = at
	c.State.Error = msg
	c.LastExit = &RunExit{Code: code, At: at}
}
