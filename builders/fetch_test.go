//go:build !appsbin

package builders

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestHostAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "::ffff:127.0.0.1": true,
		"0.0.0.0": true, "0.1.2.3": true, "::": true, "::ffff:0.0.0.0": true,
		"169.254.169.254": true, "fe80::1": true, "::ffff:169.254.169.254": true,
		"192.0.2.1": false, "10.0.2.2": false, "8.8.8.8": false, "2001:db8::1": false, "::ffff:8.8.8.8": false,
	} {
		if got := hostAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("hostAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckDial(t *testing.T) {
	for _, a := range []string{"127.0.0.1:80", "[::1]:443", "[::ffff:127.0.0.1]:80", "169.254.169.254:80", "[fe80::1%eth0]:80", "0.0.0.0:8080"} {
		if err := checkDial("tcp", a, nil); !errors.Is(err, errHostAddr) {
			t.Errorf("checkDial(%s) = %v, want errHostAddr", a, err)
		}
	}
	if err := checkDial("tcp", "192.0.2.1:80", nil); err != nil {
		t.Errorf("checkDial(192.0.2.1:80) = %v, want nil", err)
	}
}

// secretServer serves a secret on the loopback and fails t if anything
// reaches it.
func secretServer(t *testing.T, reached *bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*reached = true
		fmt.Fprint(w, "top-secret")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFetchRefusesHostAddresses(t *testing.T) {
	var reached bool
	srv := secretServer(t, &reached)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	f := newFetcher(false, false)
	for _, u := range []string{
		srv.URL + "/secret",
		fmt.Sprintf("http://localhost:%d/secret", port), // a name that resolves to the loopback
		fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/secret", port),
		fmt.Sprintf("http://0.0.0.0:%d/secret", port),
	} {
		_, err := f.download(context.Background(), u, "")
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), u) || !strings.Contains(err.Error(), "--allow network.host") ||
			strings.Contains(err.Error(), "\n") {
			t.Errorf("download %s: %v; want a one-line refusal naming the URL and --allow network.host", u, err)
		}
	}
	if reached {
		t.Error("the loopback server was reached")
	}
	file, err := newFetcher(false, true).download(context.Background(), srv.URL+"/secret", "")
	if err != nil || string(file.Content) != "top-secret" || file.Name != "secret" {
		t.Errorf("download with network.host allowed: %q, %v", file.Content, err)
	}
}

func TestFetchNoNetwork(t *testing.T) {
	_, err := newFetcher(true, true).download(context.Background(), "http://192.0.2.1/x", "")
	if err == nil || !strings.Contains(err.Error(), "--network none") {
		t.Errorf("download with no network: %v, want a refusal naming --network none", err)
	}
}

// A URL on an allowed address that redirects to the loopback is refused at
// the redirect's connection. The allowed server listens on one of this
// host's non-loopback addresses.
func TestFetchRefusesRedirectToLoopback(t *testing.T) {
	var reached bool
	secret := secretServer(t, &reached)
	ln := listenNonLoopback(t)
	redir := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.RedirectHandler(secret.URL+"/secret", http.StatusFound)}}
	redir.Start()
	t.Cleanup(redir.Close)
	u := redir.URL + "/file"
	_, err := newFetcher(false, false).download(context.Background(), u, "")
	if err == nil || !strings.Contains(err.Error(), "connect to the host's address 127.0.0.1") {
		t.Errorf("download %s (redirects to the loopback): %v, want a refusal", u, err)
	}
	if reached {
		t.Error("the loopback server was reached through a redirect")
	}
}

func listenNonLoopback(t *testing.T) net.Listener {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip(err)
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok || hostAddr(ip) || !ip.Unmap().Is4() {
			continue
		}
		if ln, err := net.Listen("tcp", net.JoinHostPort(ip.Unmap().String(), "0")); err == nil {
			return ln
		}
	}
	t.Skip("no non-loopback IPv4 address to listen on")
	return nil
}
