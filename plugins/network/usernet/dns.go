package usernet

import (
	"bufio"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// resolver answers the network's names and forwards the rest upstream
// (nil upstream: an internal network, which refuses them).
type resolver struct {
	f        *fabric
	upstream []string // host:53
	// peers finds name on the other networks container id is on.
	peers func(id, name string) []net.IP
}

// answer is the reply to query from p, or nil to drop it.
func (r *resolver) answer(from *port, query []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil || h.Response {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(q.Name.String(), "."))
	ips := r.lookup(name)
	if ips == nil && r.peers != nil && from != nil {
		ips = r.peers(from.id, name)
	}
	if ips == nil {
		if len(r.upstream) > 0 && q.Class == dnsmessage.ClassINET {
			return r.forward(query)
		}
		return reply(h, q, dnsmessage.RCodeNameError, nil)
	}
	if q.Type != dnsmessage.TypeA {
		return reply(h, q, dnsmessage.RCodeSuccess, nil) // the name exists, no such record
	}
	return reply(h, q, dnsmessage.RCodeSuccess, ips)
}

// lookup finds the containers of this network called name.
func (r *resolver) lookup(name string) []net.IP {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	var out []net.IP
	for _, p := range r.f.ports {
		for _, n := range p.names {
			if strings.EqualFold(n, name) {
				out = append(out, p.ip)
				break
			}
		}
	}
	return out
}

func reply(h dnsmessage.Header, q dnsmessage.Question, rcode dnsmessage.RCode, ips []net.IP) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true,
		RecursionDesired: h.RecursionDesired, RecursionAvailable: true, RCode: rcode})
	b.EnableCompression()
	if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil
	}
	for _, ip := range ips {
		var a dnsmessage.AResource
		copy(a.A[:], ip.To4())
		if b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, a) != nil {
			return nil
		}
	}
	msg, err := b.Finish()
	if err != nil {
		return nil
	}
	return msg
}

// forward asks the upstream servers in turn, from the host's network.
func (r *resolver) forward(query []byte) []byte {
	buf := make([]byte, 65535)
	for _, up := range r.upstream {
		c, err := net.Dial("udp", up)
		if err != nil {
			continue
		}
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := c.Write(query); err == nil {
			if n, err := c.Read(buf); err == nil {
				c.Close()
				return append([]byte(nil), buf[:n]...)
			}
		}
		c.Close()
	}
	return nil
}

// hostNameServers are the name servers of the host's /etc/resolv.conf.
func hostNameServers() []string {
	f, err := os.Open("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "nameserver" && net.ParseIP(fields[1]) != nil {
			out = append(out, net.JoinHostPort(fields[1], "53"))
		}
	}
	return out
}
