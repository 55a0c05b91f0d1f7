package test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestContainerLabels: run/create -l/--label and --label-file land in
// Config.Labels over the image's, and ps --filter label= selects on them
// (several label filters must all hold).
func TestContainerLabels(t *testing.T) {
	s := withBusybox(t)
	dir := t.TempDir()
	lf := filepath.Join(dir, "labels")
	if err := os.WriteFile(lf, []byte("# team labels\nteam=blue\nbare\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.mustHull(t, "create", "--name", "l1", "-l", "app=web", "--label", "tier=front", "--label-file", lf, "busybox", "true")
	s.mustHull(t, "create", "--name", "l2", "-l", "app=web", "busybox", "true")
	s.mustHull(t, "create", "--name", "l3", "busybox", "true")
	var labels map[string]string
	if err := json.Unmarshal([]byte(s.mustHull(t, "inspect", "--format", "{{json .Config.Labels}}", "l1")), &labels); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"app": "web", "tier": "front", "team": "blue", "bare": ""}
	for k, v := range want {
		if got, ok := labels[k]; !ok || got != v {
			t.Errorf("label %s = %q (present %v), want %q; all: %v", k, got, ok, v, labels)
		}
	}
	ps := func(filters ...string) []string {
		args := []string{"ps", "-a", "--format", "{{.Names}}"}
		for _, f := range filters {
			args = append(args, "--filter", f)
		}
		names := lines(s.mustHull(t, args...))
		sort.Strings(names)
		return names
	}
	if got := strings.Join(ps("label=app=web"), ","); got != "l1,l2" {
		t.Errorf("ps --filter label=app=web: %s, want l1,l2", got)
	}
	if got := strings.Join(ps("label=app", "label=tier=front"), ","); got != "l1" {
		t.Errorf("ps --filter label=app --filter label=tier=front: %s, want l1 (label filters are ANDed)", got)
	}
	if got := ps("label=app=db"); len(got) != 0 {
		t.Errorf("ps --filter label=app=db: %v, want none", got)
	}
	_, stderr, code := s.hull(t, "create", "-l", "=x", "busybox", "true")
	if code != 125 || !strings.Contains(stderr, "invalid label") {
		t.Errorf("create -l =x: exit %d, %q; want 125 and an invalid-label error", code, stderr)
	}
	// Networks and volumes take labels too, and ls filters on them.
	s.mustHull(t, "network", "create", "--label", "proj=a", "na")
	s.mustHull(t, "network", "create", "nb")
	t.Cleanup(func() { s.hull(t, "network", "rm", "na", "nb") })
	if got := strings.TrimSpace(s.mustHull(t, "network", "ls", "-q", "--filter", "label=proj=a")); got != "na" {
		t.Errorf("network ls --filter label=proj=a: %q, want na", got)
	}
	s.mustHull(t, "volume", "create", "--label", "proj=a", "va")
	if got := strings.TrimSpace(s.mustHull(t, "volume", "ls", "-q", "--filter", "label=proj=a")); got != "va" {
		t.Errorf("volume ls --filter label=proj=a: %q, want va", got)
	}
}

const composeApp = `services:
  api:
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo api-says-hi > /www/index.html && echo api-ready && exec httpd -f -p 8080 -h /www"]
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 500ms
      retries: 60
  web:
    build:
      context: ./web
      args:
        GREETING: ${GREETING}
    ports: ["127.0.0.1:%d:80"]
    volumes:
      - data:/data
    labels:
      tier: front
    stop_signal: SIGKILL
    depends_on:
      api:
        condition: service_healthy
volumes:
  data:
`

const composeWebDockerfile = `FROM busybox
ARG GREETING
RUN mkdir -p /www/cgi-bin && printf '#!/bin/sh\necho Content-Type: text/plain\necho\necho %s\nwget -q -O - http://api:8080/\ncat /data/count 2>/dev/null\n' "$GREETING" > /www/cgi-bin/hello && chmod +x /www/cgi-bin/hello
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
`

// TestComposeApp is issue 16's application: web built from a Dockerfile
// calls api by its service name, keeps data in a named volume, and starts
// once api is healthy. up answers through the published port; a second
// up changes nothing; down + up keeps the volume's data; down -v leaves
// no containers, networks, volumes or helper processes.
func TestComposeApp(t *testing.T) {
	s, rt := namedNetStore(t)
	dir := t.TempDir()
	port := freePort(t)
	if err := os.MkdirAll(filepath.Join(dir, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"compose.yaml": fmt.Sprintf(composeApp, port), "web/Dockerfile": composeWebDockerfile,
		".env": "GREETING=hello-from-env\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	compose := func(args ...string) string {
		t.Helper()
		return s.mustHull(t, append([]string{"compose", "-f", filepath.Join(dir, "compose.yaml"), "-p", "capp"}, args...)...)
	}
	helpers := func() []string { return append(helpersUnder(rt), helpersUnder(s.root)...) }
	if h := helpers(); len(h) != 0 {
		t.Fatalf("helpers before up: %v", h)
	}
	compose("up", "-d")
	body := getBody(t, port)
	if !strings.Contains(body, "hello-from-env") || !strings.Contains(body, "api-says-hi") {
		t.Fatalf("web answered %q: want the .env build arg and api's page (fetched by service name)", body)
	}
	ids := func() string {
		return strings.Join(lines(s.mustHull(t, "ps", "-a", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project=capp")), ",")
	}
	first := ids()
	if n := len(strings.Split(first, ",")); n != 2 {
		t.Fatalf("containers of the project: %q, want 2", first)
	}
	var labels map[string]string
	if err := json.Unmarshal([]byte(s.mustHull(t, "inspect", "--format", "{{json .Config.Labels}}", "capp-web-1")), &labels); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"com.docker.compose.project": "capp", "com.docker.compose.service": "web",
		"com.docker.compose.container-number": "1", "com.docker.compose.oneoff": "False", "tier": "front"} {
		if labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, labels[k], v)
		}
	}
	if labels["com.docker.compose.config-hash"] == "" || labels["com.docker.compose.project.config_files"] == "" {
		t.Errorf("config-hash or config_files label missing: %v", labels)
	}
	if out := compose("ps"); !hasRow(out, "capp-api-1") || !strings.Contains(out, "healthy") || !hasRow(out, "capp-web-1") {
		t.Errorf("compose ps:\n%s", out)
	}
	compose("up", "-d")
	if again := ids(); again != first {
		t.Errorf("second up changed the containers: %s -> %s", first, again)
	}
	compose("exec", "-T", "web", "sh", "-c", "echo kept-42 > /data/count")
	compose("down")
	if left := ids(); left != "" {
		t.Errorf("containers after down: %s", left)
	}
	if out := s.mustHull(t, "volume", "ls", "-q"); !strings.Contains(out, "capp_data") {
		t.Errorf("down removed the named volume (only -v may): %q", out)
	}
	compose("up", "-d")
	if body := getBody(t, port); !strings.Contains(body, "kept-42") {
		t.Errorf("after down + up web answered %q: the volume's data is gone", body)
	}
	if logs := compose("logs", "api"); !strings.Contains(logs, "capp-api-1 | api-ready") {
		t.Errorf("compose logs api: want api's line after its container's name:\n%s", logs)
	}
	compose("down", "-v")
	if left := ids(); left != "" {
		t.Errorf("containers after down -v: %s", left)
	}
	if out := strings.TrimSpace(s.mustHull(t, "network", "ls", "-q")); out != "" {
		t.Errorf("networks after down -v: %q", out)
	}
	if out := strings.TrimSpace(s.mustHull(t, "volume", "ls", "-q")); out != "" {
		t.Errorf("volumes after down -v: %q", out)
	}
	var left []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if left = helpers(); len(left) == 0 {
			break
		}
	}
	if len(left) != 0 {
		t.Errorf("helper processes after down -v: %v", left)
	}
}

// TestComposeChanges: a changed service is recreated (new id), the others
// kept; a service removed from the file is an orphan, warned about and
// removed with --remove-orphans; a key hull does not map is a warning
// naming it, a key it refuses fails before anything is created.
func TestComposeChanges(t *testing.T) {
	s := withBusybox(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	write := func(body string) {
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	compose := func(args ...string) (string, string, int) {
		return s.hull(t, append([]string{"compose", "-f", file, "-p", "chg"}, args...)...)
	}
	id := func(name string) string {
		return strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.Id}}", name))
	}
	const base = "services:\n  a:\n    image: busybox\n    command: [sleep, '300']\n    stop_signal: SIGKILL\n  b:\n    image: busybox\n    command: [sleep, '300']\n    stop_signal: SIGKILL\n"
	write(base)
	if _, stderr, code := compose("up", "-d"); code != 0 {
		t.Fatalf("up: %d %s", code, stderr)
	}
	a1, b1 := id("chg-a-1"), id("chg-b-1")
	write(strings.Replace(base, "command: [sleep, '300']\n    stop_signal: SIGKILL\n  b:", "command: [sleep, '301']\n    stop_signal: SIGKILL\n  b:", 1))
	if _, stderr, code := compose("up", "-d"); code != 0 {
		t.Fatalf("up after a change: %d %s", code, stderr)
	}
	if a2, b2 := id("chg-a-1"), id("chg-b-1"); a2 == a1 || b2 != b1 {
		t.Errorf("changed a: id %s -> %s (want new), unchanged b: %s -> %s (want same)", a1[:12], a2[:12], b1[:12], b2[:12])
	}
	write("services:\n  a:\n    image: busybox\n    command: [sleep, '301']\n    stop_signal: SIGKILL\n    blkio_config: {weight: 300}\n")
	_, stderr, code := compose("up", "-d")
	if code != 0 || !strings.Contains(stderr, "chg-b-1") || !strings.Contains(stderr, "orphan") {
		t.Errorf("up without b: exit %d, stderr %q: want an orphan warning naming chg-b-1", code, stderr)
	}
	if !strings.Contains(stderr, "service a: blkio_config") {
		t.Errorf("up with blkio_config: stderr %q, want a warning naming the key", stderr)
	}
	if _, _, code := compose("up", "-d", "--remove-orphans"); code != 0 {
		t.Errorf("up --remove-orphans: exit %d", code)
	}
	if _, _, code := s.hull(t, "inspect", "chg-b-1"); code == 0 {
		t.Error("chg-b-1 is still there after --remove-orphans")
	}
	write("services:\n  p:\n    image: busybox\n    userns_mode: host\n")
	_, stderr, code = compose("up", "-d")
	if code != 125 || !strings.Contains(stderr, "service p: userns_mode") {
		t.Errorf("up with userns_mode: host: exit %d, %q; want 125 naming the key", code, stderr)
	}
	if _, _, code := s.hull(t, "inspect", "chg-p-1"); code == 0 {
		t.Error("a refused file still created chg-p-1")
	}
	if _, _, code := compose("down", "--remove-orphans"); code != 0 {
		t.Errorf("down --remove-orphans: exit %d", code)
	}
}

func getBody(t *testing.T, port int) string {
	t.Helper()
	var last error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/hello", port))
		if err != nil {
			last = err
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			return string(b)
		}
		last = fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	t.Fatalf("no answer on port %d: %v", port, last)
	return ""
}

// TestComposeForeground: up without -d shows each container's log after
// its name and stops the project's containers on Ctrl-C; run --rm runs a
// one-off container of a service and leaves nothing behind.
func TestComposeForeground(t *testing.T) {
	s := withBusybox(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	body := "services:\n  tick:\n    image: busybox\n    command: [sh, -c, 'echo tick-ready; trap \"echo got-term; exit 0\" TERM; while :; do sleep 0.1; done']\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := s.command(ctx, "compose", "-f", file, "-p", "fg", "up")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var seen []string
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if strings.Contains(sc.Text(), "tick-ready") {
			break
		}
	}
	if len(seen) == 0 || !strings.HasPrefix(seen[len(seen)-1], "fg-tick-1") {
		t.Fatalf("foreground up printed %q (stderr %s): want fg-tick-1's line after its name", seen, stderr.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(out)
	if err := cmd.Wait(); err != nil {
		t.Errorf("up after Ctrl-C: %v\nstderr: %s", err, stderr.String())
	}
	if !strings.Contains(string(rest), "fg-tick-1 | got-term") {
		t.Errorf("the container's SIGTERM handler's line is missing after Ctrl-C: %q", rest)
	}
	if st := strings.TrimSpace(s.mustHull(t, "inspect", "--format", "{{.State.Status}}", "fg-tick-1")); st != "exited" {
		t.Errorf("fg-tick-1 is %s after Ctrl-C, want exited", st)
	}
	got := s.mustHull(t, "compose", "-f", file, "-p", "fg", "run", "--rm", "-T", "tick", "echo", "one-off")
	if strings.TrimSpace(got) != "one-off" {
		t.Errorf("compose run --rm printed %q", got)
	}
	if left := lines(s.mustHull(t, "ps", "-a", "-q", "--filter", "label=com.docker.compose.oneoff=True")); len(left) != 0 {
		t.Errorf("run --rm left containers: %v", left)
	}
	s.mustHull(t, "compose", "-f", file, "-p", "fg", "down")
}

// File secrets and configs are mounted read-only where docker compose puts
// them; a write from the container leaves the host file as it was.
func TestComposeSecrets(t *testing.T) {
	s := withBusybox(t)
	dir := t.TempDir()
	body := `services:
  app:
    image: busybox
    secrets: [pw]
    configs: [{source: conf, target: /etc/app.conf}]
secrets:
  pw: {file: ./pw.txt}
configs:
  conf: {file: ./app.conf}
`
	for name, data := range map[string]string{"compose.yaml": body, "pw.txt": "s3cret\n", "app.conf": "level=2\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "compose.yaml")
	got := s.mustHull(t, "compose", "-f", file, "-p", "sec", "run", "--rm", "-T", "app", "sh", "-c", "cat /run/secrets/pw /etc/app.conf; echo pwned > /run/secrets/pw && echo wrote; true")
	if got != "s3cret\nlevel=2\n" {
		t.Errorf("secret and config in the container: %q, want their files' contents and no write", got)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "pw.txt")); err != nil || string(b) != "s3cret\n" {
		t.Errorf("host secret file after a write from the container: %q, %v", b, err)
	}
	s.mustHull(t, "compose", "-f", file, "-p", "sec", "down")

	// Hostile: the secret's file sits in a directory the service mounts
	// writable; the container swaps it for a symlink to a canary of the
	// user. Its next start must not bind the canary.
	canary := filepath.Join(t.TempDir(), "canary")
	if err := os.WriteFile(canary, []byte("HOST-CANARY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "s.txt"), []byte("orig-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	swap := `services:
  app:
    image: busybox
    volumes: [./data:/data]
    secrets: [s]
    command: [sh, -c, "cat /run/secrets/s; rm /data/s.txt; ln -s ` + canary + ` /data/s.txt"]
secrets:
  s: {file: ./data/s.txt}
`
	if err := os.WriteFile(file, []byte(swap), 0o600); err != nil {
		t.Fatal(err)
	}
	s.mustHull(t, "compose", "-f", file, "-p", "swap", "up", "-d")
	s.mustHull(t, "wait", "swap-app-1")
	s.hull(t, "start", "swap-app-1")
	s.hull(t, "wait", "swap-app-1")
	if logs, _, _ := s.hull(t, "logs", "swap-app-1"); strings.Contains(logs, "HOST-CANARY") || !strings.Contains(logs, "orig-secret") {
		t.Errorf("after the container swapped its secret for a symlink, its logs show %q", logs)
	}
	s.hull(t, "compose", "-f", file, "-p", "swap", "down")
}

// A sidecar that joins a service's network and pid namespaces
// (network_mode/pid: service:NAME) starts after it, reaches its port on
// localhost and sees its processes.
func TestComposeNamespaceJoins(t *testing.T) {
	s := withBusybox(t)
	dir := t.TempDir()
	body := `services:
  side:
    image: busybox
    network_mode: service:web
    pid: service:web
    command: [sleep, "300"]
  web:
    image: busybox
    command: [sh, -c, "mkdir -p /w && echo hi-web > /w/index.html && exec httpd -f -p 8080 -h /w"]
`
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	s.mustHull(t, "compose", "-f", file, "-p", "nsj", "up", "-d")
	defer s.hull(t, "compose", "-f", file, "-p", "nsj", "down")
	got := s.mustHull(t, "exec", "nsj-side-1", "sh", "-c", "ps -o comm; for i in $(seq 30); do out=$("+fetch("127.0.0.1", 8080)+") && case \"$out\" in *hi-web*) echo \"$out\"; exit 0;; esac; sleep 0.2; done; exit 1")
	if !strings.Contains(got, "httpd") || !strings.Contains(got, "hi-web") {
		t.Errorf("the sidecar sees %q: want web's httpd among its processes and its page on localhost:8080", got)
	}
}
