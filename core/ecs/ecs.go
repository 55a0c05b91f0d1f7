// Package ecs writes an Amazon ECS task definition, as
// `aws ecs register-task-definition --cli-input-json` takes it, from hull
// containers: one task per pod, container or compose project. The JSON
// shapes are written here by hand from the API's documented fields; the
// tests decode every output strictly into the AWS SDK's own types (a
// test-only dependency, so the binary links no AWS code).
//
// logConfiguration is left out on purpose: where the logs go (awslogs
// and its group and region, FireLens, ...) is the user's account's
// choice, not something a local container knows.
package ecs

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// TaskDefinition is RegisterTaskDefinition's input (the fields hull fills).
type TaskDefinition struct {
	Family               string                `json:"family"`
	NetworkMode          string                `json:"networkMode"`
	ContainerDefinitions []ContainerDefinition `json:"containerDefinitions"`
	Volumes              []Volume              `json:"volumes,omitempty"`
}

// ContainerDefinition is one container of the task.
type ContainerDefinition struct {
	Name         string        `json:"name"`
	Image        string        `json:"image"`
	Essential    bool          `json:"essential"`
	EntryPoint   []string      `json:"entryPoint,omitempty"`
	Command      []string      `json:"command,omitempty"`
	WorkingDir   string        `json:"workingDirectory,omitempty"`
	User         string        `json:"user,omitempty"`
	Environment  []KeyValue    `json:"environment,omitempty"`
	PortMappings []PortMapping `json:"portMappings,omitempty"`
	HealthCheck  *HealthCheck  `json:"healthCheck,omitempty"`
	DependsOn    []Dependency  `json:"dependsOn,omitempty"`
	// Memory is the hard limit in MiB; Cpu in CPU units (1024 a vCPU).
	Memory                 int64        `json:"memory,omitempty"`
	CPU                    int64        `json:"cpu,omitempty"`
	ReadonlyRootFilesystem bool         `json:"readonlyRootFilesystem,omitempty"`
	MountPoints            []MountPoint `json:"mountPoints,omitempty"`
	LinuxParameters        *LinuxParams `json:"linuxParameters,omitempty"`
}

// KeyValue is one environment variable.
type KeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PortMapping is one port; in awsvpc mode the host port is the
// container's own, so it is left out.
type PortMapping struct {
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

// HealthCheck is a container's health check, in seconds.
type HealthCheck struct {
	Command     []string `json:"command"`
	Interval    int32    `json:"interval,omitempty"`
	Timeout     int32    `json:"timeout,omitempty"`
	Retries     int32    `json:"retries,omitempty"`
	StartPeriod int32    `json:"startPeriod,omitempty"`
}

// Dependency is one dependsOn entry.
type Dependency struct {
	ContainerName string `json:"containerName"`
	Condition     string `json:"condition"` // START, COMPLETE, SUCCESS, HEALTHY
}

// MountPoint mounts a task volume.
type MountPoint struct {
	SourceVolume  string `json:"sourceVolume"`
	ContainerPath string `json:"containerPath"`
	ReadOnly      bool   `json:"readOnly"`
}

// LinuxParams carries the capabilities.
type LinuxParams struct {
	Capabilities *Capabilities `json:"capabilities,omitempty"`
}

// Capabilities are cap_add and cap_drop, without CAP_.
type Capabilities struct {
	Add  []string `json:"add,omitempty"`
	Drop []string `json:"drop,omitempty"`
}

// Volume is a task volume: a Docker volume (named), a bind of the
// instance's path (host), or neither (scratch space for the task).
type Volume struct {
	Name                      string        `json:"name"`
	Host                      *HostVolume   `json:"host,omitempty"`
	DockerVolumeConfiguration *DockerVolume `json:"dockerVolumeConfiguration,omitempty"`
}

// HostVolume is a path on the container instance.
type HostVolume struct {
	SourcePath string `json:"sourcePath"`
}

// DockerVolume is a named volume kept across tasks.
type DockerVolume struct {
	Scope         string `json:"scope"`
	Autoprovision bool   `json:"autoprovision"`
	Driver        string `json:"driver"`
}

// Member is one container of the task.
type Member struct {
	Name        string // the container's name in the task (service or short name)
	Container   *container.Container
	Image       string
	ImageConfig ocispec.ImageConfig
	Ports       []netspec.PortMapping
	// StoreDir is hull's store: a bind from inside it (kube play's
	// ConfigMap and Secret files) is hull's own file, not a path of the
	// container instance, and is left out.
	StoreDir string
}

// DependsOnLabel is Compose's record of a service's depends_on:
// "SERVICE:CONDITION:RESTART,...".
const DependsOnLabel = "com.docker.compose.depends_on"

// Generate writes the task definition of family from its members.
func Generate(family string, members []Member) ([]byte, []string, error) {
	td := TaskDefinition{Family: familyName(family), NetworkMode: "awsvpc"}
	var warnings []string
	vols := map[string]bool{}
	names := map[string]bool{}
	for _, m := range members {
		if names[m.Name] {
			warnings = append(warnings, fmt.Sprintf("%s: a second container of %s is left out (scale a service with the ECS service's desiredCount)", m.Container.Name, m.Name))
			continue
		}
		names[m.Name] = true
	}
	seen := map[string]bool{}
	for _, m := range members {
		if seen[m.Name] {
			continue
		}
		seen[m.Name] = true
		cd, w := definition(m, names)
		warnings = append(warnings, w...)
		for _, mp := range m.Container.Mounts {
			if mp.Type == "bind" && inDir(m.StoreDir, mp.Source) {
				warnings = append(warnings, fmt.Sprintf("%s: %s is left out: its files are hull's (a kube play ConfigMap or Secret), and ECS has no such volume", m.Container.Name, mp.Destination))
				continue
			}
			v, ok := taskVolume(mp)
			if !ok {
				continue
			}
			if mp.Type == "bind" {
				warnings = append(warnings, fmt.Sprintf("%s: bind mount %s becomes a host volume: the container instance needs that path", m.Container.Name, mp.Source))
			}
			cd.MountPoints = append(cd.MountPoints, MountPoint{SourceVolume: v.Name, ContainerPath: mp.Destination, ReadOnly: !mp.RW})
			if !vols[v.Name] {
				vols[v.Name] = true
				td.Volumes = append(td.Volumes, v)
			}
		}
		td.ContainerDefinitions = append(td.ContainerDefinitions, cd)
	}
	if len(td.ContainerDefinitions) == 0 {
		return nil, nil, fmt.Errorf("generate ecs: %s has no containers", family)
	}
	out, err := json.MarshalIndent(td, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("generate ecs: %w", err)
	}
	return append(out, '\n'), warnings, nil
}

func definition(m Member, names map[string]bool) (ContainerDefinition, []string) {
	rec, ic := m.Container, m.ImageConfig
	var warnings []string
	cd := ContainerDefinition{Name: m.Name, Image: m.Image, Essential: true}
	if !slices.Equal(rec.Config.Entrypoint, ic.Entrypoint) {
		cd.EntryPoint = rec.Config.Entrypoint
		cd.Command = rec.Config.Cmd
	} else if !slices.Equal(rec.Config.Cmd, ic.Cmd) {
		cd.Command = rec.Config.Cmd
	}
	if rec.Config.WorkingDir != ic.WorkingDir {
		cd.WorkingDir = rec.Config.WorkingDir
	}
	if rec.Config.User != ic.User {
		cd.User = rec.Config.User
	}
	plain, secret := rec.SplitSecretEnv(ic.Env)
	for _, e := range plain {
		k, v, _ := strings.Cut(e, "=")
		cd.Environment = append(cd.Environment, KeyValue{Name: k, Value: v})
	}
	refs := rec.SecretEnv()
	for _, k := range secret {
		// Never its value: a task definition is no place for one.
		warnings = append(warnings, fmt.Sprintf("%s: variable %s (from Secret %s) is left out: give it to the task under secrets, from Secrets Manager or SSM Parameter Store", rec.Name, k, refs[k].Secret))
	}
	ports := map[string]bool{}
	for _, p := range m.Ports {
		proto := strings.ToLower(p.Protocol)
		if proto == "" {
			proto = "tcp"
		}
		key := fmt.Sprintf("%d/%s", p.ContainerPort, proto)
		if !ports[key] {
			ports[key] = true
			cd.PortMappings = append(cd.PortMappings, PortMapping{ContainerPort: p.ContainerPort, Protocol: proto})
		}
		if p.HostPort != 0 && p.HostPort != p.ContainerPort {
			warnings = append(warnings, fmt.Sprintf("%s: port %d is published on %d here; in awsvpc mode the task listens on %d (put a load balancer in front to map it)", rec.Name, p.ContainerPort, p.HostPort, p.ContainerPort))
		}
	}
	if hc := healthCheck(rec.Config.Healthcheck); hc != nil {
		cd.HealthCheck = hc
	}
	if rec.HostConfig.Memory > 0 {
		cd.Memory = int64(math.Ceil(float64(rec.HostConfig.Memory) / (1 << 20)))
	} else {
		warnings = append(warnings, fmt.Sprintf("%s: no memory limit: the EC2 launch type needs memory (or memoryReservation) per container, Fargate a task size", rec.Name))
	}
	if rec.HostConfig.NanoCPUs > 0 {
		cd.CPU = int64(math.Ceil(float64(rec.HostConfig.NanoCPUs) * 1024 / 1e9))
	}
	cd.ReadonlyRootFilesystem = rec.HostConfig.ReadonlyRootfs
	if len(rec.HostConfig.CapAdd)+len(rec.HostConfig.CapDrop) > 0 {
		trim := func(in []string) []string {
			var out []string
			for _, c := range in {
				out = append(out, strings.TrimPrefix(c, "CAP_"))
			}
			return out
		}
		cd.LinuxParameters = &LinuxParams{Capabilities: &Capabilities{Add: trim(rec.HostConfig.CapAdd), Drop: trim(rec.HostConfig.CapDrop)}}
	}
	deps, w := dependsOn(rec, names)
	cd.DependsOn = deps
	return cd, append(warnings, w...)
}

// dependsOn reads Compose's depends_on label: service_started is START,
// service_healthy HEALTHY, service_completed_successfully SUCCESS.
func dependsOn(rec *container.Container, names map[string]bool) ([]Dependency, []string) {
	label := rec.Config.Labels[DependsOnLabel]
	if label == "" {
		return nil, nil
	}
	var out []Dependency
	var warnings []string
	for _, item := range strings.Split(label, ",") {
		parts := strings.Split(item, ":")
		svc := parts[0]
		cond := "service_started"
		if len(parts) > 1 {
			cond = parts[1]
		}
		if !names[svc] {
			warnings = append(warnings, fmt.Sprintf("%s: depends on %s, which is not in the task, left out", rec.Name, svc))
			continue
		}
		var c string
		switch cond {
		case "service_started":
			c = "START"
		case "service_healthy":
			c = "HEALTHY"
		case "service_completed_successfully":
			c = "SUCCESS"
		default:
			warnings = append(warnings, fmt.Sprintf("%s: depends_on condition %q has no ECS counterpart, START used", rec.Name, cond))
			c = "START"
		}
		out = append(out, Dependency{ContainerName: svc, Condition: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ContainerName < out[j].ContainerName })
	return out, warnings
}

// healthCheck maps a health check: ECS takes Docker's CMD and CMD-SHELL
// forms as they are; its times are whole seconds in its ranges.
func healthCheck(hc *container.Healthcheck) *HealthCheck {
	if hc == nil || len(hc.Test) < 2 || (hc.Test[0] != "CMD" && hc.Test[0] != "CMD-SHELL") {
		return nil
	}
	sec := func(d time.Duration, lo, hi int32) int32 {
		if d == 0 {
			return 0
		}
		return min(max(int32(math.Ceil(d.Seconds())), lo), hi)
	}
	out := &HealthCheck{Command: hc.Test, Interval: sec(hc.Interval, 5, 300), Timeout: sec(hc.Timeout, 2, 60),
		StartPeriod: sec(hc.StartPeriod, 0, 300)}
	if hc.Retries > 0 {
		out.Retries = int32(min(max(hc.Retries, 1), 10))
	}
	return out
}

// taskVolume is the task volume of a mount: a named volume is a shared
// Docker volume, a bind the instance's path, an anonymous volume
// scratch space.
func taskVolume(mp container.MountPoint) (Volume, bool) {
	switch {
	case mp.Type == "volume" && mp.Anonymous:
		return Volume{Name: volumeName("anon" + mp.Destination)}, true
	case mp.Type == "volume":
		return Volume{Name: volumeName(mp.Name), DockerVolumeConfiguration: &DockerVolume{Scope: "shared", Autoprovision: true, Driver: "local"}}, true
	case mp.Type == "bind":
		return Volume{Name: volumeName("host" + mp.Source), Host: &HostVolume{SourcePath: mp.Source}}, true
	}
	return Volume{}, false
}

// inDir reports whether p is dir or under it (false for no dir).
func inDir(dir, p string) bool {
	if dir == "" {
		return false
	}
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// volumeName: ECS volume names are up to 255 letters, digits, hyphens
// and underscores.
func volumeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), "_")
	if len(out) > 255 {
		out = out[:255]
	}
	if out == "" {
		return "v" + strconv.Itoa(len(s))
	}
	return out
}

// familyName: a family is up to 255 letters, digits, hyphens and
// underscores.
func familyName(s string) string { return volumeName(s) }
