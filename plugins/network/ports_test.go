package network

import (
	"errors"
	"net"
	"strings"
	"testing"
)

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
