package compose

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hull-project/hull/core"
)

const testFile = `name: demo
services:
  web:
    build:
      context: ./web
      args: {A: "1"}
    ports: ["127.0.0.1:8080:80", "9000/udp"]
    environment:
      GREETING: ${GREETING:-none}
    volumes:
      - data:/data
      - ./conf:/etc/conf:ro
      - type: tmpfs
        target: /cache
        tmpfs: {size: 1048576}
    depends_on:
      api: {condition: service_healthy}
    labels: {tier: front}
    deploy:
      resources:
        limits: {memory: 64m, cpus: "0.5", pids: 100}
    healthcheck:
      test: ["CMD", "wget", "-q", "http://localhost/it's"]
      interval: 2s
      retries: 3
    entrypoint: ["/bin/sh", "-c"]
    command: ["echo hi"]
    init: true
    read_only: true
    cap_drop: [NET_RAW]
    extra_hosts: ["db:10.0.0.5"]
    blkio_config: {weight: 300}
    stop_grace_period: 3s
  api:
    image: busybox
    pid: host
    userns_mode: host
    shm_size: 64m
    expose: ["9090"]
volumes:
  data: {}
`

func loadTest(t *testing.T, body string, env ...string) *Project {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Load(context.Background(), LoadOptions{Files: []string{filepath.Join(dir, "compose.yaml")}, OsEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	return &Project{P: p}
}

func TestUnsupportedKeys(t *testing.T) {
	x := loadTest(t, testFile)
	warnings, errs := Unsupported(x.P)
	if !slices.Contains(warnings, "service web: blkio_config") {
		t.Errorf("warnings %q: want blkio_config named", warnings)
	}
	if !slices.Contains(errs, "service api: userns_mode") {
		t.Errorf("errors %q: want userns_mode named", errs)
	}
	for _, w := range append(warnings, errs...) {
		// Keys hull maps (and compose-go's defaults) are never reported.
		for _, mapped := range []string{"ports", "volumes", "healthcheck", "deploy", "depends_on", "build", "environment", "networks"} {
			if strings.HasPrefix(strings.TrimPrefix(w, "service web: "), mapped) {
				t.Errorf("mapped key reported: %q", w)
			}
		}
	}
	if len(warnings) != 1 || len(errs) != 1 {
		t.Errorf("warnings %q errors %q: want exactly one of each", warnings, errs)
	}
}

func TestRunOptionsMapping(t *testing.T) {
	x := loadTest(t, testFile, "GREETING=hey")
	s := x.P.Services["web"]
	hash, err := ConfigHash(s)
	if err != nil {
		t.Fatal(err)
	}
	o, err := runOptions(x.P, s, 1, hash, false)
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "demo-web-1" || o.Image != "demo-web" || o.Pull != core.PullNever {
		t.Errorf("name %q image %q pull %q", o.Name, o.Image, o.Pull)
	}
	for _, l := range []string{"com.docker.compose.project=demo", "com.docker.compose.service=web",
		"com.docker.compose.container-number=1", "com.docker.compose.oneoff=False", "tier=front",
		"com.docker.compose.config-hash=" + hash, "com.docker.compose.depends_on=api:service_healthy:false"} {
		if !slices.Contains(o.Labels, l) {
			t.Errorf("labels %q: want %s", o.Labels, l)
		}
	}
	if !slices.Equal(o.Publish, []string{"127.0.0.1:8080:80", "9000/udp"}) {
		t.Errorf("publish %q", o.Publish)
	}
	if !slices.Equal(o.Env, []string{"GREETING=hey"}) {
		t.Errorf("env %q", o.Env)
	}
	wantMounts := []string{"type=volume,source=demo_data,target=/data",
		"type=bind,source=" + filepath.Join(x.P.WorkingDir, "conf") + ",target=/etc/conf,readonly",
		"type=tmpfs,tmpfs-size=1048576,target=/cache"}
	if !slices.Equal(o.Mounts, wantMounts) {
		t.Errorf("mounts %q\nwant %q", o.Mounts, wantMounts)
	}
	if st, err := os.Stat(filepath.Join(x.P.WorkingDir, "conf")); err != nil || !st.IsDir() {
		t.Errorf("the short syntax's missing bind source was not made in the project dir: %v", err)
	}
	if o.Memory != "67108864" || o.CPUs != "0.5" || o.PidsLimit != 100 {
		t.Errorf("limits %+v", o.LimitOptions)
	}
	if o.Health.Cmd != `'wget' '-q' 'http://localhost/it'\''s'` || o.Health.Interval != 2*time.Second || o.Health.Retries != 3 {
		t.Errorf("health %+v", o.Health)
	}
	if o.Entrypoint == nil || *o.Entrypoint != "/bin/sh" || !slices.Equal(o.Cmd, []string{"-c", "echo hi"}) {
		t.Errorf("entrypoint %v cmd %q", o.Entrypoint, o.Cmd)
	}
	if !o.Init || !o.ReadOnly || !slices.Equal(o.CapDrop, []string{"NET_RAW"}) || !slices.Equal(o.AddHosts, []string{"db:10.0.0.5"}) {
		t.Errorf("init %v read-only %v cap-drop %q hosts %q", o.Init, o.ReadOnly, o.CapDrop, o.AddHosts)
	}
	if o.StopTimeout == nil || *o.StopTimeout != 3 {
		t.Errorf("stop timeout %v", o.StopTimeout)
	}
	api, err := runOptions(x.P, x.P.Services["api"], 1, "h", false)
	if err != nil {
		t.Fatal(err)
	}
	if api.ShmSize != "67108864" || !slices.Equal(api.Expose, []string{"9090"}) {
		t.Errorf("shm size %q expose %q", api.ShmSize, api.Expose)
	}
	if d := stopTimeout(s, true); d != 3*time.Second {
		t.Errorf("stop timeout %v", d)
	}
}

func TestConfigHash(t *testing.T) {
	x := loadTest(t, testFile)
	s := x.P.Services["web"]
	h1, _ := ConfigHash(s)
	scaled := s
	n := 3
	scaled.Scale = &n
	if h2, _ := ConfigHash(scaled); h2 != h1 {
		t.Error("scale changed the config hash (it must not recreate)")
	}
	s.Command = []string{"echo other"}
	if h3, _ := ConfigHash(s); h3 == h1 {
		t.Error("a changed command kept the config hash")
	}
}

func TestServiceOrder(t *testing.T) {
	x := loadTest(t, "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x}\n  d: {image: x}\n")
	order, err := serviceOrder(x.P, x.P.ServiceNames())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []string{"c", "b", "a", "d"}) {
		t.Errorf("order %q", order)
	}
	if order, _ := serviceOrder(x.P, []string{"a"}); !slices.Equal(order, []string{"c", "b", "a"}) {
		t.Errorf("a with its dependencies: %q", order)
	}
}

func TestBindOutsideRefusedDockerfile(t *testing.T) {
	x := loadTest(t, "services:\n  w:\n    build: {context: ./web, dockerfile: ../../etc/passwd}\n")
	_, err := x.build(context.Background(), x.P.Services["w"])
	if err == nil || !strings.Contains(err.Error(), "outside the build context") {
		t.Errorf("dockerfile outside the context: %v", err)
	}
}

// File secrets and configs are read-only binds at docker compose's paths;
// uid/gid/mode are warned about (a bind cannot honour them), and kinds
// hull cannot mount stop the command.
func TestSecretsAndConfigs(t *testing.T) {
	x := loadTest(t, `name: s
services:
  app:
    image: busybox
    secrets:
      - db_pw
      - source: api_key
        target: keys/api
        mode: 0400
    configs:
      - app_conf
      - source: app_conf
        target: /etc/app.conf
secrets:
  db_pw: {file: ./db_pw.txt}
  api_key: {file: ./api.txt}
configs:
  app_conf: {file: ./app.conf}
`)
	dir := x.P.WorkingDir
	for _, f := range []string{"db_pw.txt", "api.txt", "app.conf"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	o, err := runOptions(x.P, x.P.Services["app"], 1, "h", false)
	if err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		filepath.Join(real, "db_pw.txt") + ":/run/secrets/db_pw:ro,nofollow",
		filepath.Join(real, "api.txt") + ":/run/secrets/keys/api:ro,nofollow",
		filepath.Join(real, "app.conf") + ":/app_conf:ro,nofollow",
		filepath.Join(real, "app.conf") + ":/etc/app.conf:ro,nofollow",
	} {
		if !slices.Contains(o.Volumes, want) {
			t.Errorf("volumes %q: want %s", o.Volumes, want)
		}
	}
	warnings, errs := Unsupported(x.P)
	if len(errs) != 0 || !slices.Contains(warnings, "service app: secrets.mode") {
		t.Errorf("warnings %q errors %q: want secrets.mode warned, no error", warnings, errs)
	}
	os.Remove(filepath.Join(dir, "api.txt"))
	if _, err := runOptions(x.P, x.P.Services["app"], 1, "h", false); err == nil || !strings.Contains(err.Error(), "secret api_key") {
		t.Errorf("missing secret file: %v, want an error naming the secret", err)
	}
	env := loadTest(t, `name: e
services:
  app: {image: busybox, secrets: [tok]}
secrets:
  tok: {environment: TOKEN}
`, "TOKEN=x")
	if _, errs := Unsupported(env.P); !slices.Contains(errs, "secret tok: environment-sourced ones are not supported yet (use file:)") {
		t.Errorf("environment secret: errors %q", errs)
	}
}

// Namespace modes: "service:NAME" joins that service's first container,
// which starts first; host and container:NAME pass as docker run's.
func TestNamespaceModes(t *testing.T) {
	x := loadTest(t, `name: ns
services:
  app:
    image: busybox
    network_mode: service:vpn
    ipc: service:vpn
    pid: host
    uts: host
  vpn:
    image: busybox
    ipc: shareable
  side:
    image: busybox
    pid: container:other
`)
	if _, errs := Unsupported(x.P); len(errs) != 0 {
		t.Fatalf("errors %q", errs)
	}
	o, err := runOptions(x.P, x.P.Services["app"], 1, "h", false)
	if err != nil {
		t.Fatal(err)
	}
	if o.Network != "container:ns-vpn-1" || o.IPC != "container:ns-vpn-1" || o.PID != "host" || o.UTS != "host" {
		t.Errorf("app: network %q ipc %q pid %q uts %q", o.Network, o.IPC, o.PID, o.UTS)
	}
	side, _ := runOptions(x.P, x.P.Services["side"], 1, "h", false)
	if side.PID != "container:other" {
		t.Errorf("side: pid %q", side.PID)
	}
	order, err := serviceOrder(x.P, []string{"app", "side", "vpn"})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Index(order, "vpn") > slices.Index(order, "app") {
		t.Errorf("order %q: vpn must start before app, which joins it", order)
	}
	// compose-go's loader refuses it first; Check refuses it too.
	svc := x.P.Services["side"]
	svc.Pid = "service:nope"
	x.P.Services["side"] = svc
	if _, errs := Unsupported(x.P); len(errs) != 1 || !strings.Contains(errs[0], "service:nope") {
		t.Errorf("a join of a missing service: errors %q", errs)
	}
}
