package usernet

import (
	"bytes"
	"encoding/binary"
	"net"
	"os"
	"sync"
)

const (
	etherHeader = 14
	etherARP    = 0x0806
	etherIPv4   = 0x0800
	maxFrame    = 65536 + etherHeader
)

// port is one container's tap device on the switch.
type port struct {
	id    string
	names []string
	ip    net.IP
	mac   net.HardwareAddr
	tap   *os.File
	pidfd int
	iface string
	wmu   sync.Mutex
}

func (p *port) send(frame []byte) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_, _ = p.tap.Write(frame)
}

// fabric is the switch: ports, the learnt MAC table and the gateway's
// own address, which answers ARP and DNS.
type fabric struct {
	mu    sync.Mutex
	ports map[string]*port // by container id
	macs  map[[6]byte]*port
	gwIP  net.IP
	gwMAC net.HardwareAddr
	dns   func(src *port, query []byte) []byte // nil: no DNS
}

func newFabric(gw net.IP) *fabric {
	return &fabric{ports: map[string]*port{}, macs: map[[6]byte]*port{}, gwIP: gw.To4(), gwMAC: macOf(gw)}
}

// macOf is the locally administered MAC an address gets (0a:58 + IPv4),
// as CNI's bridge does: stable, no table needed.
func macOf(ip net.IP) net.HardwareAddr {
	ip4 := ip.To4()
	return net.HardwareAddr{0x0a, 0x58, ip4[0], ip4[1], ip4[2], ip4[3]}
}

// serve reads p's frames until its tap fails or is closed.
func (f *fabric) serve(p *port) {
	buf := make([]byte, maxFrame)
	for {
		n, err := p.tap.Read(buf)
		if err != nil {
			return
		}
		if n < etherHeader {
			continue
		}
		f.forward(p, buf[:n])
	}
}

func (f *fabric) forward(from *port, frame []byte) {
	var dst, src [6]byte
	copy(dst[:], frame[0:6])
	copy(src[:], frame[6:12])
	// A port speaks only with its own MAC: no spoofing another container.
	if !bytes.Equal(src[:], from.mac) {
		return
	}
	if bytes.Equal(dst[:], f.gwMAC) {
		f.local(from, frame)
		return
	}
	if dst[0]&1 != 0 { // broadcast, multicast
		if binary.BigEndian.Uint16(frame[12:14]) == etherARP {
			f.arp(from, frame)
		}
		f.mu.Lock()
		out := make([]*port, 0, len(f.ports))
		for _, p := range f.ports {
			if p != from {
				out = append(out, p)
			}
		}
		f.mu.Unlock()
		for _, p := range out {
			p.send(frame)
		}
		return
	}
	f.mu.Lock()
	to := f.macs[dst]
	f.mu.Unlock()
	if to != nil && to != from {
		to.send(frame)
	}
}

// arp answers a request for the gateway's address.
func (f *fabric) arp(from *port, frame []byte) {
	a := frame[etherHeader:]
	if len(a) < 28 || binary.BigEndian.Uint16(a[6:8]) != 1 || !net.IP(a[24:28]).Equal(f.gwIP) {
		return
	}
	reply := make([]byte, etherHeader+28)
	copy(reply[0:6], frame[6:12])
	copy(reply[6:12], f.gwMAC)
	binary.BigEndian.PutUint16(reply[12:14], etherARP)
	r := reply[etherHeader:]
	copy(r[0:6], a[0:6]) // htype, ptype, hlen, plen
	binary.BigEndian.PutUint16(r[6:8], 2)
	copy(r[8:14], f.gwMAC)
	copy(r[14:18], f.gwIP)
	copy(r[18:28], a[8:18]) // sender hw+ip become the target
	from.send(reply)
}

// local handles a frame for the gateway: ARP, and DNS over UDP port 53.
func (f *fabric) local(from *port, frame []byte) {
	switch binary.BigEndian.Uint16(frame[12:14]) {
	case etherARP:
		f.arp(from, frame)
		return
	case etherIPv4:
	default:
		return
	}
	ip := frame[etherHeader:]
	if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 17 || !net.IP(ip[16:20]).Equal(f.gwIP) {
		return
	}
	ihl := int(ip[0]&0xf) * 4
	total := int(binary.BigEndian.Uint16(ip[2:4]))
	if ihl < 20 || total > len(ip) || total < ihl+8 {
		return
	}
	udp := ip[ihl:total]
	if binary.BigEndian.Uint16(udp[2:4]) != 53 || f.dns == nil {
		return
	}
	srcIP := append(net.IP(nil), ip[12:16]...)
	srcPort := binary.BigEndian.Uint16(udp[0:2])
	query := append([]byte(nil), udp[8:]...)
	go func() {
		ans := f.dns(from, query)
		if ans != nil {
			from.send(udpFrame(from.mac, f.gwMAC, f.gwIP, srcIP, 53, srcPort, ans))
		}
	}()
}

// udpFrame builds an Ethernet+IPv4+UDP frame (UDP checksum left 0, which
// IPv4 allows).
func udpFrame(dstMAC, srcMAC net.HardwareAddr, src, dst net.IP, sport, dport uint16, payload []byte) []byte {
	b := make([]byte, etherHeader+20+8+len(payload))
	copy(b[0:6], dstMAC)
	copy(b[6:12], srcMAC)
	binary.BigEndian.PutUint16(b[12:14], etherIPv4)
	ip := b[etherHeader:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:4], uint16(20+8+len(payload)))
	ip[6] = 0x40 // don't fragment
	ip[8] = 64
	ip[9] = 17
	copy(ip[12:16], src.To4())
	copy(ip[16:20], dst.To4())
	binary.BigEndian.PutUint16(ip[10:12], checksum(ip[:20]))
	u := ip[20:]
	binary.BigEndian.PutUint16(u[0:2], sport)
	binary.BigEndian.PutUint16(u[2:4], dport)
	binary.BigEndian.PutUint16(u[4:6], uint16(8+len(payload)))
	copy(u[8:], payload)
	return b
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func (f *fabric) add(p *port) {
	var m [6]byte
	copy(m[:], p.mac)
	f.mu.Lock()
	f.ports[p.id] = p
	f.macs[m] = p
	f.mu.Unlock()
}

// remove drops p (if it is still the port of its id) and reports how many
// ports are left.
func (f *fabric) remove(p *port) int {
	var m [6]byte
	copy(m[:], p.mac)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ports[p.id] == p {
		delete(f.ports, p.id)
	}
	if f.macs[m] == p {
		delete(f.macs, m)
	}
	return len(f.ports)
}
