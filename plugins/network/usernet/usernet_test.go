package usernet

import (
	"encoding/binary"
	"net"
	"os"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// fakePort is a port whose tap is one end of a SOCK_SEQPACKET pair (one
// frame per packet, as a tap reads and writes); the test holds the other.
func fakePort(t *testing.T, f *fabric, id, ip string, names ...string) (*port, *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := &port{id: id, names: names, ip: net.ParseIP(ip).To4(), mac: macOf(net.ParseIP(ip)), tap: os.NewFile(uintptr(fds[0]), id)}
	peer := os.NewFile(uintptr(fds[1]), id+"-peer")
	t.Cleanup(func() { p.tap.Close(); peer.Close() })
	f.add(p)
	go f.serve(p)
	return p, peer
}

func query(t *testing.T, name string, typ dnsmessage.Type) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 7, RecursionDesired: true})
	_ = b.StartQuestions()
	if err := b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: typ, Class: dnsmessage.ClassINET}); err != nil {
		t.Fatal(err)
	}
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func parseAnswer(t *testing.T, msg []byte) (dnsmessage.RCode, []string) {
	t.Helper()
	var m dnsmessage.Message
	if err := m.Unpack(msg); err != nil {
		t.Fatal(err)
	}
	var ips []string
	for _, a := range m.Answers {
		if r, ok := a.Body.(*dnsmessage.AResource); ok {
			ips = append(ips, net.IP(r.A[:]).String())
		}
	}
	return m.Header.RCode, ips
}

func TestResolverAnswersOnlyItsNetwork(t *testing.T) {
	f := newFabric(net.ParseIP("10.89.1.1"))
	fakePort(t, f, "a", "10.89.1.2", "web", "www", "0123456789ab")
	r := &resolver{f: f} // internal: no upstream
	for name, want := range map[string]string{"web.": "10.89.1.2", "WWW.": "10.89.1.2", "0123456789ab.": "10.89.1.2"} {
		rc, ips := parseAnswer(t, r.answer(nil, query(t, name, dnsmessage.TypeA)))
		if rc != dnsmessage.RCodeSuccess || len(ips) != 1 || ips[0] != want {
			t.Errorf("%s: %v %v", name, rc, ips)
		}
	}
	if rc, ips := parseAnswer(t, r.answer(nil, query(t, "web.", dnsmessage.TypeAAAA))); rc != dnsmessage.RCodeSuccess || len(ips) != 0 {
		t.Errorf("AAAA web: %v %v, want an empty success", rc, ips)
	}
	if rc, _ := parseAnswer(t, r.answer(nil, query(t, "db.", dnsmessage.TypeA))); rc != dnsmessage.RCodeNameError {
		t.Errorf("unknown name on an internal network: %v, want NXDOMAIN", rc)
	}
	if r.answer(nil, []byte{1, 2, 3}) != nil {
		t.Error("garbage got an answer")
	}
}

func TestSwitchForwardsAndAnswersARP(t *testing.T) {
	f := newFabric(net.ParseIP("10.89.1.1"))
	a, aPeer := fakePort(t, f, "a", "10.89.1.2")
	b, bPeer := fakePort(t, f, "b", "10.89.1.3")

	// a -> b unicast reaches b.
	frame := make([]byte, 60)
	copy(frame[0:6], b.mac)
	copy(frame[6:12], a.mac)
	binary.BigEndian.PutUint16(frame[12:14], etherIPv4)
	if _, err := aPeer.Write(frame); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, maxFrame)
	n, err := bPeer.Read(buf)
	if err != nil || n != 60 || net.HardwareAddr(buf[6:12]).String() != a.mac.String() {
		t.Fatalf("b got %d bytes, %v", n, err)
	}

	// A spoofed source is dropped: b sends as a; then a's ARP for the
	// gateway is answered with the gateway's MAC.
	copy(frame[0:6], a.mac)
	if _, err := bPeer.Write(frame); err != nil { // source a.mac from b's port
		t.Fatal(err)
	}
	arp := make([]byte, etherHeader+28)
	copy(arp[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(arp[6:12], a.mac)
	binary.BigEndian.PutUint16(arp[12:14], etherARP)
	r := arp[etherHeader:]
	binary.BigEndian.PutUint16(r[0:2], 1)
	binary.BigEndian.PutUint16(r[2:4], etherIPv4)
	r[4], r[5] = 6, 4
	binary.BigEndian.PutUint16(r[6:8], 1)
	copy(r[8:14], a.mac)
	copy(r[14:18], a.ip)
	copy(r[24:28], net.ParseIP("10.89.1.1").To4())
	if _, err := aPeer.Write(arp); err != nil {
		t.Fatal(err)
	}
	n, err = aPeer.Read(buf)
	if err != nil || n != etherHeader+28 || binary.BigEndian.Uint16(buf[etherHeader+6:]) != 2 ||
		net.HardwareAddr(buf[etherHeader+8:etherHeader+14]).String() != f.gwMAC.String() {
		t.Fatalf("ARP reply: %d bytes %x, %v", n, buf[:n], err)
	}
	// The broadcast reached b too; the spoofed frame did not.
	n, err = bPeer.Read(buf)
	if err != nil || binary.BigEndian.Uint16(buf[12:14]) != etherARP {
		t.Errorf("b got %x, want the broadcast ARP (the spoofed frame must be dropped)", buf[:n])
	}
}

func TestAllocate(t *testing.T) {
	_, subnet, _ := net.ParseCIDR("10.89.1.0/29")
	d := &daemon{cfg: netspec.NetworkConfig{Name: "n"}, subnet: subnet, f: newFabric(net.ParseIP("10.89.1.1"))}
	ip, err := d.allocate("a", "")
	if err != nil || ip.String() != "10.89.1.2" {
		t.Fatalf("first: %v %v", ip, err)
	}
	if _, err := d.allocate("b", "10.89.1.2"); err == nil {
		t.Error("a reserved address was given twice")
	}
	for _, bad := range []string{"10.89.1.0", "10.89.1.7", "10.89.2.3", "x"} {
		if _, err := d.allocate("c", bad); err == nil {
			t.Errorf("--ip %s accepted", bad)
		}
	}
	if ip, err := d.allocate("d", "10.89.1.6"); err != nil || ip.String() != "10.89.1.6" {
		t.Errorf("--ip 10.89.1.6: %v %v", ip, err)
	}
	d.release("a")
	if ip, err := d.allocate("e", ""); err != nil || ip.String() != "10.89.1.2" {
		t.Errorf("after release: %v %v", ip, err)
	}
	d.release("d")
	d.release("e")
}

func TestCreateFillsGateway(t *testing.T) {
	d := &Driver{}
	cfg, err := d.Create(t.Context(), netspec.NetworkConfig{Name: "n", Subnet: "10.89.4.7/24"})
	if err != nil || cfg.Subnet != "10.89.4.0/24" || cfg.Gateway != "10.89.4.1" || cfg.Driver != Name {
		t.Errorf("%+v %v", cfg, err)
	}
	for _, bad := range []netspec.NetworkConfig{{Subnet: "fd00::/64"}, {Subnet: "10.0.0.0/30"}, {Subnet: "10.89.4.0/24", Gateway: "10.89.5.1"}, {Subnet: "10.89.4.0/24", Gateway: "10.89.4.255"}} {
		if _, err := d.Create(t.Context(), bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
