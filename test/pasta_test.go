package test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pastaProcs lists this user's pasta processes. No other test uses pasta,
// so any left after these runs is a leak.
func pastaProcs() []string {
	var out []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		// pasta re-executes itself as passt.avx2 and the like.
		comm, err := os.ReadFile(filepath.Join(d, "comm"))
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(comm)), "pas") {
			out = append(out, filepath.Base(d))
		}
	}
	return out
}

func TestNetworkPasta(t *testing.T) {
	s := withBusybox(t)
	out := s.mustHull(t, "run", "--rm", "--network", "pasta", "busybox", "sh", "-c",
		"ip -o -4 addr show eth0; ip route show default; grep nameserver /etc/resolv.conf")
	for _, want := range []string{"10.0.2.100/24", "default via 10.0.2.2", "nameserver 10.0.2.3"} {
		if !strings.Contains(out, want) {
			t.Errorf("--network pasta: %q missing from:\n%s", want, out)
		}
	}
	waitFor(t, "pasta gone after run --rm", func() bool { return len(pastaProcs()) == 0 })

	// A published port through pasta, from a detached container (started by
	// the monitor, which must not hand pasta an ignored SIGPIPE).
	port := freePort(t)
	s.mustHull(t, "run", "-d", "--name", "pweb", "--network", "pasta", "-p", fmt.Sprintf("127.0.0.1:%d:80", port),
		"busybox", "sh", "-c", "mkdir /w && echo via-pasta > /w/index.html && exec httpd -f -p 80 -h /w")
	body := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && body == ""; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/index.html", port))
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
		}
	}
	if !strings.Contains(body, "via-pasta") {
		t.Errorf("published port through pasta answered %q", body)
	}
	s.mustHull(t, "rm", "-f", "pweb")
	waitFor(t, "pasta gone after rm -f", func() bool { return len(pastaProcs()) == 0 })

	// kill -9 of a foreground hull takes pasta with it.
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, "run", "--rm", "--network", "pasta", "busybox", "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "pasta running", func() bool { return len(pastaProcs()) > 0 })
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	waitFor(t, "pasta gone after kill -9 of hull", func() bool { return len(pastaProcs()) == 0 })
}

// TestSignalsStartDefault: signals ignored by whoever started hull (nohup,
// a CI runner) are not ignored in the container, foreground or detached.
func TestSignalsStartDefault(t *testing.T) {
	s := withBusybox(t)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, "run", "--rm", "busybox", "grep", "SigIgn", "/proc/self/status")
	cmd.Args = append([]string{"sh", "-c", `trap "" HUP INT PIPE; exec "$0" "$@"`}, cmd.Args...)
	cmd.Path = "/bin/sh"
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run under ignored signals: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != "SigIgn:\t0000000000000000" {
		t.Errorf("foreground container inherited ignored signals: %q", got)
	}
	s.mustHull(t, "run", "-d", "--name", "sig", "busybox", "sleep", "60")
	defer s.hull(t, "rm", "-f", "sig")
	got := strings.TrimSpace(s.mustHull(t, "exec", "sig", "grep", "SigIgn", "/proc/1/status"))
	if got != "SigIgn:\t0000000000000000" {
		t.Errorf("detached container's PID 1 ignores signals: %q", got)
	}
}
