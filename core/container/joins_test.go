package container

import (
	"slices"
	"strings"
	"testing"
)

func TestJoinsAndTarget(t *testing.T) {
	hc := HostConfig{PidMode: "container:a", IpcMode: "host", UTSMode: "container:a", NetworkMode: "bridge"}
	target, kinds := hc.Joins()
	if target != "a" || !slices.Equal(kinds, []string{"pid", "uts"}) {
		t.Errorf("Joins: %q %v", target, kinds)
	}
	hc.SetJoinTarget("0123")
	if hc.PidMode != "container:0123" || hc.UTSMode != "container:0123" || hc.IpcMode != "host" || hc.NetworkMode != "bridge" {
		t.Errorf("SetJoinTarget: %+v", hc)
	}
	if !hc.HostMode("ipc") || hc.HostMode("pid") {
		t.Errorf("HostMode: ipc %v pid %v", hc.HostMode("ipc"), hc.HostMode("pid"))
	}
	if target, kinds := (HostConfig{}).Joins(); target != "" || kinds != nil {
		t.Errorf("no joins: %q %v", target, kinds)
	}
}

func TestCheckJoins(t *testing.T) {
	for _, c := range []struct {
		hc   HostConfig
		o    Options
		want string // "" for no error
	}{
		{HostConfig{PidMode: "container:a", IpcMode: "container:a"}, Options{}, ""},
		{HostConfig{PidMode: "container:a", IpcMode: "container:b"}, Options{}, "one container only"},
		{HostConfig{PidMode: "container:a", Pod: "p"}, Options{}, "--pod"},
		{HostConfig{IpcMode: "container:a"}, Options{LimitOptions: LimitOptions{Userns: "keep-id"}}, "--userns"},
		{HostConfig{NetworkMode: "container:a"}, Options{Hostname: "h"}, "hostname and the network mode"},
		{HostConfig{NetworkMode: "container:a"}, Options{Publish: []string{"80:80"}}, "port publishing"},
		{HostConfig{NetworkMode: "container:a"}, Options{AddHosts: []string{"a:1.2.3.4"}}, "host-to-IP"},
		{HostConfig{IpcMode: "container:a", Sysctls: map[string]string{"kernel.shmmax": "1"}}, Options{}, "kernel.shmmax"},
		{HostConfig{IpcMode: "container:a", Sysctls: map[string]string{"net.ipv4.ip_forward": "1"}}, Options{}, ""},
		{HostConfig{IpcMode: "host"}, Options{Hostname: "h"}, ""},
	} {
		err := c.hc.checkJoins(c.o)
		if (c.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v %+v: %v, want %q", c.hc, c.o, err, c.want)
		}
	}
}

func TestNamespaceMode(t *testing.T) {
	for _, c := range []struct {
		flag, v, want string
		inPod, bad    bool
	}{
		{"pid", "", "", false, false},
		{"pid", "private", "", false, false},
		{"pid", "host", "host", false, false},
		{"pid", "container:web", "container:web", false, false},
		{"pid", "container:", "", false, true},
		{"pid", "host", "", true, true},
		{"ipc", "container:web", "", true, true},
		{"ipc", "shareable", "", false, false},
		{"uts", "shareable", "", false, true},
	} {
		got, err := namespaceMode(c.flag, c.v, c.inPod)
		if got != c.want || (err != nil) != c.bad {
			t.Errorf("namespaceMode(%s, %q, pod %v): %q %v", c.flag, c.v, c.inPod, got, err)
		}
	}
}
