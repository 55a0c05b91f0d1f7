//go:build !appsbin

package builders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/hull-project/hull/builders/copier"
	"github.com/hull-project/hull/plugins/network"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// ADD fetches URLs on the host, so the host's own addresses are closed to
// it as they are to RUN steps: a Dockerfile must not read a service bound
// to the host's loopback (or a cloud metadata service on a link-local
// address) unless the user opens them with --allow network.host.

// errHostAddr is returned (wrapped) when a fetch would connect to one of
// the host's own addresses.
var errHostAddr = errors.New("the host's loopback and link-local addresses are closed to builds")

// hostAddr reports whether ip is one the host keeps to itself: loopback
// (also IPv4-mapped), link-local (169.254/16, fe80::/10), unspecified
// (0.0.0.0, ::; 0/8 reaches the host too).
func hostAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.Is4() && ip.As4()[0] == 0 {
		return true
	}
	return ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified()
}

// checkDial is a net.Dialer Control function: it sees the address really
// being connected to, after DNS resolution and on every redirect, so a
// name that resolves (or rebinds) to the loopback is caught too.
func checkDial(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", address, err)
	}
	if hostAddr(ap.Addr()) {
		return fmt.Errorf("connect to %s: %w", ap.Addr().Unmap(), errHostAddr)
	}
	return nil
}

// fetcher downloads ADD URLs under the build's network policy.
type fetcher struct {
	client *http.Client
	// off is why no URL may be fetched ("" = fetching is allowed).
	off string
}

// fetcher is the build's URL fetcher: its --network and --allow decide.
func (b *build) fetcher() (*fetcher, error) {
	mode, err := b.network("")
	if err != nil {
		return nil, err
	}
	return newFetcher(mode.Name == network.None, b.allowed(EntitlementNetworkHost)), nil
}

// newFetcher returns a fetcher: none with --network none, one that may
// reach the host's own addresses with --allow network.host, else one whose
// every connection is checked by checkDial.
func newFetcher(noNetwork, allowHost bool) *fetcher {
	if noNetwork {
		return &fetcher{off: "the build has no network (--network none)"}
	}
	plain := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	checked := *plain
	if !allowHost {
		checked.Control = checkDial
	}
	// The proxy the user's environment names is the user's choice, even
	// on the loopback; what it fetches is its own business.
	proxies := envProxies()
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if proxies[addr] {
			return plain.DialContext(ctx, network, addr)
		}
		return checked.DialContext(ctx, network, addr)
	}
	t := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dial,
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 10 * time.Second,
		DisableKeepAlives:   true, // a fetcher lives for one ADD
	}
	return &fetcher{client: &http.Client{Transport: t}}
}

// download fetches an ADD URL, checking --checksum when given. Errors are
// one line naming the URL.
func (f *fetcher) download(ctx context.Context, src, checksum string) (copier.File, error) {
	u, err := url.Parse(src)
	if err != nil {
		return copier.File{}, fmt.Errorf("ADD %s: %w", src, err)
	}
	if f.off != "" {
		return copier.File{}, fmt.Errorf("ADD %s: %s", src, f.off)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return copier.File{}, fmt.Errorf("ADD %s: %w", src, err)
	}
	resp, err := f.client.Do(req)
	if errors.Is(err, errHostAddr) {
		return copier.File{}, notEntitled(fmt.Sprintf("ADD %s: connect to %s", src, refused(err)), EntitlementNetworkHost)
	}
	if err != nil {
		return copier.File{}, fmt.Errorf("ADD %s: %w", src, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return copier.File{}, fmt.Errorf("ADD %s: %s", src, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, sdk.MaxMessage+1))
	if err != nil {
		return copier.File{}, fmt.Errorf("ADD %s: %w", src, err)
	}
	if len(data) > sdk.MaxMessage {
		return copier.File{}, fmt.Errorf("ADD %s: larger than %d bytes", src, sdk.MaxMessage)
	}
	if checksum != "" {
		sum := sha256.Sum256(data)
		if got := "sha256:" + hex.EncodeToString(sum[:]); got != checksum {
			return copier.File{}, fmt.Errorf("ADD %s: checksum mismatch: got %s, want %s", src, got, checksum)
		}
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == "" {
		name = "index.html"
	}
	return copier.File{Name: name, Content: data, Mode: 0o600}, nil
}

// refused names the refused address from the dial error inside err.
func refused(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		host, _, _ := net.SplitHostPort(op.Addr.String())
		return "the host's address " + strings.Trim(host, "[]")
	}
	return "the host's own address"
}

// envProxies are the host:port of the proxies $HTTP_PROXY and $HTTPS_PROXY
// name, as http.Transport dials them.
func envProxies() map[string]bool {
	out := map[string]bool{}
	for _, target := range []string{"http://hull.invalid/", "https://hull.invalid/"} {
		req, err := http.NewRequest(http.MethodGet, target, nil)
		if err != nil {
			continue
		}
		p, err := http.ProxyFromEnvironment(req)
		if err != nil || p == nil {
			continue
		}
		port := p.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[p.Scheme]
		}
		out[net.JoinHostPort(p.Hostname(), port)] = true
	}
	return out
}
