package test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostHTTP serves "hello from the host" on 127.0.0.1 (loopback only) and
// returns its port.
func hostHTTP(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello from the host")
	})}
	go srv.Serve(l) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// fetch is a shell line that GETs / from ADDR PORT with busybox nc (the
// static busybox's wget crashes in its NSS lookup).
func fetch(addr string, port int) string {
	return fmt.Sprintf(`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 %s %d`, addr, port)
}

func TestNetworkNoneHasOnlyLoopback(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	out := s.mustHull(t, "run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net")
	if f := strings.Fields(out); !slices.Equal(f, []string{"lo"}) {
		t.Errorf("--network none sees %v, want [lo]", f)
	}
	if out := s.mustHull(t, "run", "--rm", "--network", "none", "busybox", "cat", "/etc/resolv.conf"); strings.Contains(out, "nameserver") {
		t.Errorf("--network none has name servers:\n%s", out)
	}
}

func TestNetworkDefaultIsUserMode(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	for _, network := range []string{"", "bridge", "slirp4netns"} {
		args := []string{"run", "--rm"}
		if network != "" {
			args = append(args, "--network", network)
		}
		out := s.mustHull(t, append(args, "busybox", "sh", "-c", "ip -4 addr show tap0; ip route; cat /etc/resolv.conf")...)
		for _, want := range []string{"inet 10.0.2.100/24", "default via 10.0.2.2", "nameserver 10.0.2.3"} {
			if !strings.Contains(out, want) {
				t.Errorf("network %q: no %q in\n%s", network, want, out)
			}
		}
	}
}

func TestNetworkHostLoopback(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	port := hostHTTP(t)
	// Closed by default: 10.0.2.2 is not the host's loopback.
	out, _, _ := s.hull(t, "run", "--rm", "busybox", "sh", "-c", fetch("10.0.2.2", port))
	if strings.Contains(out, "hello from the host") {
		t.Errorf("the default network reached the host's 127.0.0.1: %q", out)
	}
	out = s.mustHull(t, "run", "--rm", "--network", "bridge:allow_host_loopback=true", "busybox", "sh", "-c", fetch("10.0.2.2", port))
	if !strings.Contains(out, "hello from the host") {
		t.Errorf("allow_host_loopback=true: got %q", out)
	}
	_, errs, code := s.hull(t, "run", "--rm", "--network", "bridge:allow_host_loopback=maybe", "busybox", "true")
	if code != 125 || !strings.Contains(errs, "allow_host_loopback") {
		t.Errorf("bad option: exit %d, %q", code, errs)
	}
}

func TestNetworkHostSeesHostInterfaces(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	ents, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Fatal(err)
	}
	var host []string
	for _, e := range ents {
		host = append(host, e.Name())
	}
	out := strings.Fields(s.mustHull(t, "run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net"))
	slices.Sort(out)
	if !slices.Equal(out, host) {
		t.Errorf("--network host sees %v, host has %v", out, host)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestNetworkPublish(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, "run", "--rm", "--name", "web", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "busybox", "sh", "-c",
		"mkdir /w && echo hello-from-container > /w/index.html && exec httpd -f -p 80 -h /w")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() }()
	body := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/index.html", port))
		if err == nil {
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			resp.Body.Close()
			body = b.String()
			break
		}
	}
	if !strings.Contains(body, "hello-from-container") {
		t.Fatalf("published port answered %q; hull stderr: %s", body, errb.String())
	}
	want := fmt.Sprintf("80/tcp -> 127.0.0.1:%d", port)
	if out := s.mustHull(t, "port", "web"); strings.TrimSpace(out) != want {
		t.Errorf("hull port web: %q, want %q", out, want)
	}
	// The same host port again is busy: a clear error before the start.
	_, errs, code := s.hull(t, "run", "--rm", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "busybox", "echo", "started")
	if code != 125 || !strings.Contains(errs, "port is already allocated") || strings.Contains(errs, "started") {
		t.Errorf("busy port: exit %d, stderr %q", code, errs)
	}
}

func TestNetworkPublishErrors(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-p", "99999:80"}, "invalid publish"},
		{[]string{"-p", "80/sctp"}, "invalid publish"},
		{[]string{"-p", "a:b:c:d"}, "invalid publish"},
		{[]string{"--network", "none", "-p", "8080:80"}, "published ports need a user-mode network"},
		{[]string{"--add-host", "nocolon"}, "invalid --add-host"},
		{[]string{"--dns", "not-an-ip"}, "invalid --dns"},
		{[]string{"--network", "nosuchnet"}, "network nosuchnet not found"},
	} {
		_, errs, code := s.hull(t, append(append([]string{"run", "--rm"}, tt.args...), "busybox", "true")...)
		if code != 125 || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tt.args, code, errs, tt.want)
		}
	}
}

func TestNetworkEtcFiles(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	for _, network := range []string{"bridge", "none", "host"} {
		out := s.mustHull(t, "run", "--rm", "--network", network, "--hostname", "box1",
			"--add-host", "db:192.0.2.7", "--dns", "192.0.2.53", "--dns-search", "example.test",
			"busybox", "sh", "-c", "grep -w box1 /etc/hosts; grep -w db /etc/hosts; cat /etc/resolv.conf")
		for _, want := range []string{"box1", "192.0.2.7\tdb", "nameserver 192.0.2.53", "search example.test"} {
			if !strings.Contains(out, want) {
				t.Errorf("network %s: no %q in\n%s", network, want, out)
			}
		}
		if network == "bridge" && !strings.Contains(out, "10.0.2.100\tbox1") {
			t.Errorf("bridge: hostname not on the container's address:\n%s", out)
		}
	}
	// The container resolves its own name (through /etc/hosts).
	out := s.mustHull(t, "run", "--rm", "--hostname", "box2", "busybox", "ping", "-c", "1", "-W", "2", "box2")
	if !strings.Contains(out, "10.0.2.100") {
		t.Errorf("ping box2: %q", out)
	}
	out = s.mustHull(t, "run", "--rm", "--add-host", "gw:host-gateway", "busybox", "grep", "-w", "gw", "/etc/hosts")
	if !strings.Contains(out, "10.0.2.2") {
		t.Errorf("host-gateway: %q", out)
	}
}

func TestNetworkBuildRun(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	port := hostHTTP(t)
	ctx := buildContext(t, map[string]string{"Dockerfile": fmt.Sprintf("FROM busybox\nRUN %s > /got && ip -4 addr show tap0 >> /got\n", fetch("10.0.2.2", port))})
	s.mustBuild(t, "--network", "bridge:allow_host_loopback=true", "-t", "netbuild", ctx)
	out := s.mustHull(t, "run", "--rm", "--network", "none", "netbuild", "cat", "/got")
	if !strings.Contains(out, "hello from the host") || !strings.Contains(out, "10.0.2.100") {
		t.Errorf("RUN had no network: %q", out)
	}
	_, errs, code := s.build(t, "--no-cache", "--network", "nosuchnet", "-t", "x", ctx)
	if code == 0 || !strings.Contains(errs, "nosuchnet") {
		t.Errorf("build --network nosuchnet: exit %d, %q", code, errs)
	}
}

// helpersUnder lists the live (not zombie) processes whose command line
// mentions dir.
func helpersUnder(dir string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmdline, err := os.ReadFile(p + "/cmdline")
		if err != nil || !bytes.Contains(cmdline, []byte(dir)) {
			continue
		}
		stat, _ := os.ReadFile(p + "/stat")
		if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "Z" {
			continue
		}
		out = append(out, p+": "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
	}
	return out
}

// waitNoHelpers fails t when a helper still runs under dir after ten
// seconds: a leaked one runs on for good, and a loaded machine may take
// seconds to reap one that is on its way out.
func waitNoHelpers(t *testing.T, what, dir string) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if left = helpersUnder(dir); len(left) == 0 {
			return
		}
	}
	t.Errorf("%s: helpers left running: %v", what, left)
}

func TestNetworkNoLeaks(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	// A runtime dir of our own (short: it holds the API socket's path)
	// tells this test's slirp4netns from the others'.
	rt, err := os.MkdirTemp("/tmp", "hn")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(rt)
	s.env = append(s.env, "XDG_RUNTIME_DIR="+rt)
	pub := []string{"-p", "127.0.0.1::80"}

	s.mustHull(t, append(append([]string{"run", "--rm"}, pub...), "busybox", "true")...)
	waitNoHelpers(t, "run --rm", rt)

	_, _, code := s.hull(t, append(append([]string{"run", "--rm"}, pub...), "busybox", "/no/such/command")...)
	if code != 127 {
		t.Errorf("failed start: exit %d, want 127", code)
	}
	waitNoHelpers(t, "failed start", rt)

	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, append(append([]string{"run", "--rm"}, pub...), "busybox", "sleep", "60")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(helpersUnder(rt)) == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if len(helpersUnder(rt)) == 0 {
		t.Fatal("no slirp4netns seen while the container runs")
	}
	_ = cmd.Process.Kill() // hull only, kill -9
	_ = cmd.Wait()
	waitNoHelpers(t, "kill -9 of hull", rt)
}
