package main

import (
	"context"
	"strings"
	"testing"

	"github.com/hull-project/hull/plugins/sdk/netsdk"
)

func TestParseOptions(t *testing.T) {
	c, err := parseOptions(map[string]string{"cidr": "172.30.4.0/23"})
	if err != nil || c.address.String() != "172.30.4.100/23" || c.gateway.String() != "172.30.4.2" || c.dns.String() != "172.30.4.3" {
		t.Errorf("cidr=172.30.4.0/23: %+v, %v", c, err)
	}
	if c, err := parseOptions(map[string]string{"dns": "192.0.2.53"}); err != nil || c.cidr.String() != "10.99.0.0/24" || c.dns.String() != "192.0.2.53" {
		t.Errorf("default cidr with dns=: %+v, %v", c, err)
	}
	for _, opts := range []map[string]string{
		{"cidr": "10.99.0.1/24"}, {"cidr": "10.99.0.0/26"}, {"cidr": "fd00::/64"}, {"dns": "x"}, {"mtu": "1400"},
	} {
		if _, err := parseOptions(opts); err == nil {
			t.Errorf("%v: no error", opts)
		}
	}
}

func TestSetupRefusesPorts(t *testing.T) {
	_, err := (&subnet{}).Setup(context.Background(), netsdk.Request{Ports: []netsdk.PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}})
	if err == nil || !strings.Contains(err.Error(), "does not publish ports") {
		t.Errorf("got %v", err)
	}
}
