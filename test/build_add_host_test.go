package test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// hostSecret is what a service bound to the host's loopback serves.
const hostSecret = "loopback-only-secret-4711"

// secretService serves hostSecret on 127.0.0.1 and counts the requests.
func secretService(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, hostSecret)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// nonLoopbackURL serves h on one of this host's non-loopback IPv4
// addresses and returns its URL, or "" when the host has none.
func nonLoopbackURL(t *testing.T, h http.Handler) string {
	t.Helper()
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.To4() == nil || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(ipn.IP.String(), "0"))
		if err != nil {
			continue
		}
		srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
		srv.Start()
		t.Cleanup(srv.Close)
		return srv.URL
	}
	return ""
}

// ADD fetches on the host, so the host's loopback is closed to it as it is
// to RUN steps: a loopback URL, a name that resolves to the loopback and a
// redirect to the loopback all fail with one line that names the URL and
// --allow network.host; the secret shows nowhere. With --network none no
// URL is fetched at all.
func TestBuildAddHostLoopback(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	srv, hits := secretService(t)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	loop := fmt.Sprintf("http://127.0.0.1:%d/secret", port)
	refuse := func(t *testing.T, url, hint string, args ...string) {
		t.Helper()
		ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nADD " + url + " /secret\n"})
		out, errs, code := s.hull(t, append(append([]string{"build", "-q", "-t", "leak"}, args...), ctx)...)
		if code != 125 {
			t.Errorf("ADD %s: exit %d, want 125", url, code)
		}
		oneLineError(t, errs)
		if !strings.Contains(errs, url) || !strings.Contains(errs, hint) {
			t.Errorf("ADD %s: error %q does not name the URL and %q", url, errs, hint)
		}
		if strings.Contains(out+errs, hostSecret) {
			t.Errorf("ADD %s: the loopback's secret is in the output", url)
		}
		s.noImage(t, "leak")
	}
	t.Run("loopback", func(t *testing.T) { refuse(t, loop, "--allow network.host") })
	t.Run("localhost", func(t *testing.T) {
		refuse(t, fmt.Sprintf("http://localhost:%d/secret", port), "--allow network.host")
	})
	t.Run("mapped", func(t *testing.T) {
		refuse(t, fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/secret", port), "--allow network.host")
	})
	t.Run("network none", func(t *testing.T) {
		refuse(t, loop, "--network none", "--network", "none", "--allow", "network.host")
	})
	t.Run("redirect", func(t *testing.T) {
		u := nonLoopbackURL(t, http.RedirectHandler(loop, http.StatusFound))
		if u == "" {
			t.Skip("no non-loopback address to serve the redirect from (the unit test of builders covers it)")
		}
		refuse(t, u+"/file", "--allow network.host")
	})
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback service was reached %d times", n)
	}
	t.Run("allowed", func(t *testing.T) {
		ctx := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nADD " + loop + " /secret\n"})
		s.mustBuild(t, "-t", "granted", "--allow", "network.host", ctx)
		if got := s.sh(t, "granted", "cat /secret"); got != hostSecret {
			t.Errorf("ADD with --allow network.host: got %q", got)
		}
	})
	t.Run("non-loopback without network", func(t *testing.T) {
		var reached atomic.Int32
		u := nonLoopbackURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
		if u == "" {
			t.Skip("no non-loopback address")
		}
		refuse(t, u+"/file", "--network none", "--network", "none")
		if reached.Load() != 0 {
			t.Error("ADD under --network none reached the server")
		}
	})
}
