package test

import (
	"fmt"
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

// podProcs are the live processes of pod id in store s: its infra monitor,
// the infra itself (infraPid) and whatever names the pod's id (its
// network driver), besides extra pids (members) that are still alive.
func podProcs(s *store, id string, pids ...int) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && (strings.Contains(string(b), "__hull-pod\x00"+s.root+"\x00") || strings.Contains(string(b), id)) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	for _, pid := range pids {
		if pid > 0 && syscall.Kill(pid, 0) == nil {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if !strings.Contains(string(b), ") Z ") {
				out = append(out, strconv.Itoa(pid)+": "+string(b))
			}
		}
	}
	return out
}

// waitNoPodProcs waits up to 10 s for podProcs to be empty.
func waitNoPodProcs(t *testing.T, s *store, id string, pids ...int) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if left = podProcs(s, id, pids...); len(left) == 0 {
			return
		}
	}
	t.Errorf("processes of pod %s left behind:\n%s", id[:12], strings.Join(left, "\n"))
}

// newPod creates a pod and makes sure nothing of it outlives the test.
func newPod(t *testing.T, s *store, args ...string) string {
	t.Helper()
	id := strings.TrimSpace(s.mustHull(t, append([]string{"pod", "create"}, args...)...))
	if len(id) != 64 {
		t.Fatalf("pod create printed %q, want a 64-digit id", id)
	}
	t.Cleanup(func() {
		for _, p := range podProcs(s, id) {
			pid, _ := strconv.Atoi(strings.SplitN(p, ":", 2)[0])
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return id
}

func intOf(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

// retryFetch GETs / from 127.0.0.1:PORT inside a container until it
// answers (a server that has just started may not listen yet).
func retryFetch(port int) string {
	return fmt.Sprintf(`for i in $(seq 30); do out=$(%s) && case "$out" in *hello-from-pod*) echo "$out"; exit 0;; esac; sleep 0.2; done; exit 1`, fetch("127.0.0.1", port))
}

func TestPodSharesLocalhostHostnameAndPorts(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	port := freePort(t)
	id := newPod(t, s, "--name", "web1", "--hostname", "podhost", "--label", "app=web", "-p", fmt.Sprintf("127.0.0.1:%d:80", port))
	if out := s.mustHull(t, "pod", "ls", "--format", "{{.Name}} {{.Status}} {{.NumberOfContainers}} {{.Labels}}"); strings.TrimSpace(out) != "web1 Created 0 app=web" {
		t.Errorf("pod ls of a new pod: %q", out)
	}
	s.runD(t, "--pod", "web1", "--name", "srv", "busybox", "sh", "-c",
		"echo hello-from-pod > /tmp/index.html && exec httpd -f -p 80 -h /tmp")

	// Another member reaches the server on localhost and has the pod's hostname.
	out := s.mustHull(t, "run", "--rm", "--pod", "web1", "busybox", "sh", "-c", "hostname; "+retryFetch(80))
	if !strings.HasPrefix(out, "podhost\n") || !strings.Contains(out, "hello-from-pod") {
		t.Errorf("a member of the pod: hostname and localhost fetch gave\n%s", out)
	}
	// The pod's published port reaches the server from the host's loopback.
	var body []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port)); err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
	}
	if !strings.Contains(string(body), "hello-from-pod") {
		t.Errorf("the pod's published port %d gave %q", port, body)
	}
	// Members share the network, IPC and UTS namespaces; a container outside does not.
	ns := "for n in net ipc uts; do readlink /proc/self/ns/$n; done"
	a := s.mustHull(t, "run", "--rm", "--pod", "web1", "busybox", "sh", "-c", ns)
	b := s.mustHull(t, "exec", "srv", "sh", "-c", ns)
	c := s.mustHull(t, "run", "--rm", "busybox", "sh", "-c", ns)
	if a != b || len(lines(a)) != 3 {
		t.Errorf("two members of a pod have namespaces\n%s and\n%s", a, b)
	}
	for i, l := range lines(c) {
		if i < len(lines(a)) && l == lines(a)[i] {
			t.Errorf("a container outside the pod shares %s", l)
		}
	}

	// A member cannot publish ports of its own, as in Podman.
	_, errs, code := s.hull(t, "run", "--rm", "--pod", "web1", "-p", "8080:80", "busybox", "true")
	if code != 125 || !strings.Contains(errs, "published or exposed ports must be defined when the pod is created") {
		t.Errorf("run --pod -p: exit %d, %q", code, errs)
	}
	oneLineError(t, errs)

	if out := s.mustHull(t, "pod", "ps", "--format", "{{.Name}} {{.Status}} {{.NumberOfContainers}} {{.ContainerNames}}"); strings.TrimSpace(out) != "web1 Running 1 srv" {
		t.Errorf("pod ps of a running pod: %q", out)
	}
	if out := s.mustHull(t, "pod", "ls", "-q", "--filter", "label=app=web", "--filter", "status=running"); strings.TrimSpace(out) != id[:12] {
		t.Errorf("pod ls --filter label=app=web --filter status=running: %q", out)
	}
	if out := s.mustHull(t, "pod", "ls", "-q", "--filter", "name=nosuch"); strings.TrimSpace(out) != "" {
		t.Errorf("pod ls --filter name=nosuch: %q", out)
	}
	infra := intOf(t, s.mustHull(t, "pod", "inspect", "--format", "{{.InfraPid}}", "web1"))
	if out := s.mustHull(t, "pod", "inspect", "--format", "{{.Hostname}} {{.State}} {{.NumContainers}} {{range .Containers}}{{.Name}}{{end}}", id[:12]); strings.TrimSpace(out) != "podhost Running 1 srv" {
		t.Errorf("pod inspect: %q", out)
	}
	srvPid := intOf(t, s.mustHull(t, "inspect", "--format", "{{.State.Pid}}", "srv"))

	s.mustHull(t, "pod", "stop", "-t", "2", "web1")
	if out := s.mustHull(t, "ps", "-a", "--format", "{{.Names}} {{.State}}"); strings.TrimSpace(out) != "srv exited" {
		t.Errorf("after pod stop, ps -a: %q", out)
	}
	if out := s.mustHull(t, "pod", "ls", "--format", "{{.Status}}"); strings.TrimSpace(out) != "Exited" {
		t.Errorf("after pod stop, pod ls: %q", out)
	}
	waitNoPodProcs(t, s, id, infra, srvPid)
	s.mustHull(t, "pod", "rm", "web1")
	if out := s.mustHull(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("pod rm left containers: %q", out)
	}
	if out := s.mustHull(t, "pod", "ls", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("pod rm left the pod: %q", out)
	}
}

func TestPodRemoveForceAndNoStrays(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	id := newPod(t, s, "--name", "p1", "-p", fmt.Sprintf("127.0.0.1:%d:80", freePort(t)))
	s.runD(t, "--pod", "p1", "--name", "sleeper", "busybox", "sleep", "300")
	member := intOf(t, s.mustHull(t, "inspect", "--format", "{{.State.Pid}}", "sleeper"))
	infra := intOf(t, s.mustHull(t, "pod", "inspect", "--format", "{{.InfraPid}}", "p1"))
	if len(podProcs(s, id, infra, member)) < 3 {
		t.Fatalf("a running pod should have its monitor, infra, network and member: %v", podProcs(s, id, infra, member))
	}
	_, errs, code := s.hull(t, "pod", "rm", "p1")
	if code != 125 || !strings.Contains(errs, "running containers") {
		t.Errorf("pod rm of a pod with a running member: exit %d, %q", code, errs)
	}
	s.mustHull(t, "pod", "rm", "-f", "p1")
	waitNoPodProcs(t, s, id, infra, member)
	if out := s.mustHull(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("pod rm -f left containers: %q", out)
	}

	// kill -9 of the infra's monitor takes the infra, its network and
	// every member with it; the members' monitors record the end.
	id = newPod(t, s, "--name", "p2")
	s.runD(t, "--pod", "p2", "--name", "sleeper2", "busybox", "sleep", "300")
	member = intOf(t, s.mustHull(t, "inspect", "--format", "{{.State.Pid}}", "sleeper2"))
	infra = intOf(t, s.mustHull(t, "pod", "inspect", "--format", "{{.InfraPid}}", "p2"))
	infraMons := s.roleProcs("__hull-pod")
	if len(infraMons) != 1 {
		t.Fatalf("infra monitors %v, want 1", infraMons)
	}
	killed(t, infraMons[0])
	waitNoPodProcs(t, s, id, infra, member)
	waitFor(t, "the members' monitors to end", func() bool { return len(s.monitors()) == 0 })
	if out := s.mustHull(t, "ps", "-a", "--format", "{{.Names}} {{.State}}"); strings.TrimSpace(out) != "sleeper2 exited" {
		t.Errorf("after kill -9 of the infra monitor, ps -a: %q", out)
	}
	if out := s.mustHull(t, "pod", "ls", "--format", "{{.Name}} {{.Status}}"); strings.TrimSpace(out) != "p2 Exited" {
		t.Errorf("after kill -9 of the infra monitor, pod ls: %q", out)
	}
	// The pod starts again, with its member.
	s.mustHull(t, "pod", "start", "p2")
	if out := s.mustHull(t, "pod", "ls", "--format", "{{.Name}} {{.Status}}"); strings.TrimSpace(out) != "p2 Running" {
		t.Errorf("after pod start, pod ls: %q", out)
	}
	s.mustHull(t, "pod", "rm", "-f", "--all")
	waitNoPodProcs(t, s, id)
	if out := s.mustHull(t, "pod", "prune", "-f"); strings.TrimSpace(out) != "" {
		t.Errorf("pod prune with no pods: %q", out)
	}
}

// TestPodInfraUnreachable: a pod member given CAP_SYS_PTRACE (or every
// capability) shares the infra's user and pid namespaces, where the infra
// is PID 1. Through /proc/1 it must reach nothing of the host: the infra
// pivots into an empty root, is non-dumpable and holds no capability.
// A member cannot stop the pod with SIGTERM to PID 1 either.
func TestPodInfraUnreachable(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	c := newHomeCanary(t)
	newPod(t, s, "--name", "pinfra")
	var outs []string
	for _, caps := range [][]string{{"--cap-add", "SYS_PTRACE"}, {"--cap-add", "ALL"}} {
		args := append([]string{"run", "--rm", "--pod", "pinfra"}, caps...)
		out, errs, _ := s.hull(t, append(args, "busybox", "sh", "-c",
			"cat /proc/1/root"+c.file+"; echo pwned >> /proc/1/root"+c.file+"; ls -a /proc/1/root/ /proc/1/root/..; "+
				"cat /proc/1/mountinfo; grep -E '^Cap(Prm|Eff|Bnd|Amb)' /proc/1/status")...)
		outs = append(outs, out, errs)
		if strings.Contains(out, "home") {
			t.Errorf("%v: the member sees the host through /proc/1: %s", caps, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "Cap") && !strings.HasSuffix(l, "0000000000000000") {
				t.Errorf("%v: the infra holds capabilities: %q", caps, l)
			}
		}
	}
	c.check(t, outs...)
	s.mustHull(t, "run", "--rm", "--pod", "pinfra", "busybox", "sh", "-c", "kill -TERM 1; kill -INT 1; sleep 1")
	if got := s.mustHull(t, "pod", "inspect", "--format", "{{.State}}", "pinfra"); !strings.Contains(got, "Running") {
		t.Errorf("after a member's SIGTERM to PID 1 the pod is %q, want Running", strings.TrimSpace(got))
	}
	s.mustHull(t, "pod", "rm", "-f", "pinfra")
}
