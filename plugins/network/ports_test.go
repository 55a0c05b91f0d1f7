package network

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestParsePublish(t *testing.T) {
	for in, want := range map[string]PortMapping{
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

func TestParseMode(t *testing.T) {
	m, err := ParseMode("bridge:allow_host_loopback=true,mtu=1500")
	if err != nil || m.Driver() != Slirp4netns || m.Options["mtu"] != "1500" || m.String() != "bridge:allow_host_loopback=true,mtu=1500" {
		t.Errorf("got %+v, %v", m, err)
	}
	if m, _ := ParseMode(""); m.Name != Bridge {
		t.Errorf("default %q", m.Name)
	}
	for _, in := range []string{"none:a=b", "bridge:novalue", "../x", ".hidden"} {
		if _, err := ParseMode(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestReserveHostPortsBusy(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = ReserveHostPorts([]PortMapping{{HostIP: "127.0.0.1", HostPort: port, ContainerPort: 80, Protocol: "tcp"}})
	if !errors.Is(err, ErrPortBusy) || !strings.Contains(err.Error(), "80/tcp") {
		t.Errorf("busy port: %v", err)
	}
	got, err := ReserveHostPorts([]PortMapping{{HostIP: "127.0.0.1", ContainerPort: 80, Protocol: "udp"}})
	if err != nil || got[0].HostPort == 0 {
		t.Errorf("free port: %+v %v", got, err)
	}
}

func TestResultValidate(t *testing.T) {
	if err := (Result{Address: "10.0.2.100/24", Gateway: "10.0.2.2", DNS: []string{"10.0.2.3"}, Interface: "tap0"}).Validate(); err != nil {
		t.Error(err)
	}
	for _, r := range []Result{{Address: "10.0.2.100"}, {DNS: []string{"1.2.3.4\nnameserver evil"}}, {Interface: "a/b"}, {MTU: -1}} {
		if r.Validate() == nil {
			t.Errorf("%+v: no error", r)
		}
	}
}
