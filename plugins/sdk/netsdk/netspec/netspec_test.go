package netspec

import (
	"strings"
	"testing"
)

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

func TestPortMappingNames(t *testing.T) {
	p := PortMapping{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}
	if p.Key() != "80/tcp" || p.String() != "0.0.0.0:8080" {
		t.Errorf("key %q, host side %q", p.Key(), p.String())
	}
	p.HostIP = "::1"
	if p.String() != "[::1]:8080" {
		t.Errorf("IPv6 host side %q", p.String())
	}
}

// A plugin's answer is bounded, and an address it sends is quoted in the
// error, never repeated raw (a newline would start a second line).
func TestValidateBoundsAndQuotes(t *testing.T) {
	dns := make([]string, MaxDNS+1)
	for i := range dns {
		dns[i] = "192.0.2.1"
	}
	if err := (Result{DNS: dns}).Validate(); err == nil {
		t.Error("too many DNS servers accepted")
	}
	if err := (Result{DNS: dns[:MaxDNS]}).Validate(); err != nil {
		t.Errorf("%d DNS servers: %v", MaxDNS, err)
	}
	err := (Result{Address: "10.9.0.5/24\n6.6.6.6 evil.host"}).Validate()
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("bad address: %q, want one line", err)
	}
}
