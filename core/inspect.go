package core

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
)

// ErrNoSuchObject: inspect found neither a container nor an image.
var ErrNoSuchObject = errors.New("no such object")

// ImageView is an image as `docker image inspect` shows it.
type ImageView struct {
	ID            string          `json:"Id"`
	RepoTags      []string        `json:"RepoTags"`
	RepoDigests   []string        `json:"RepoDigests"`
	Parent        string          `json:"Parent"`
	Comment       string          `json:"Comment"`
	Created       string          `json:"Created"`
	DockerVersion string          `json:"DockerVersion"`
	Author        string          `json:"Author"`
	Config        ImageConfigView `json:"Config"`
	Architecture  string          `json:"Architecture"`
	Variant       string          `json:"Variant,omitempty"`
	Os            string          `json:"Os"`
	Size          int64           `json:"Size"`
	RootFS        RootFSView      `json:"RootFS"`
}

// ImageConfigView is Docker's container.Config as image inspect fills it.
type ImageConfigView struct {
	Hostname     string              `json:"Hostname"`
	Domainname   string              `json:"Domainname"`
	User         string              `json:"User"`
	AttachStdin  bool                `json:"AttachStdin"`
	AttachStdout bool                `json:"AttachStdout"`
	AttachStderr bool                `json:"AttachStderr"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Tty          bool                `json:"Tty"`
	OpenStdin    bool                `json:"OpenStdin"`
	StdinOnce    bool                `json:"StdinOnce"`
	Env          []string            `json:"Env"`
	Cmd          []string            `json:"Cmd"`
	Image        string              `json:"Image"`
	Volumes      map[string]struct{} `json:"Volumes"`
	WorkingDir   string              `json:"WorkingDir"`
	Entrypoint   []string            `json:"Entrypoint"`
	OnBuild      []string            `json:"OnBuild"`
	Labels       map[string]string   `json:"Labels"`
	StopSignal   string              `json:"StopSignal,omitempty"`
	Healthcheck  *image.Healthcheck  `json:"Healthcheck,omitempty"`
	Shell        []string            `json:"Shell,omitempty"`
}

// RootFSView lists an image's layers by diff id.
type RootFSView struct {
	Type   string   `json:"Type"`
	Layers []string `json:"Layers"`
}

// ContainerView is a container as `docker container inspect` shows it.
type ContainerView struct {
	ID         string                 `json:"Id"`
	Created    string                 `json:"Created"`
	Path       string                 `json:"Path"`
	Args       []string               `json:"Args"`
	State      StateView              `json:"State"`
	Image      string                 `json:"Image"`
	LogPath    string                 `json:"LogPath"`
	Name       string                 `json:"Name"`
	Platform   string                 `json:"Platform"`
	HostConfig HostConfigView         `json:"HostConfig"`
	Mounts     []container.MountPoint `json:"Mounts"`
	Config     ContainerConfigView    `json:"Config"`
	// RestartCount is how often --restart started it again.
	RestartCount int `json:"RestartCount"`
	// NetworkSettings: the last start's network; a running container's
	// named networks with their addresses now.
	NetworkSettings NetworkSettingsView `json:"NetworkSettings"`
}

// NetworkSettingsView is Docker's NetworkSettings: the address on the
// container's own network (bridge, slirp4netns, a plugin), its published
// and exposed ports as a PortMap, and every network it is on by name.
type NetworkSettingsView struct {
	Ports       map[string][]container.PortBinding `json:"Ports"`
	IPAddress   string                             `json:"IPAddress"`
	IPPrefixLen int                                `json:"IPPrefixLen"`
	Gateway     string                             `json:"Gateway"`
	MacAddress  string                             `json:"MacAddress"`
	Networks    map[string]*EndpointView           `json:"Networks"`
}

// EndpointView is Docker's EndpointSettings, one network of a container.
type EndpointView struct {
	IPAMConfig  *container.EndpointIPAM `json:"IPAMConfig"`
	Links       []string                `json:"Links"`
	Aliases     []string                `json:"Aliases"`
	MacAddress  string                  `json:"MacAddress"`
	NetworkID   string                  `json:"NetworkID"`
	EndpointID  string                  `json:"EndpointID"`
	Gateway     string                  `json:"Gateway"`
	IPAddress   string                  `json:"IPAddress"`
	IPPrefixLen int                     `json:"IPPrefixLen"`
	DNSNames    []string                `json:"DNSNames"`
}

// LogConfigView is Docker's HostConfig.LogConfig.
type LogConfigView struct {
	Type   string            `json:"Type"`
	Config map[string]string `json:"Config"`
}

// StateView is Docker's container State.
type StateView struct {
	Status     string `json:"Status"`
	Running    bool   `json:"Running"`
	Paused     bool   `json:"Paused"`
	Restarting bool   `json:"Restarting"`
	OOMKilled  bool   `json:"OOMKilled"`
	Dead       bool   `json:"Dead"`
	Pid        int    `json:"Pid"`
	ExitCode   int    `json:"ExitCode"`
	Error      string `json:"Error"`
	StartedAt  string `json:"StartedAt"`
	FinishedAt string `json:"FinishedAt"`
	// Health is the health check's state, when the container has one.
	Health *container.Health `json:"Health,omitempty"`
}

// ContainerConfigView is Docker's container Config.
type ContainerConfigView struct {
	Hostname     string                 `json:"Hostname"`
	Domainname   string                 `json:"Domainname"`
	User         string                 `json:"User"`
	AttachStdin  bool                   `json:"AttachStdin"`
	AttachStdout bool                   `json:"AttachStdout"`
	AttachStderr bool                   `json:"AttachStderr"`
	Tty          bool                   `json:"Tty"`
	OpenStdin    bool                   `json:"OpenStdin"`
	StdinOnce    bool                   `json:"StdinOnce"`
	Env          []string               `json:"Env"`
	Cmd          []string               `json:"Cmd"`
	Image        string                 `json:"Image"`
	WorkingDir   string                 `json:"WorkingDir"`
	Entrypoint   []string               `json:"Entrypoint"`
	Labels       map[string]string      `json:"Labels"`
	StopSignal   string                 `json:"StopSignal,omitempty"`
	Healthcheck  *container.Healthcheck `json:"Healthcheck,omitempty"`
}

// HostConfigView is the part of Docker's HostConfig that hull supports.
type HostConfigView struct {
	Binds          []string                `json:"Binds"`
	NetworkMode    string                  `json:"NetworkMode"`
	AutoRemove     bool                    `json:"AutoRemove"`
	ReadonlyRootfs bool                    `json:"ReadonlyRootfs"`
	CapAdd         []string                `json:"CapAdd"`
	CapDrop        []string                `json:"CapDrop"`
	SecurityOpt    []string                `json:"SecurityOpt"`
	Init           bool                    `json:"Init"`
	Tmpfs          map[string]string       `json:"Tmpfs,omitempty"`
	Mounts         []MountView             `json:"Mounts,omitempty"`
	RestartPolicy  container.RestartPolicy `json:"RestartPolicy"`
	// PortBindings are -p and -P as given: an empty HostPort is chosen
	// at start (NetworkSettings.Ports has the one chosen).
	PortBindings map[string][]container.PortBinding `json:"PortBindings"`
	LogConfig    LogConfigView                      `json:"LogConfig"`
	IpcMode      string                             `json:"IpcMode"`
	UTSMode      string                             `json:"UTSMode"`
	PidMode      string                             `json:"PidMode"`
}

// MountView is one --mount as Docker's HostConfig.Mounts shows it.
type MountView struct {
	Type         string            `json:"Type"`
	Source       string            `json:"Source,omitempty"`
	Target       string            `json:"Target"`
	ReadOnly     bool              `json:"ReadOnly,omitempty"`
	TmpfsOptions *TmpfsOptionsView `json:"TmpfsOptions,omitempty"`
}

// TmpfsOptionsView is Docker's mount.TmpfsOptions.
type TmpfsOptionsView struct {
	SizeBytes int64  `json:"SizeBytes,omitempty"`
	Mode      uint32 `json:"Mode,omitempty"`
}

// Inspect finds each name as kind ("container", "image", or "" for either,
// containers first, as Docker does) and returns the views found, in order;
// names that match nothing come back as errors wrapping ErrNoSuchObject.
func (h *Hull) Inspect(names []string, kind string) ([]any, []error) {
	var views []any
	var errs []error
	for _, n := range names {
		v, err := h.inspectOne(n, kind)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		views = append(views, v)
	}
	return views, errs
}

func (h *Hull) inspectOne(name, kind string) (any, error) {
	if kind == "" || kind == "container" {
		c, err := h.Containers.Lookup(name)
		if err == nil {
			ns := c.NetworkSettings
			h.liveEndpoints(c, &ns)
			v := ContainerInspect(c)
			v.NetworkSettings = networkSettingsView(c, ns)
			v.LogPath = h.LogPath(c.ID)
			return v, nil
		}
		if !errors.Is(err, container.ErrNotFound) {
			return nil, err
		}
	}
	if kind == "" || kind == "image" {
		img, err := h.Images.Lookup(name)
		if err == nil {
			return ImageInspect(img), nil
		}
		if !errors.Is(err, image.ErrNotFound) {
			return nil, err
		}
	}
	switch kind {
	case "container":
		return nil, fmt.Errorf("%w: %s", container.ErrNotFound, name)
	case "image":
		return nil, fmt.Errorf("%w: %s", image.ErrNotFound, name)
	}
	return nil, fmt.Errorf("%w: %s", ErrNoSuchObject, name)
}

// ImageInspect shapes an image like Docker's image inspect.
func ImageInspect(img *image.Image) ImageView {
	v := ImageView{ID: img.ID, RepoTags: []string{}, RepoDigests: []string{}, Size: img.Size,
		Created: formatTime(img.Created), Author: img.Config.Author,
		Architecture: img.Config.Architecture, Variant: img.Config.Variant, Os: img.Config.OS,
		RootFS: RootFSView{Type: img.Config.RootFS.Type, Layers: []string{}}}
	for _, n := range img.Names {
		if strings.Contains(n, "@") {
			v.RepoDigests = append(v.RepoDigests, image.FamiliarString(n))
		} else {
			v.RepoTags = append(v.RepoTags, image.FamiliarString(n))
		}
	}
	if h := img.Config.History; len(h) > 0 {
		v.Comment = h[len(h)-1].Comment
	}
	for _, d := range img.Config.RootFS.DiffIDs {
		v.RootFS.Layers = append(v.RootFS.Layers, d.String())
	}
	c := img.Config.Config
	v.Config = ImageConfigView{User: c.User, ExposedPorts: c.ExposedPorts, Env: c.Env, Cmd: c.Cmd,
		Volumes: c.Volumes, WorkingDir: c.WorkingDir, Entrypoint: c.Entrypoint, Labels: c.Labels,
		StopSignal: c.StopSignal, OnBuild: img.Extras.OnBuild, Healthcheck: img.Extras.Healthcheck,
		Shell: img.Extras.Shell}
	return v
}

// ContainerInspect shapes a container record like Docker's inspect.
func ContainerInspect(c *container.Container) ContainerView {
	cfg, hc, st := c.Config, c.HostConfig, c.State
	v := ContainerView{ID: c.ID, Created: formatTime(c.Created), Path: c.Path, Args: nonNil(c.Args),
		Image: c.ImageID, Name: "/" + c.Name, Platform: "linux", Mounts: c.Mounts}
	if v.Mounts == nil {
		v.Mounts = []container.MountPoint{}
	}
	v.State = StateView{Status: st.Status, Running: st.Running, Paused: st.Paused, OOMKilled: st.OOMKilled, Pid: st.Pid,
		ExitCode: st.ExitCode, Error: st.Error, StartedAt: formatTime(st.StartedAt), FinishedAt: formatTime(st.FinishedAt),
		Restarting: st.Restarting, Health: st.Health}
	v.RestartCount = c.RestartCount
	v.NetworkSettings = networkSettingsView(c, c.NetworkSettings)
	v.Config = ContainerConfigView{Hostname: cfg.Hostname, User: cfg.User, AttachStdin: cfg.OpenStdin,
		AttachStdout: true, AttachStderr: true, Tty: cfg.Tty, OpenStdin: cfg.OpenStdin, StdinOnce: cfg.OpenStdin,
		Env: cfg.Env, Cmd: cfg.Cmd, Image: cfg.Image, WorkingDir: cfg.WorkingDir, Entrypoint: cfg.Entrypoint,
		Labels: cfg.Labels, StopSignal: cfg.StopSignal, Healthcheck: cfg.Healthcheck}
	v.HostConfig = HostConfigView{Binds: hc.Binds, NetworkMode: hc.NetworkMode, AutoRemove: hc.AutoRemove,
		ReadonlyRootfs: hc.ReadonlyRootfs, CapAdd: hc.CapAdd, CapDrop: hc.CapDrop, SecurityOpt: hc.SecurityOpt,
		Init: hc.Init, Tmpfs: hc.Tmpfs, RestartPolicy: hc.RestartPolicy}
	if v.HostConfig.RestartPolicy.Name == "" {
		v.HostConfig.RestartPolicy.Name = "no"
	}
	v.HostConfig.PortBindings = map[string][]container.PortBinding{}
	for _, p := range hc.PortBindings {
		b := container.PortBinding{HostIP: p.HostIP}
		if p.HostPort != 0 {
			b.HostPort = strconv.Itoa(p.HostPort)
		}
		v.HostConfig.PortBindings[p.Key()] = append(v.HostConfig.PortBindings[p.Key()], b)
	}
	v.HostConfig.IpcMode, v.HostConfig.UTSMode, v.HostConfig.PidMode = hc.IpcMode, hc.UTSMode, hc.PidMode
	if v.HostConfig.IpcMode == "" {
		v.HostConfig.IpcMode = "private"
	}
	v.HostConfig.LogConfig = LogConfigView{Type: hc.LogDriver(), Config: hc.LogOpts}
	if v.HostConfig.LogConfig.Config == nil {
		v.HostConfig.LogConfig.Config = map[string]string{}
	}
	for _, m := range hc.Mounts {
		mv := MountView{Type: m.Type, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
		if m.Type == "tmpfs" && (m.TmpfsSize != 0 || m.TmpfsMode != 0) {
			mv.TmpfsOptions = &TmpfsOptionsView{SizeBytes: m.TmpfsSize, Mode: m.TmpfsMode}
		}
		v.HostConfig.Mounts = append(v.HostConfig.Mounts, mv)
	}
	return v
}

// networkSettingsView shapes ns, the record's network (with live
// addresses on named networks), as Docker's NetworkSettings. Ports lists
// every exposed port, null where it is not published, and the host
// address a publication without one listens on, as Docker does. The
// container's own network (bridge, slirp4netns or a plugin) is under
// its mode's name beside the named networks; it has no network record,
// so its NetworkID is empty.
func networkSettingsView(c *container.Container, ns container.NetworkSettings) NetworkSettingsView {
	v := NetworkSettingsView{Ports: map[string][]container.PortBinding{}, IPAddress: ns.IPAddress,
		IPPrefixLen: ns.IPPrefixLen, Gateway: ns.Gateway, Networks: map[string]*EndpointView{}}
	if c.State.Running {
		for key := range c.Config.ExposedPorts {
			if p, err := container.ParseExposed(key); err == nil {
				v.Ports[p.Key()] = nil
			}
		}
		for _, p := range ns.Ports {
			b := container.PortBinding{HostIP: p.HostIP, HostPort: strconv.Itoa(p.HostPort)}
			if b.HostIP == "" {
				b.HostIP = "0.0.0.0"
			}
			v.Ports[p.Key()] = append(v.Ports[p.Key()], b)
		}
	}
	switch mode := c.HostConfig.NetworkMode; {
	case mode == container.NetworkHost || mode == container.NetworkNone || c.HostConfig.Pod != "",
		strings.HasPrefix(mode, container.ModeContainer): // the joined container's network
	case len(ns.Networks) > 0:
		// On named networks, as Docker, only they are listed (their
		// way out, slirp4netns, is not a network the user chose).
	default:
		v.Networks[mode] = &EndpointView{IPAddress: ns.IPAddress, IPPrefixLen: ns.IPPrefixLen, Gateway: ns.Gateway,
			DNSNames: nil}
	}
	if c.HostConfig.NetworkMode == container.NetworkHost {
		v.Networks["host"] = &EndpointView{}
	}
	for name, ep := range ns.Networks {
		v.Networks[name] = &EndpointView{IPAMConfig: ep.IPAMConfig, Aliases: ep.Aliases, MacAddress: ep.MacAddress,
			NetworkID: ep.Network.ID, Gateway: ep.Gateway, IPAddress: ep.IPAddress, IPPrefixLen: ep.IPPrefixLen,
			DNSNames: c.DNSNames(name)}
	}
	return v
}

// formatTime formats like Docker's API: RFC 3339 with nanoseconds, UTC;
// the zero time as "0001-01-01T00:00:00Z".
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
