package container

import (
	"errors"
	"fmt"
	"strings"
)

// ModeContainer prefixes a --pid, --ipc, --uts or --network mode that
// joins another container's namespace: "container:ID" in the record (core
// looks the NAME given up and records the id, so a rename changes
// nothing).
const ModeContainer = "container:"

// Namespace kinds as /proc/PID/ns names them, and Docker's words for them
// in its errors.
var joinKinds = []struct{ ns, word string }{{"pid", "PID"}, {"ipc", "IPC"}, {"uts", "UTS"}, {"net", "network"}}

// modes returns hc's mode of each kind of joinKinds, in their order.
func (hc HostConfig) modes() []string {
	return []string{hc.PidMode, hc.IpcMode, hc.UTSMode, hc.NetworkMode}
}

// Joins returns the id (or, before core resolved it, the name) of the
// container whose namespaces c joins, and which: "pid", "ipc", "uts",
// "net". target is "" when it joins none.
func (hc HostConfig) Joins() (target string, namespaces []string) {
	for i, m := range hc.modes() {
		if t, ok := strings.CutPrefix(m, ModeContainer); ok {
			target = t
			namespaces = append(namespaces, joinKinds[i].ns)
		}
	}
	return target, namespaces
}

// JoinWord is Docker's word for a namespace kind in its errors ("PID").
func JoinWord(ns string) string {
	for _, k := range joinKinds {
		if k.ns == ns {
			return k.word
		}
	}
	return ns
}

// SetJoinTarget replaces the target of every container: mode by id.
func (hc *HostConfig) SetJoinTarget(id string) {
	for _, m := range []*string{&hc.PidMode, &hc.IpcMode, &hc.UTSMode, &hc.NetworkMode} {
		if strings.HasPrefix(*m, ModeContainer) {
			*m = ModeContainer + id
		}
	}
}

// HostMode reports whether hc keeps the host's namespace of kind ns.
func (hc HostConfig) HostMode(ns string) bool {
	for i, m := range hc.modes() {
		if joinKinds[i].ns == ns {
			return m == "host"
		}
	}
	return false
}

// checkJoins refuses what a container that joins another's namespaces
// cannot have, with Docker's words where Docker refuses it too. Rootless,
// every namespace of a container belongs to its user namespace, which the
// joiner must enter: it can join one container only, and keeps that
// container's id mapping.
func (hc HostConfig) checkJoins(o Options) error {
	var targets []string
	for _, m := range hc.modes() {
		if t, ok := strings.CutPrefix(m, ModeContainer); ok && !contains(targets, t) {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	_, kinds := hc.Joins()
	joined := func(ns string) bool { return contains(kinds, ns) }
	switch {
	case len(targets) > 1:
		return fmt.Errorf("--pid, --ipc, --uts and --network container:NAME name %s and %s: rootless, a container can join the namespaces of one container only (they all belong to its user namespace)", targets[0], targets[1])
	case hc.Pod != "":
		return errors.New("container:NAME modes cannot be used with --pod: the pod's namespaces are shared")
	case o.Userns != "":
		return errors.New("--userns cannot be set when joining another container's namespaces: the container runs in that container's user namespace")
	case joined("net") && o.Hostname != "":
		return errors.New("conflicting options: hostname and the network mode")
	case joined("uts") && o.Hostname != "":
		return errors.New("conflicting options: hostname and the UTS mode")
	case joined("net") && (len(o.Publish) > 0 || o.PublishAll):
		return errors.New("conflicting options: port publishing and the container type network mode")
	case joined("net") && (len(o.DNS) > 0 || len(o.DNSSearch) > 0):
		return errors.New("conflicting options: dns and the network mode")
	case joined("net") && len(o.AddHosts) > 0:
		return errors.New("conflicting options: custom host-to-IP mapping and the network mode")
	}
	for k := range hc.Sysctls {
		if joined("net") && strings.HasPrefix(k, "net.") || joined("ipc") && !strings.HasPrefix(k, "net.") {
			return fmt.Errorf("sysctl %q is not allowed: the namespace it belongs to is another container's", k)
		}
	}
	return nil
}
