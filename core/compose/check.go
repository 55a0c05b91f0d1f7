package compose

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// A keyTree names the keys hull maps: a leaf (true) is taken whole, a
// subtree's keys are checked one by one (in each element of a list), and
// the key "*" stands for any name (a map of services, networks...).
type keyTree map[string]any

var leaf = true

// serviceKeys are the service keys hull maps (docs/compose.md).
var serviceKeys = keyTree{
	"name": leaf, "image": leaf, "command": leaf, "entrypoint": leaf, "environment": leaf,
	"env_file": keyTree{"path": leaf, "required": leaf, "format": leaf},
	"ports":    keyTree{"target": leaf, "published": leaf, "host_ip": leaf, "protocol": leaf, "mode": leaf},
	"expose":   leaf,
	"volumes": keyTree{"type": leaf, "source": leaf, "target": leaf, "read_only": leaf,
		"bind":   keyTree{"create_host_path": leaf},
		"volume": keyTree{"nocopy": leaf},
		"tmpfs":  keyTree{"size": leaf, "mode": leaf}},
	"tmpfs":       leaf,
	"depends_on":  keyTree{"*": keyTree{"condition": leaf, "required": leaf, "restart": leaf}},
	"healthcheck": keyTree{"test": leaf, "interval": leaf, "timeout": leaf, "retries": leaf, "start_period": leaf, "disable": leaf},
	"restart":     leaf, "user": leaf, "working_dir": leaf, "read_only": leaf, "cap_add": leaf, "cap_drop": leaf,
	"security_opt": leaf, "init": leaf, "labels": leaf, "stop_signal": leaf, "stop_grace_period": leaf,
	"extra_hosts": leaf, "dns": leaf, "dns_search": leaf, "hostname": leaf, "tty": leaf, "stdin_open": leaf,
	"container_name": leaf, "mem_limit": leaf, "cpus": leaf, "pids_limit": leaf, "scale": leaf, "profiles": leaf,
	"pull_policy": leaf, "platform": leaf, "ulimits": leaf, "cpu_shares": leaf, "memswap_limit": leaf,
	"network_mode": leaf, "pid": leaf, "ipc": leaf, "uts": leaf, "shm_size": leaf, "sysctls": leaf, "privileged": leaf, "devices": keyTree{"source": leaf, "target": leaf, "permissions": leaf},
	"group_add": leaf, "logging": keyTree{"driver": leaf, "options": leaf},
	"networks": keyTree{"*": keyTree{"aliases": leaf, "ipv4_address": leaf}},
	"deploy": keyTree{"replicas": leaf, "mode": leaf,
		"resources": keyTree{"limits": keyTree{"memory": leaf, "cpus": leaf, "pids": leaf}, "reservations": keyTree{"devices": leaf}}},
	"gpus": leaf,
	// Secrets and configs are read-only bind mounts of their files;
	// uid, gid and mode cannot be honoured on a bind (docker compose
	// ignores them too outside swarm), so they are warnings.
	"secrets": keyTree{"source": leaf, "target": leaf}, "configs": keyTree{"source": leaf, "target": leaf},
	"build": keyTree{"context": leaf, "dockerfile": leaf, "dockerfile_inline": leaf, "args": leaf, "target": leaf,
		"labels": leaf, "no_cache": leaf, "network": leaf, "secrets": keyTree{"source": leaf, "target": leaf}},
}

// errorKeys are the service keys hull does not map whose absence would
// change what the application may do or see (privileges, devices, shared
// namespaces, secrets it reads): running without them would be wrong, so
// they stop the command. Every other key hull does not map is a warning.
var errorKeys = map[string]bool{
	"userns_mode":  true,
	"volumes_from": true, "runtime": true, "cgroup": true, "cgroup_parent": true,
	"models": true, "provider": true, "use_api_socket": true, "device_cgroup_rules": true,
	"isolation": true, "credential_spec": true, "links": true, "external_links": true,
	"post_start": true, "pre_stop": true, "pre_start": true,
}

// projectKeys are the top-level keys hull maps.
var networkKeys = keyTree{"name": leaf, "driver": leaf, "external": leaf, "internal": leaf, "labels": leaf,
	"ipam": keyTree{"config": keyTree{"subnet": leaf, "gateway": leaf}}}
var volumeKeys = keyTree{"name": leaf, "driver": leaf, "external": leaf, "labels": leaf}

// Unsupported walks the loaded project for every key that is set and that
// hull does not map: errs are keys that stop the command, warnings keys
// that are left out (each names its service and key, e.g.
// "service web: blkio_config"). Nothing is dropped without a word.
func Unsupported(p *types.Project) (warnings, errs []string) {
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		m, err := toMap(s)
		if err != nil {
			errs = append(errs, fmt.Sprintf("service %s: %v", name, err))
			continue
		}
		for _, k := range walk(m, serviceKeys, "") {
			top, _, _ := strings.Cut(k, ".")
			msg := fmt.Sprintf("service %s: %s", name, k)
			if errorKeys[top] {
				errs = append(errs, msg)
			} else {
				warnings = append(warnings, msg)
			}
		}
		if len(s.Extensions) > 0 {
			for _, x := range sortedKeys(s.Extensions) {
				warnings = append(warnings, fmt.Sprintf("service %s: %s (an extension; hull reads none)", name, x))
			}
		}
		if s.NetworkMode != "" && !supportedNetworkMode(s.NetworkMode) {
			errs = append(errs, fmt.Sprintf("service %s: network_mode %q (hull supports none, host, bridge, service:NAME and container:NAME)", name, s.NetworkMode))
		}
		for _, ref := range serviceRefs(s) {
			if _, ok := p.Services[ref]; !ok {
				errs = append(errs, fmt.Sprintf("service %s: service:%s names no service of the project", name, ref))
			}
		}
	}
	for _, name := range sortedKeys(p.Networks) {
		m, _ := toMap(p.Networks[name])
		for _, k := range walk(m, networkKeys, "") {
			warnings = append(warnings, fmt.Sprintf("network %s: %s", name, k))
		}
		if d := p.Networks[name].Driver; d != "" && d != "bridge" && d != "hull" {
			errs = append(errs, fmt.Sprintf("network %s: driver %q (hull's named networks are its own, bridge-like)", name, d))
		}
	}
	for _, name := range sortedKeys(p.Volumes) {
		m, _ := toMap(p.Volumes[name])
		for _, k := range walk(m, volumeKeys, "") {
			warnings = append(warnings, fmt.Sprintf("volume %s: %s", name, k))
		}
		if d := p.Volumes[name].Driver; d != "" && d != "local" {
			errs = append(errs, fmt.Sprintf("volume %s: driver %q (hull has local volumes only)", name, d))
		}
	}
	for _, name := range sortedKeys(p.Secrets) {
		if err := fileObject(types.FileObjectConfig(p.Secrets[name])); err != "" {
			errs = append(errs, fmt.Sprintf("secret %s: %s", name, err))
		}
	}
	for _, name := range sortedKeys(p.Configs) {
		if err := fileObject(types.FileObjectConfig(p.Configs[name])); err != "" {
			errs = append(errs, fmt.Sprintf("config %s: %s", name, err))
		}
	}
	if len(p.Models) > 0 {
		errs = append(errs, "top-level models: hull does not support them")
	}
	return warnings, errs
}

// fileObject says what hull cannot do with a top-level secret or config:
// it mounts files only, as docker compose outside swarm mounts file
// secrets.
func fileObject(o types.FileObjectConfig) string {
	switch {
	case bool(o.External):
		return "external secrets and configs are swarm's (hull mounts files)"
	case o.File == "" && o.Environment != "":
		return "environment-sourced ones are not supported yet (use file:)"
	case o.File == "" && o.Content != "":
		return "inline content is not supported yet (use file:)"
	case o.File == "":
		return "no file: given"
	case o.Driver != "" || o.TemplateDriver != "":
		return "drivers are swarm's (hull mounts files)"
	}
	return ""
}

func supportedNetworkMode(m string) bool {
	return m == "none" || m == "host" || m == "bridge" ||
		strings.HasPrefix(m, types.ServicePrefix) || strings.HasPrefix(m, "container:")
}

// serviceRefs are the services whose namespaces s joins (network_mode,
// ipc or pid "service:NAME"): they start first, as docker compose orders
// them.
func serviceRefs(s types.ServiceConfig) []string {
	var out []string
	for _, mode := range []string{s.NetworkMode, s.Ipc, s.Pid} {
		if name, ok := strings.CutPrefix(mode, types.ServicePrefix); ok {
			out = append(out, name)
		}
	}
	return out
}

// toMap is v as JSON sees it: compose-go's types leave unset fields out.
func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// walk returns the dotted paths under m that tree does not name.
func walk(m map[string]any, tree keyTree, prefix string) []string {
	var out []string
	for _, k := range sortedKeys(m) {
		v := m[k]
		if isZero(v) {
			continue
		}
		sub, ok := tree[k]
		if !ok {
			sub, ok = tree["*"]
		}
		path := prefix + k
		if !ok {
			out = append(out, path)
			continue
		}
		t, isTree := sub.(keyTree)
		if !isTree {
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			out = append(out, walk(v, t, path+".")...)
		case []any:
			for _, e := range v {
				if em, ok := e.(map[string]any); ok {
					out = append(out, walk(em, t, path+".")...)
				}
			}
		}
	}
	return dedupe(out)
}

func isZero(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case string:
		return v == ""
	case float64:
		return v == 0
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
