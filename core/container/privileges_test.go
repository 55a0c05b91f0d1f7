package container

import (
	"reflect"
	"testing"
)

func TestCapabilities(t *testing.T) {
	defaults := []string{"CAP_CHOWN", "CAP_KILL", "CAP_SETUID"}
	tests := []struct {
		add, drop, want []string
	}{
		{nil, nil, defaults},
		{[]string{"net_admin"}, []string{"cap_kill"}, []string{"CAP_CHOWN", "CAP_SETUID", "CAP_NET_ADMIN"}},
		{[]string{"Kill"}, nil, defaults},
		{[]string{"NET_RAW"}, []string{"ALL"}, []string{"CAP_NET_RAW"}},
		{nil, []string{"all"}, []string{}},
	}
	for _, tt := range tests {
		got, err := Capabilities(defaults, tt.add, tt.drop)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("add %q drop %q: got %q, %v; want %q", tt.add, tt.drop, got, err, tt.want)
		}
	}
	all, err := Capabilities(defaults, []string{"ALL"}, []string{"SYS_ADMIN"})
	if err != nil || len(all) < 38 || contains(all, "CAP_SYS_ADMIN") || !contains(all, "CAP_BPF") {
		t.Errorf("add ALL drop SYS_ADMIN: %q %v", all, err)
	}
	if _, err := Capabilities(defaults, []string{"CAP_NOPE"}, nil); err == nil {
		t.Error("unknown capability accepted")
	}
}

func TestParseSecurityOpts(t *testing.T) {
	tests := []struct {
		opts []string
		want Security
		ok   bool
	}{
		{nil, Security{Seccomp: true}, true},
		{[]string{"no-new-privileges"}, Security{NoNewPrivileges: true, Seccomp: true}, true},
		{[]string{"no-new-privileges=true"}, Security{NoNewPrivileges: true, Seccomp: true}, true},
		{[]string{"no-new-privileges:true"}, Security{NoNewPrivileges: true, Seccomp: true}, true},
		{[]string{"no-new-privileges", "no-new-privileges=false"}, Security{Seccomp: true}, true},
		{[]string{"seccomp=unconfined"}, Security{}, true},
		{[]string{"seccomp:unconfined"}, Security{}, true},
		{[]string{"no-new-privileges=maybe"}, Security{}, false},
		{[]string{"label=disable"}, Security{}, false},
		{[]string{"seccomp=profile.json"}, Security{}, false},
		{[]string{`seccomp={"defaultAction":"SCMP_ACT_ALLOW"}`}, Security{Seccomp: true, SeccompProfile: []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`)}, true},
		{[]string{"mask=/a:/b", "unmask=/proc/kcore"}, Security{Seccomp: true, Mask: []string{"/a", "/b"}, Unmask: []string{"/proc/kcore"}}, true},
		{[]string{"unmask=ALL"}, Security{Seccomp: true, Unmask: []string{"ALL"}}, true},
		{[]string{"mask=relative"}, Security{}, false},
		{[]string{"mask=ALL"}, Security{}, false},
	}
	for _, tt := range tests {
		got, err := ParseSecurityOpts(tt.opts)
		if (err == nil) != tt.ok || (tt.ok && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("%q: got %+v, %v", tt.opts, got, err)
		}
	}
}

func TestTmpfsOptions(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{"noexec", "nosuid", "nodev"}},
		{"exec", []string{"nosuid", "nodev"}},
		{"ro,size=1k,mode=1777,size=2k", []string{"ro", "noexec", "nosuid", "nodev", "size=2048", "mode=1777"}},
		{"rw,dev,suid", []string{"noexec"}},
	}
	for _, tt := range tests {
		got, err := tmpfsOptions(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseMount(t *testing.T) {
	dir := t.TempDir()
	m, err := ParseMount("type=bind,src=" + dir + ",dst=/data/,readonly")
	if err != nil || m != (Mount{Type: "bind", Source: dir, Target: "/data", ReadOnly: true}) {
		t.Fatalf("bind: %+v %v", m, err)
	}
	m, err = ParseMount("type=tmpfs,target=/cache,tmpfs-size=64m,tmpfs-mode=1770,ro=false")
	if err != nil || m != (Mount{Type: "tmpfs", Target: "/cache", TmpfsSize: 64 << 20, TmpfsMode: 0o1770}) {
		t.Fatalf("tmpfs: %+v %v", m, err)
	}
	p, err := planMounts(HostConfig{Mounts: []Mount{m}, Binds: []string{dir + ":/a/b/c"}, Tmpfs: map[string]string{"/a": ""}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, x := range p.mounts {
		order = append(order, x.Destination)
	}
	if !reflect.DeepEqual(order, []string{"/cache", "/a", "/a/b/c"}) {
		t.Errorf("mount order %q", order)
	}
	if got := p.mounts[0].Options; !reflect.DeepEqual(got, []string{"noexec", "nosuid", "nodev", "size=67108864", "mode=1770"}) {
		t.Errorf("tmpfs options %q", got)
	}
}
