package container

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

func TestParsePublish(t *testing.T) {
	for in, want := range map[string]netspec.PortMapping{
		"8080:80":             {HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		"127.0.0.1:53:53/udp": {HostIP: "127.0.0.1", HostPort: 53, ContainerPort: 53, Protocol: "udp"},
		"127.0.0.1::80":       {HostIP: "127.0.0.1", ContainerPort: 80, Protocol: "tcp"},
		"80":                  {ContainerPort: 80, Protocol: "tcp"},
		"[::1]:8080:80":       {HostIP: "::1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
	} {
		got, err := ParsePublish(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "99999:80", "80/sctp", "a:b", "1:2:3:4", "x.y:80:80", "80:0"} {
		if _, err := ParsePublish(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestParseExposed(t *testing.T) {
	for in, want := range map[string]netspec.PortMapping{
		"80/tcp": {ContainerPort: 80, Protocol: "tcp"},
		"53/udp": {ContainerPort: 53, Protocol: "udp"},
		"8080":   {ContainerPort: 8080, Protocol: "tcp"},
	} {
		if got, err := ParseExposed(in); err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0/tcp", "80/sctp", "x"} {
		if _, err := ParseExposed(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// Ports are stored in Docker's PortMap shape and read back typed, sorted.
func TestPortsJSON(t *testing.T) {
	ps := NewPorts([]netspec.PortMapping{
		{HostIP: "127.0.0.1", HostPort: 53, ContainerPort: 53, Protocol: "udp"},
		{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		{ContainerPort: 443, Protocol: "tcp"},
	})
	b, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"443/tcp":[{"HostIp":"","HostPort":"0"}],"53/udp":[{"HostIp":"127.0.0.1","HostPort":"53"}],"80/tcp":[{"HostIp":"","HostPort":"8080"}]}`
	if string(b) != want {
		t.Errorf("json %s\nwant %s", b, want)
	}
	var back Ports
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, ps) || back[0].ContainerPort != 53 {
		t.Errorf("round trip %+v, %v; want %+v", back, err, ps)
	}
	if b, _ := json.Marshal(Ports(nil)); string(b) != "null" {
		t.Errorf("no ports: %s", b)
	}
	if b, _ := json.Marshal(HostConfig{}); strings.Contains(string(b), "PortBindings") {
		t.Errorf("no ports are omitted: %s", b)
	}
}
