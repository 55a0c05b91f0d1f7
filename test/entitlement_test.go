package test

import (
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
)

// loopbackSecret serves secret to every connection on the host's 127.0.0.1
// (loopback only, as the test user) and returns its port and a count of
// the connections it accepted.
func loopbackSecret(t *testing.T, secret string) (int, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			fmt.Fprintln(c, secret)
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, &n
}

// A Dockerfile's RUN --network=host reaches the host's loopback only when
// the user grants it with --allow network.host (BuildKit's entitlement);
// it does not override the user's --network none.
func TestBuildNetworkHostNeedsAllow(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	const secret = "s3cret-on-the-host-loopback"
	port, conns := loopbackSecret(t, secret)
	ctx := buildContext(t, map[string]string{"Dockerfile": fmt.Sprintf(
		"FROM busybox\nRUN --network=host nc -w 3 127.0.0.1 %d > /got; cat /got\n", port)})
	for _, args := range [][]string{{"--network", "none"}, {}} {
		out, errs, code := s.build(t, append(args, "-t", "stolen", ctx)...)
		last := lastLine(errs)
		if code == 0 || !strings.Contains(last, "Dockerfile:2") || !strings.Contains(last, "--allow network.host") {
			t.Errorf("build %v with RUN --network=host and no --allow: exit %d, last line %q; want a failure naming Dockerfile:2 and --allow network.host", args, code, last)
		}
		if strings.Contains(out+errs, secret) {
			t.Errorf("build %v without --allow printed the host's secret:\n%s%s", args, out, errs)
		}
		s.noImage(t, "stolen")
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the host's listener saw %d connections from builds without --allow", n)
	}
	_, errs, code := s.build(t, "-t", "x", buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN --security=insecure true\n"}))
	if code == 0 || !strings.Contains(lastLine(errs), "security.insecure") {
		t.Errorf("RUN --security=insecure: exit %d, %q; want a refusal naming security.insecure", code, lastLine(errs))
	}

	s.mustBuild(t, "--network", "none", "--allow", "network.host", "-t", "granted", ctx)
	if got := s.sh(t, "granted", "cat /got"); strings.TrimSpace(got) != secret {
		t.Errorf("with --allow network.host the step read %q, want the host's %q", got, secret)
	}
	_, errs, code = s.build(t, "--allow", "network.everything", "-t", "x", ctx)
	if code == 0 || !strings.Contains(errs, "network.everything") {
		t.Errorf("--allow network.everything: exit %d, %q; want a refusal", code, errs)
	}
}

func lastLine(s string) string {
	l := lines(s)
	if len(l) == 0 {
		return ""
	}
	return l[len(l)-1]
}
