package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// inspect shows a container's network, ports, log and mounts as Docker
// does, so that the usual templates work.
func TestCLIRunInspectNetwork(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "volume", "create", "v1")
	s.mustHull(t, "run", "-d", "--name", "web", "-p", "127.0.0.1:18781:80", "-p", "90", "--expose", "7000",
		"-v", "v1:/data", "-v", "/tmp:/hosttmp:ro", "busybox", "sleep", "60")
	got := strings.TrimSpace(s.mustHull(t, "inspect", "-f", `{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}`, "web"))
	if got != "18781" {
		t.Errorf("HostPort of 80/tcp: %q, want 18781", got)
	}
	got = strings.TrimSpace(s.mustHull(t, "inspect", "-f", `{{range .Mounts}}{{.Type}},{{.Name}},{{.Destination}},{{.RW}};{{end}}`, "web"))
	if got != "volume,v1,/data,true;bind,,/hosttmp,false;" && got != "bind,,/hosttmp,false;volume,v1,/data,true;" {
		t.Errorf("mounts: %q", got)
	}
	var views []struct {
		LogPath    string
		HostConfig struct {
			PortBindings map[string][]struct{ HostIp, HostPort string }
		}
		NetworkSettings struct {
			IPAddress, Gateway string
			Ports              map[string][]struct{ HostIp, HostPort string }
			Networks           map[string]struct{ IPAddress, Gateway string }
		}
	}
	if err := json.Unmarshal([]byte(s.mustHull(t, "inspect", "web")), &views); err != nil || len(views) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	v := views[0]
	if b := v.HostConfig.PortBindings["80/tcp"]; len(b) != 1 || b[0].HostIp != "127.0.0.1" || b[0].HostPort != "18781" {
		t.Errorf("PortBindings 80/tcp: %+v", b)
	}
	if b := v.HostConfig.PortBindings["90/tcp"]; len(b) != 1 || b[0].HostPort != "" {
		t.Errorf("PortBindings 90/tcp (a free port, chosen at start): %+v", b)
	}
	if b := v.NetworkSettings.Ports["90/tcp"]; len(b) != 1 || b[0].HostPort == "" || b[0].HostPort == "0" || b[0].HostIp != "0.0.0.0" {
		t.Errorf("Ports 90/tcp: %+v", b)
	}
	if b, ok := v.NetworkSettings.Ports["7000/tcp"]; !ok || b != nil {
		t.Errorf("Ports 7000/tcp (--expose, not published) %v %+v, want null", ok, b)
	}
	br, ok := v.NetworkSettings.Networks["bridge"]
	if !ok || br.IPAddress == "" || br.IPAddress != v.NetworkSettings.IPAddress || br.Gateway != v.NetworkSettings.Gateway {
		t.Errorf("Networks: %+v, top level %s %s", v.NetworkSettings.Networks, v.NetworkSettings.IPAddress, v.NetworkSettings.Gateway)
	}
	if !strings.HasPrefix(v.LogPath, s.root) || !strings.HasSuffix(v.LogPath, ".log") {
		t.Errorf("LogPath %q", v.LogPath)
	}
	s.mustHull(t, "rm", "-f", "web")
}

// The run flags that shape the record and the start.
func TestCLIRunFlags(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	cid := filepath.Join(s.root, "cid")
	out := s.mustHull(t, "run", "--cidfile", cid, "--name", "f1", "--shm-size", "16m",
		"--sysctl", "net.ipv4.ip_local_port_range=20000 20100", "--sysctl", "kernel.shmmax=123456",
		"busybox", "sh", "-c", "cat /proc/sys/net/ipv4/ip_local_port_range /proc/sys/kernel/shmmax; df -k /dev/shm | tail -1")
	f := strings.Fields(out)
	if len(f) < 5 || f[0] != "20000" || f[1] != "20100" || f[2] != "123456" || f[4] != "16384" {
		t.Errorf("sysctls and /dev/shm: %q", out)
	}
	id, err := os.ReadFile(cid)
	if err != nil || strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.Id}}", "f1")) != string(id) {
		t.Errorf("cidfile %q %v", id, err)
	}
	// An existing cidfile is refused before anything is created.
	_, errs, code := s.hull(t, "run", "--cidfile", cid, "--name", "f2", "busybox", "true")
	if code != 125 || !strings.Contains(errs, "container ID file found") {
		t.Errorf("second --cidfile: %d %q", code, errs)
	}
	if _, _, code := s.hull(t, "inspect", "f2"); code == 0 {
		t.Errorf("f2 was created despite the cidfile")
	}
	// Host-wide sysctls are refused, as Docker.
	for _, bad := range []string{"kernel.hostname=x", "vm.swappiness=1", "net.ipv4.ip_forward"} {
		_, errs, code := s.hull(t, "run", "--rm", "--sysctl", bad, "busybox", "true")
		if code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("--sysctl %s: exit %d %q, want 125 and one line", bad, code, errs)
		}
	}
	_, errs, code = s.hull(t, "run", "--rm", "--network", "host", "--sysctl", "net.ipv4.ip_forward=1", "busybox", "true")
	if code != 125 || !strings.Contains(errs, "--network host") {
		t.Errorf("net sysctl on the host network: %d %q", code, errs)
	}
	// -a stderr: stdout is not attached.
	stdout, stderr, code := s.hull(t, "run", "--rm", "-a", "stderr", "busybox", "sh", "-c", "echo out; echo err >&2")
	if code != 0 || stdout != "" || stderr != "err\n" {
		t.Errorf("-a stderr: %d %q %q", code, stdout, stderr)
	}
	// --log-driver none keeps no log; logs refuses.
	s.mustHull(t, "run", "--name", "nolog", "--log-driver", "none", "busybox", "echo", "hi")
	if _, errs, code := s.hull(t, "logs", "nolog"); code == 0 || !strings.Contains(errs, "does not support reading") {
		t.Errorf("logs of a none driver: %d %q", code, errs)
	}
	if _, _, code := s.hull(t, "run", "--rm", "--log-driver", "syslog", "busybox", "true"); code != 125 {
		t.Errorf("--log-driver syslog: %d, want 125", code)
	}
}

// --log-opt max-size and max-file rotate the json-file log.
func TestCLIRunLogRotation(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "--name", "rot", "--log-opt", "max-size=1k", "--log-opt", "max-file=3", "busybox",
		"sh", "-c", "i=0; while [ $i -lt 200 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done")
	logPath := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.LogPath}}", "rot"))
	for _, p := range []string{logPath, logPath + ".1", logPath + ".2"} {
		if fi, err := os.Stat(p); err != nil || fi.Size() > 1100 {
			t.Errorf("%s: %v (size over max-size?)", p, err)
		}
	}
	if _, err := os.Stat(logPath + ".3"); err == nil {
		t.Errorf("%s.3 exists: max-file=3 keeps three files", logPath)
	}
	out := s.mustHull(t, "logs", "rot")
	if !strings.HasSuffix(out, "line-199-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n") || strings.Contains(out, "line-0-") {
		t.Errorf("logs after rotation: %d bytes, tail %q", len(out), out[max(0, len(out)-80):])
	}
}

// --stop-signal and --stop-timeout are what stop uses; stop -s overrides.
func TestCLIRunStop(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "-d", "--name", "st", "--stop-signal", "USR1", "--stop-timeout", "1", "busybox", "sh", "-c",
		`trap "echo got-usr1; exit 7" USR1; trap "echo got-term; exit 8" TERM; echo up; while :; do sleep 0.1; done`)
	waitLog(t, s, "st", "up")
	s.mustHull(t, "stop", "st")
	if code := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.State.ExitCode}}", "st")); code != "7" {
		t.Errorf("stop with --stop-signal USR1: exit %s, want 7", code)
	}
	s.mustHull(t, "start", "st")
	waitLog(t, s, "st", "got-usr1\nup")
	s.mustHull(t, "stop", "-s", "TERM", "st")
	if code := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.State.ExitCode}}", "st")); code != "8" {
		t.Errorf("stop -s TERM: exit %s, want 8", code)
	}
	// A process that ignores the signal is killed after --stop-timeout.
	s.mustHull(t, "run", "-d", "--name", "deaf", "--stop-timeout", "1", "busybox", "sh", "-c", `trap "" TERM; echo up; while :; do sleep 0.1; done`)
	waitLog(t, s, "deaf", "up")
	start := time.Now()
	s.mustHull(t, "stop", "deaf")
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("stop took %v with --stop-timeout 1 (the default is 10s)", d)
	}
}

func waitLog(t *testing.T, s *store, name, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _, _ := s.hull(t, "logs", name)
		if strings.Contains(out, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs of %s never showed %q: %q", name, want, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// --volumes-from mounts another container's volumes and binds, with ro.
func TestCLIRunVolumesFrom(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "create", "--name", "src", "-v", "shared:/shared", "-v", "/data2", "busybox", "true")
	s.mustHull(t, "run", "--rm", "--volumes-from", "src", "busybox", "sh", "-c", "echo hi > /shared/f && echo x > /data2/g")
	out := s.mustHull(t, "run", "--rm", "--volumes-from", "src:ro", "busybox", "sh", "-c", "cat /shared/f /data2/g; touch /shared/h 2>&1 || echo refused")
	if out != "hi\nx\nrefused\n" && !strings.HasPrefix(out, "hi\nx\n") {
		t.Errorf("volumes-from ro: %q", out)
	}
	if !strings.Contains(out, "refused") {
		t.Errorf("volumes-from src:ro mounted writable: %q", out)
	}
	if _, errs, code := s.hull(t, "run", "--rm", "--volumes-from", "nosuch", "busybox", "true"); code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("--volumes-from nosuch: %d %q", code, errs)
	}
}

// --privileged: every capability, no seccomp, nothing masked, /sys
// writable; without it, all of those stay.
func TestCLIRunPrivileged(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	probe := `grep -E '^(CapEff|Seccomp):' /proc/self/status | tr -s '\t ' ' '; mount | grep -c ' /proc/keys ' ; mount | grep ' /sys type sysfs' | cut -d'(' -f2 | cut -d, -f1`
	out := s.mustHull(t, "run", "--rm", "--privileged", "busybox", "sh", "-c", probe)
	l := lines(out)
	if len(l) != 4 || l[0] != "CapEff: 000001ffffffffff" && !strings.HasPrefix(l[0], "CapEff: 0000") || l[1] != "Seccomp: 0" || l[2] != "0" || l[3] != "rw" {
		t.Errorf("--privileged: %q", out)
	}
	out = s.mustHull(t, "run", "--rm", "busybox", "sh", "-c", probe)
	l = lines(out)
	if len(l) != 4 || l[0] != "CapEff: 00000000a80425fb" || l[1] != "Seccomp: 2" || l[2] != "1" || l[3] != "ro" {
		t.Errorf("without --privileged: %q", out)
	}
}

// top passes ps options and names users as the container does.
func TestCLIRunTop(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "-d", "--name", "tp", "-u", "1000", "busybox", "sleep", "60")
	out := s.mustHull(t, "top", "tp", "-o", "pid,user,comm")
	l := lines(out)
	if len(l) != 2 || strings.Fields(l[0])[1] != "USER" || len(strings.Fields(l[1])) != 3 || strings.Fields(l[1])[1] != "user1" || strings.Fields(l[1])[2] != "sleep" {
		t.Errorf("top -o pid,user,comm: %q", out)
	}
	out = s.mustHull(t, "top", "tp")
	if l := lines(out); len(l) != 2 || !strings.HasPrefix(l[1], "user1 ") || !strings.HasSuffix(l[1], "sleep 60") {
		t.Errorf("top: %q", out)
	}
	s.mustHull(t, "rm", "-f", "tp")
}

// logs --until and --details.
func TestCLIRunLogsUntil(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "--name", "lg", "busybox", "echo", "hello")
	if out := s.mustHull(t, "logs", "--until", "2000-01-01T00:00:00Z", "lg"); out != "" {
		t.Errorf("logs --until 2000: %q", out)
	}
	if out := s.mustHull(t, "logs", "--details", "--until", "0s", "lg"); out != " hello\n" {
		t.Errorf("logs --details: %q", out)
	}
}

// Ctrl-P Ctrl-Q leaves a foreground run -it, the container running under
// its monitor; --detach-keys changes the keys; the exit code of a --rm
// run -it still comes back.
func TestCLIRunDetachKeys(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	p := startPty(t, s, 24, 80, "run", "-it", "--name", "dk", "busybox", "sh", "-c", `echo ready; while :; do sleep 0.1; done`)
	p.waitFor("ready")
	p.write("\x10\x11")
	out, code := p.wait()
	if code != 0 || !strings.Contains(out, "read escape sequence") {
		t.Errorf("after ^P^Q: exit %d, terminal showed %q", code, out)
	}
	if st := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.State.Status}}", "dk")); st != "running" {
		t.Errorf("after detaching, the container is %s, want running", st)
	}
	p = startPty(t, s, 24, 80, "run", "-it", "--detach-keys", "ctrl-x,x", "--name", "dk2", "busybox", "sh", "-c", `echo ready; while :; do sleep 0.1; done`)
	p.waitFor("ready")
	p.write("\x18x")
	if _, code := p.wait(); code != 0 {
		t.Errorf("after --detach-keys ctrl-x,x: exit %d", code)
	}
	if st := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.State.Status}}", "dk2")); st != "running" {
		t.Errorf("after detaching with ctrl-x,x, the container is %s, want running", st)
	}
	s.mustHull(t, "rm", "-f", "dk", "dk2")
	p = startPty(t, s, 24, 80, "run", "--rm", "-it", "--name", "dk3", "busybox", "sh", "-c", `echo ready; read x; exit 5`)
	p.waitFor("ready")
	p.write("\r")
	if _, code := p.wait(); code != 5 {
		t.Errorf("run --rm -it exit %d, want 5", code)
	}
	if _, _, code := s.hull(t, "inspect", "dk3"); code == 0 {
		t.Errorf("--rm container dk3 left behind")
	}
}

// ps -s and the ps filters before=, since=, publish=, network=, volume=,
// health=; images --filter before=, since=.
func TestCLIRunPsFilters(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	s.mustHull(t, "run", "-d", "--name", "p1", "-p", "18790:80", "-v", "pv:/data", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /big; sleep 60")
	time.Sleep(10 * time.Millisecond)
	s.mustHull(t, "run", "-d", "--name", "p2", "--network", "none", "--health-cmd", "true", "--health-interval", "1s", "busybox", "sleep", "60")
	time.Sleep(10 * time.Millisecond)
	s.mustHull(t, "run", "-d", "--name", "p3", "busybox", "sleep", "60")
	names := func(args ...string) string {
		return strings.Join(strings.Fields(s.mustHull(t, append([]string{"ps", "-a", "--format", "{{.Names}}"}, args...)...)), ",")
	}
	for _, c := range []struct{ filter, want string }{
		{"before=p2", "p1"}, {"since=p2", "p3"}, {"since=p1", "p3,p2"},
		{"publish=80", "p1"}, {"publish=80/udp", ""}, {"publish=70-90", "p1"},
		{"network=none", "p2"}, {"network=bridge", "p3,p1"},
		{"volume=pv", "p1"}, {"volume=/data", "p1"},
		{"health=none", "p3,p1"},
	} {
		if got := names("--filter", c.filter); got != c.want {
			t.Errorf("ps --filter %s: %q, want %q", c.filter, got, c.want)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for names("--filter", "health=healthy") != "p2" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if got := names("--filter", "health=healthy"); got != "p2" {
		t.Errorf("ps --filter health=healthy: %q", got)
	}
	if _, errs, code := s.hull(t, "ps", "--filter", "before=nosuch"); code == 0 || !strings.Contains(errs, "nosuch") {
		t.Errorf("ps --filter before=nosuch: %d %q", code, errs)
	}
	out := s.mustHull(t, "ps", "-s", "--filter", "name=p1")
	if l := lines(out); len(l) != 2 || !strings.HasSuffix(l[0], "SIZE") || !strings.Contains(l[1], "100kB (virtual ") {
		t.Errorf("ps -s: %q", out)
	}
	// images --filter before/since: an image committed after busybox.
	s.mustHull(t, "commit", "p3", "later:1")
	if got := strings.Fields(s.mustHull(t, "images", "--format", "{{.Repository}}", "--filter", "since=busybox")); len(got) != 1 || got[0] != "later" {
		t.Errorf("images --filter since=busybox: %q", got)
	}
	if got := strings.Fields(s.mustHull(t, "images", "--format", "{{.Repository}}", "--filter", "before=later:1")); len(got) != 1 || got[0] != "busybox" {
		t.Errorf("images --filter before=later:1: %q", got)
	}
	s.mustHull(t, "rm", "-f", "p1", "p2", "p3")
}

// --uts host and --ipc host: the host's name and the user's own IPC
// namespace and /dev/shm; container:NAME of no container is refused.
func TestCLIRunHostNamespaces(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if out := s.mustHull(t, "run", "--rm", "--uts", "host", "busybox", "hostname"); strings.TrimSpace(out) != host {
		t.Errorf("--uts host: hostname %q, want %q", out, host)
	}
	if out := s.mustHull(t, "run", "--rm", "busybox", "hostname"); strings.TrimSpace(out) == host {
		t.Errorf("without --uts host the container has the host's name %q", out)
	}
	if _, _, code := s.hull(t, "run", "--rm", "--uts", "host", "--hostname", "x", "busybox", "true"); code != 125 {
		t.Errorf("--uts host --hostname: exit %d, want 125", code)
	}
	ipcNS := func(args ...string) string {
		return strings.TrimSpace(s.mustHull(t, append(append([]string{"run", "--rm"}, args...), "busybox", "readlink", "/proc/self/ns/ipc")...))
	}
	self, err := os.Readlink("/proc/self/ns/ipc")
	if err != nil {
		t.Fatal(err)
	}
	if got := ipcNS("--ipc", "host"); got != self {
		t.Errorf("--ipc host: %s, want the host's %s", got, self)
	}
	if got := ipcNS(); got == self {
		t.Errorf("without --ipc host the container shares the host's IPC namespace %s", got)
	}
	name := "/dev/shm/hull-clirun-" + strings.TrimPrefix(filepath.Base(s.root), "s")
	defer os.Remove(name)
	s.mustHull(t, "run", "--rm", "--ipc", "host", "busybox", "sh", "-c", "echo shared > "+name)
	if b, err := os.ReadFile(name); err != nil || string(b) != "shared\n" {
		t.Errorf("--ipc host: /dev/shm not the host's: %q %v", b, err)
	}
	for _, bad := range [][]string{{"--ipc", "container:x"}, {"--uts", "container:x"}, {"--ipc", "bogus"}} {
		if _, errs, code := s.hull(t, append(append([]string{"run", "--rm"}, bad...), "busybox", "true")...); code != 125 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d %q", bad, code, errs)
		}
	}
}

// run -it --rm on a terminal created its container and started its
// monitor before anything caught signals (the attach client did, once the
// container ran): a SIGINT in that window ended hull and left the --rm
// container "Created" for good, or running on under its monitor with no
// one attached (an outside review saw 8 of 30 runs signalled 5-52 ms after
// their start). It now catches them from before its create, as the
// foreground run without a terminal does, and relays them once attached. Each run here is
// signalled a little later than the one before, to cross the window; the
// container reads its terminal, so one left running never ends.
func TestRunItRmSignalAtStartLeavesNothing(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	for i := 0; i < 24; i++ {
		name := fmt.Sprintf("it%d", i)
		p := startPty(t, s, 24, 80, "run", "-it", "--rm", "--network", "none", "--name", name, "busybox", "sh", "-c", "read x")
		time.Sleep(time.Duration(i*5) * time.Millisecond)
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		go func() {
			// A hull still attached passes this line on: the container ends.
			for k := 0; k < 50; k++ {
				if _, err := p.master.Write([]byte("\n")); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		p.wait()
	}
	if ps := s.mustHull(t, "ps", "-a", "--format", "{{.Names}} {{.Status}}"); ps != "" {
		t.Errorf("--rm containers left after SIGINT near their start:\n%s", ps)
	}
	for _, id := range strings.Fields(s.mustHull(t, "ps", "-aq")) {
		s.hull(t, "rm", "-f", id)
	}
}
