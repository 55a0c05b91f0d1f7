package test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// namedNetStore is a busybox store with a runtime dir of its own, so that
// the networks' processes of this test can be told from the others'.
func namedNetStore(t *testing.T) (*store, string) {
	t.Helper()
	s := withBusybox(t)
	rt, err := os.MkdirTemp("/tmp", "hn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(rt) })
	s.env = append(s.env, "XDG_RUNTIME_DIR="+rt)
	return s, rt
}

// netdsUnder are the named networks' processes running under rt.
func netdsUnder(rt string) []string {
	var out []string
	for _, p := range helpersUnder(rt) {
		if strings.Contains(p, "__hull-netd") {
			out = append(out, p)
		}
	}
	return out
}

// waitGone fails t when a helper under rt still runs after 10 s.
func waitGone(t *testing.T, what, rt string) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if left = helpersUnder(rt); len(left) == 0 {
			return
		}
	}
	t.Errorf("%s: left running: %v", what, left)
}

type netInspect struct {
	Name string
	IPAM struct {
		Config []struct{ Subnet, Gateway string }
	}
	// Containers by id.
	Containers map[string]struct {
		Name        string
		Aliases     []string
		IPv4Address string
	}
	HullProcessRunning bool
}

func inspectNet(t *testing.T, s *store, name string) netInspect {
	t.Helper()
	var v []netInspect
	if err := json.Unmarshal([]byte(s.mustHull(t, "network", "inspect", name)), &v); err != nil || len(v) != 1 {
		t.Fatalf("network inspect %s: %v", name, err)
	}
	return v[0]
}

const webCmd = `mkdir /w && echo hello-web > /w/index.html && exec httpd -f -p 80 -h /w`

func TestNamedNetworkNamesAndIsolation(t *testing.T) {
	t.Parallel()
	s, rt := namedNetStore(t)
	s.mustHull(t, "network", "create", "appnet")
	s.mustHull(t, "network", "create", "--subnet", "10.77.3.0/24", "other")
	if _, _, code := s.hull(t, "network", "create", "appnet"); code != 125 {
		t.Errorf("second create of appnet: exit %d, want 125", code)
	}
	if out := s.mustHull(t, "network", "ls", "--format", "{{.Name}} {{.Subnet}}"); !strings.Contains(out, "appnet 10.89.1.0/24") || !strings.Contains(out, "other 10.77.3.0/24") {
		t.Errorf("network ls:\n%s", out)
	}
	if len(netdsUnder(rt)) != 0 {
		t.Errorf("a network process runs with no container: %v", netdsUnder(rt))
	}

	web := s.runD(t, "--name", "web", "--network", "appnet", "--network-alias", "www", "-p", "127.0.0.1::80", "busybox", "sh", "-c", webCmd)
	in := inspectNet(t, s, "appnet")
	ep, ok := in.Containers[web]
	if !ok || ep.Name != "web" || !strings.HasPrefix(ep.IPv4Address, "10.89.1.") || !in.HullProcessRunning {
		t.Fatalf("appnet after run web: %+v", in)
	}
	webIP := strings.Split(ep.IPv4Address, "/")[0]
	if got := strings.TrimSpace(s.mustHull(t, "inspect", "-f", `{{(index .NetworkSettings.Networks "appnet").IPAddress}} {{(index .NetworkSettings.Networks "appnet").Aliases}}`, "web")); got != webIP+" [www]" {
		t.Errorf("inspect web: appnet address and aliases %q, want %q", got, webIP+" [www]")
	}
	if n := len(netdsUnder(rt)); n != 1 {
		t.Errorf("%d network processes, want 1: %v", n, netdsUnder(rt))
	}

	// By name, by alias, through the network's DNS.
	for _, name := range []string{"web", "www"} {
		out := s.mustHull(t, "run", "--rm", "--network", "appnet", "busybox", "sh", "-c", "sleep 0.3; "+fetch(name, 80))
		if !strings.Contains(out, "hello-web") {
			t.Errorf("fetch http://%s/ on appnet: %q", name, out)
		}
	}
	// -p still publishes on the host.
	port := strings.TrimSpace(s.mustHull(t, "port", "web", "80"))
	if out := hostFetch(t, port); !strings.Contains(out, "hello-web") {
		t.Errorf("published port %s: %q", port, out)
	}

	// Another network neither resolves nor reaches it.
	out, _, _ := s.hull(t, "run", "--rm", "--network", "other", "busybox", "sh", "-c",
		"nslookup web; echo nslookup=$?; "+fetch(webIP, 80)+"; echo fetch=$?")
	if !strings.Contains(out, "nslookup=1") || strings.Contains(out, "hello-web") {
		t.Errorf("from network other:\n%s", out)
	}

	if _, errs, code := s.hull(t, "network", "rm", "appnet"); code != 125 || !strings.Contains(errs, "used by container") {
		t.Errorf("network rm of a used network: exit %d, %q", code, errs)
	}
	s.mustHull(t, "rm", "-f", "web")
	waitGone(t, "after rm -f web", rt)
	s.mustHull(t, "network", "rm", "appnet")
	if out := s.mustHull(t, "network", "prune"); strings.TrimSpace(out) != "other" {
		t.Errorf("network prune removed %q, want other", out)
	}
	if out := s.mustHull(t, "network", "ls", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("networks left: %q", out)
	}
}

// hostFetch GETs / from 127.0.0.1:PORT (the host's side of -p).
func hostFetch(t *testing.T, hostPort string) string {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + hostPort + "/")
	if err != nil {
		t.Logf("GET %s: %v", hostPort, err)
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestNamedNetworkKill9LeavesNothing(t *testing.T) {
	t.Parallel()
	s, rt := namedNetStore(t)
	s.mustHull(t, "network", "create", "k9")
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, "run", "--network", "k9", "busybox", "sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait() //nolint:errcheck // killed below
	for deadline := time.Now().Add(30 * time.Second); len(netdsUnder(rt)) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the network's process never started")
		}
	}
	time.Sleep(300 * time.Millisecond)
	// kill -9 of the hull command alone: its container, the container's
	// slirp4netns and the network's process must all go.
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "kill -9 of hull run", rt)
	// The network works again afterwards.
	out := s.mustHull(t, "run", "--rm", "--network", "k9", "busybox", "sh", "-c", "ip -4 addr show eth0")
	if !strings.Contains(out, "inet 10.89.1.") {
		t.Errorf("eth0 after the kill: %q", out)
	}
	waitGone(t, "run --rm after the kill", rt)

	// kill -9 of a detached container's monitor: the same.
	s.runD(t, "--name", "bg", "--network", "k9", "busybox", "sleep", "300")
	mons := s.monitors()
	if len(mons) != 1 || len(netdsUnder(rt)) != 1 {
		t.Fatalf("monitors %v, network processes %v", mons, netdsUnder(rt))
	}
	killed(t, mons[0])
	waitGone(t, "kill -9 of the monitor", rt)
}

func TestNamedNetworkConnectInternalIP(t *testing.T) {
	t.Parallel()
	s, rt := namedNetStore(t)
	s.mustHull(t, "network", "create", "appnet")
	s.mustHull(t, "network", "create", "--internal", "--subnet", "10.77.5.0/24", "back")
	if _, errs, code := s.hull(t, "run", "--rm", "--network", "back", "-p", "127.0.0.1::80", "busybox", "true"); code != 125 || !strings.Contains(errs, "internal") {
		t.Errorf("-p on an internal network: exit %d, %q", code, errs)
	}
	web := s.runD(t, "--name", "web", "--network", "appnet", "busybox", "sh", "-c", webCmd)
	client := s.runD(t, "--name", "client", "--network", "back", "--ip", "10.77.5.9", "busybox", "sleep", "300")

	out := s.mustHull(t, "exec", "client", "sh", "-c", "ip -4 addr; ip route")
	if !strings.Contains(out, "inet 10.77.5.9/24") || strings.Contains(out, "default") || strings.Contains(out, "tap0") {
		t.Errorf("an internal network with --ip: want 10.77.5.9 and no way out:\n%s", out)
	}
	if out, _, _ := s.hull(t, "exec", "client", "sh", "-c", fetch("web", 80)); strings.Contains(out, "hello-web") {
		t.Errorf("reached web before connect: %q", out)
	}

	s.mustHull(t, "network", "connect", "--alias", "cli", "appnet", "client")
	out = s.mustHull(t, "exec", "client", "sh", "-c", "ip -4 addr show eth1; "+fetch("web", 80))
	if !strings.Contains(out, "inet 10.89.1.") || !strings.Contains(out, "hello-web") {
		t.Errorf("after network connect:\n%s", out)
	}
	if ep, ok := inspectNet(t, s, "appnet").Containers[client]; !ok || len(ep.Aliases) != 1 || ep.Aliases[0] != "cli" {
		t.Errorf("appnet after connect: %+v", inspectNet(t, s, "appnet"))
	}
	// The alias resolves for web, through appnet's own DNS.
	if out := s.mustHull(t, "exec", "web", "nslookup", "cli"); !strings.Contains(out, "10.89.1.") {
		t.Errorf("nslookup cli from web:\n%s", out)
	}

	s.mustHull(t, "network", "disconnect", "appnet", "client")
	if out, _, _ := s.hull(t, "exec", "client", "sh", "-c", fetch("web", 80)+"; ip link"); strings.Contains(out, "hello-web") || strings.Contains(out, "eth1") {
		t.Errorf("after disconnect:\n%s", out)
	}
	if _, ok := inspectNet(t, s, "appnet").Containers[client]; ok {
		t.Error("client still on appnet after disconnect")
	}
	if _, ok := inspectNet(t, s, "appnet").Containers[web]; !ok {
		t.Error("web fell off appnet")
	}
	s.mustHull(t, "rm", "-f", "web", "client")
	waitGone(t, "after rm -f", rt)
}

// storeProcesses are the live processes of one store: those with its
// private XDG_RUNTIME_DIR (rt) in their environment or command line
// (hull's commands, monitors, pod infras, network processes and their
// helpers) and the containers' own, which run `sleep marker`.
func storeProcesses(rt, marker string) map[int]string {
	out := map[int]string{}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, _ := os.ReadFile(p + "/cmdline")
		environ, _ := os.ReadFile(p + "/environ")
		if !bytes.Contains(environ, []byte("XDG_RUNTIME_DIR="+rt+"\x00")) && !bytes.Contains(cmdline, []byte(rt)) &&
			!bytes.Contains(cmdline, []byte("sleep\x00"+marker)) {
			continue
		}
		if stat, _ := os.ReadFile(p + "/stat"); strings.Contains(string(stat), ") Z ") {
			continue
		}
		out[pid] = string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
	}
	return out
}

// kill -9 of every hull process of a store at once — a foreground run,
// the monitors of a detached container with a restart policy and a health
// check and of a pod's members, the pod's infra monitor, a named network's
// process — leaves none of its processes behind: the count of the store's
// processes is 0 before and after.
func TestKill9EveryHullProcess(t *testing.T) {
	t.Parallel()
	s, rt := namedNetStore(t)
	const marker = "4242"
	if before := storeProcesses(rt, marker); len(before) != 0 {
		t.Fatalf("processes before the test: %v", before)
	}
	s.mustHull(t, "network", "create", "k9all")
	s.mustHull(t, "pod", "create", "--name", "k9pod", "--network", "k9all")
	s.runD(t, "--pod", "k9pod", "--name", "member", "busybox", "sleep", marker)
	s.runD(t, "--name", "bg", "--network", "k9all", "--restart", "always", "--health-cmd", "true", "--health-interval", "1s",
		"busybox", "sleep", marker)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, "run", "--network", "k9all", "busybox", "sleep", marker)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait() //nolint:errcheck // killed below
	var during map[int]string
	waitFor(t, "three containers running", func() bool {
		during = storeProcesses(rt, marker)
		n := 0
		for _, c := range during {
			if strings.HasSuffix(c, "sleep "+marker+" ") {
				n++
			}
		}
		return n == 3
	})
	var hulls []int
	for pid := range during {
		exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		// The monitors are the small embedded binary, known by its comm.
		if err == nil && strings.HasPrefix(exe, hullBin) || strings.TrimSpace(string(comm)) == "hull-monitor" {
			hulls = append(hulls, pid)
		}
	}
	// The foreground hull, two monitors, the infra's monitor, the
	// network's process at least.
	if len(hulls) < 5 || len(netdsUnder(rt)) != 1 {
		t.Fatalf("hull processes %d, network processes %v; all: %v", len(hulls), netdsUnder(rt), during)
	}
	for _, pid := range hulls {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	var left map[int]string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if left = storeProcesses(rt, marker); len(left) == 0 {
			break
		}
	}
	if len(left) != 0 {
		t.Errorf("%d processes before, %d of them hull's, killed; left after 10 s: %v", len(during), len(hulls), left)
	}
}
