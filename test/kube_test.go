package test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const kubeWeb = `apiVersion: v1
kind: ConfigMap
metadata:
  name: site
data:
  index.html: hello-from-kube
  GREETING: hi
---
apiVersion: v1
kind: Pod
metadata:
  name: kweb
  labels:
    app: kweb
spec:
  terminationGracePeriodSeconds: 5
  volumes:
  - name: html
    configMap:
      name: site
      items:
      - key: index.html
        path: index.html
  containers:
  - name: httpd
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    ports:
    - containerPort: 8080
      hostPort: %d
      hostIP: 127.0.0.1
    env:
    - name: GREETING
      valueFrom:
        configMapKeyRef: {name: site, key: GREETING}
    volumeMounts:
    - {name: html, mountPath: /www}
    livenessProbe:
      exec:
        command: ["sh", "-c", "wget -q -O- localhost:8080"]
      periodSeconds: 2
  - name: client
    image: busybox
    command: ["sleep", "3600"]
    envFrom:
    - configMapRef: {name: site}
      prefix: CM_
`

// strictKube decodes every document of a generated file strictly into
// its Kubernetes API type and returns the kinds.
func strictKube(t *testing.T, out string) []string {
	t.Helper()
	var kinds []string
	for _, doc := range strings.Split(out, "\n---\n") {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("generated document: %v\n%s", err, doc)
		}
		var obj any
		switch tm.Kind {
		case "Pod":
			obj = &corev1.Pod{}
		case "Deployment":
			obj = &appsv1.Deployment{}
		case "Service":
			obj = &corev1.Service{}
		case "ConfigMap":
			obj = &corev1.ConfigMap{}
		case "Secret":
			obj = &corev1.Secret{}
		case "PersistentVolumeClaim":
			obj = &corev1.PersistentVolumeClaim{}
		default:
			t.Fatalf("generated kind %q:\n%s", tm.Kind, doc)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("strict decode of a generated %s: %v\n%s", tm.Kind, err, doc)
		}
		kinds = append(kinds, tm.Kind)
	}
	return kinds
}

// kubePodGone checks that nothing of pod id is left: no pod, no
// containers, no processes, no files of kube play.
func kubePodGone(t *testing.T, s *store, id string) {
	t.Helper()
	if out := s.mustHull(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("kube down left containers: %q", out)
	}
	if out := s.mustHull(t, "pod", "ls", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("kube down left pods: %q", out)
	}
	waitNoPodProcs(t, s, id)
	if _, err := os.Stat(filepath.Join(s.root, "kube", "kweb")); !os.IsNotExist(err) {
		t.Errorf("kube down left the pod's files: %v", err)
	}
}

func TestKubePlayGenerateDown(t *testing.T) {
	s := withBusybox(t)
	port := freePort(t)
	file := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(file, []byte(fmt.Sprintf(kubeWeb, port)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := s.hull(t, "kube", "play", file)
	if code != 0 || !strings.Contains(out, "Pod:\nkweb\n") {
		t.Fatalf("kube play: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(errs, "field spec.terminationGracePeriodSeconds is not supported") {
		t.Errorf("kube play did not warn about an unsupported field: %q", errs)
	}
	id := strings.TrimSpace(s.mustHull(t, "pod", "ls", "-q", "--no-trunc"))
	if names := s.mustHull(t, "ps", "--format", "{{.Names}}"); !hasRow(names, "kweb-httpd") || !hasRow(names, "kweb-client") {
		t.Errorf("containers are not named POD-CONTAINER: %q", names)
	}
	// The two containers talk over the pod's localhost; the ConfigMap is a
	// file in one and variables in both.
	got := s.mustHull(t, "exec", "kweb-client", "sh", "-c",
		`echo "$CM_GREETING"; for i in $(seq 30); do out=$(wget -q -O- http://localhost:8080/index.html) && { echo "$out"; exit 0; }; sleep 0.2; done; exit 1`)
	if got != "hi\nhello-from-kube\n" {
		t.Errorf("the client container got %q", got)
	}
	if got := s.mustHull(t, "exec", "kweb-httpd", "sh", "-c", `echo "$GREETING"; cat /www/index.html; touch /www/x 2>/dev/null && echo writable; true`); got != "hi\nhello-from-kube" && got != "hi\nhello-from-kube\n" {
		t.Errorf("the server container got %q (the ConfigMap is read-only)", got)
	}
	// The hostPort is published on 127.0.0.1.
	var body []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/index.html", port)); err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
	}
	if string(body) != "hello-from-kube" {
		t.Errorf("hostPort %d gave %q", port, body)
	}

	// The busybox image was imported, never pushed: generate refuses it
	// unless told, and says hull push.
	_, errs, code = s.hull(t, "generate", "kube", "kweb")
	if code != 125 || !strings.Contains(errs, "hull push") {
		t.Errorf("generate kube of a local image: exit %d, %q", code, errs)
	}
	oneLineError(t, errs)
	gen, errs, code := s.hull(t, "generate", "kube", "--allow-local", "--service", "kweb")
	if code != 0 || !strings.Contains(errs, "exists only locally") {
		t.Fatalf("generate kube --allow-local: exit %d, %q", code, errs)
	}
	if kinds := strictKube(t, gen); strings.Join(kinds, ",") != "ConfigMap,Pod,Service" {
		t.Errorf("generated kinds %q:\n%s", kinds, gen)
	}
	for _, want := range []string{"hello-from-kube", fmt.Sprintf("hostPort: %d", port), "- httpd", "name: client", "wget -q -O- localhost:8080"} {
		if !strings.Contains(gen, want) {
			t.Errorf("generated manifest lacks %q:\n%s", want, gen)
		}
	}

	// A pod of the file's name that kube play did not make is left alone.
	other := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(other, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: mine}\nspec:\n  containers: [{name: a, image: busybox}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	newPod(t, s, "--name", "mine")
	if _, errs, code := s.hull(t, "kube", "down", other); code != 125 || !strings.Contains(errs, "not made by kube play") {
		t.Errorf("kube down of a pod kube play did not make: exit %d, %q", code, errs)
	}
	s.mustHull(t, "pod", "rm", "mine")

	out = s.mustHull(t, "kube", "down", file)
	if !strings.Contains(out, "kweb") {
		t.Errorf("kube down printed %q", out)
	}
	kubePodGone(t, s, id)

	// Round trip: the generated file plays (from stdin) and generates the
	// same file again.
	out, errs, code = s.hullIn(t, strings.NewReader(gen), "kube", "play", "-")
	if code != 0 {
		t.Fatalf("kube play of the generated file: exit %d\n%s%s\n%s", code, out, errs, gen)
	}
	id = strings.TrimSpace(s.mustHull(t, "pod", "ls", "-q", "--no-trunc"))
	again := s.mustHull(t, "generate", "kube", "--allow-local", "--service", "kweb")
	if again != gen {
		t.Errorf("generate -> play -> generate changed the manifest:\n--- first\n%s\n--- again\n%s", gen, again)
	}
	ecs := s.mustHull(t, "generate", "ecs", "--allow-local", "kweb")
	if !strings.Contains(ecs, `"family": "kweb"`) || !strings.Contains(ecs, `"containerPort": 8080`) {
		t.Errorf("generate ecs:\n%s", ecs)
	}
	s.hullIn(t, strings.NewReader(gen), "kube", "down", "--volumes", "-")
	kubePodGone(t, s, id)
}

func TestKubePlayRefusals(t *testing.T) {
	s := withBusybox(t)
	canary := filepath.Join(t.TempDir(), "canary")
	if err := os.WriteFile(canary, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Symlink(filepath.Dir(canary), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  volumes:\n  - {name: h, hostPath: {path: %s}}\n" +
		"  containers:\n  - name: a\n    image: busybox\n    command: [cat, /h/canary]\n    volumeMounts:\n    - {name: h, mountPath: /h}\n"
	for _, tc := range []struct {
		name, doc, want string
		args            []string
	}{
		{"unknown field", "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - {name: a, image: busybox, imagePullPolicyy: Never}\n",
			`unknown field "spec.containers[0].imagePullPolicyy"`, nil},
		{"hostPath without a root", fmt.Sprintf(pod, filepath.Dir(canary)), "--host-path-root", nil},
		{"hostPath outside the root", fmt.Sprintf(pod, filepath.Dir(canary)), "is not under --host-path-root", []string{"--host-path-root", root}},
		{"hostPath through a symlink", fmt.Sprintf(pod, filepath.Join(root, "link")), "link", []string{"--host-path-root", root}},
		// The first pod starts; the second cannot: the first is removed again.
		{"second pod fails", "apiVersion: v1\nkind: Pod\nmetadata: {name: good}\nspec:\n  volumes: [{name: e, emptyDir: {}}]\n" +
			"  containers:\n  - {name: a, image: busybox, command: [sleep, '300'], volumeMounts: [{name: e, mountPath: /e}]}\n---\n" +
			"apiVersion: v1\nkind: Pod\nmetadata: {name: bad2}\nspec:\n  containers:\n  - {name: a, image: nosuch/image, imagePullPolicy: Never}\n",
			"unable to find image", nil},
		// busybox runs as root: a manifest that forbids it is refused, as the kubelet refuses it.
		{"runAsNonRoot", "apiVersion: v1\nkind: Pod\nmetadata: {name: nonroot}\nspec:\n  securityContext: {runAsNonRoot: true}\n" +
			"  containers:\n  - {name: a, image: busybox, command: [sleep, '300']}\n",
			"container has runAsNonRoot and image will run as root", nil},
		// A Localhost seccomp profile is refused, not replaced by a weaker default.
		{"seccompProfile Localhost", "apiVersion: v1\nkind: Pod\nmetadata: {name: sec}\nspec:\n  securityContext: {seccompProfile: {type: Localhost, localhostProfile: p.json}}\n" +
			"  containers:\n  - {name: a, image: busybox, command: [sleep, '300']}\n",
			"seccompProfile type Localhost is not supported", nil},
	} {
		_, errs, code := s.hullIn(t, strings.NewReader(tc.doc), append(append([]string{"kube", "play"}, tc.args...), "-")...)
		if code != 125 || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d, %q, want %q", tc.name, code, errs, tc.want)
		}
		oneLineError(t, errs)
		if out := s.mustHull(t, "pod", "ls", "-q"); strings.TrimSpace(out) != "" {
			t.Errorf("%s: a refused play left a pod", tc.name)
		}
		if out := s.mustHull(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
			t.Errorf("%s: a refused play left containers", tc.name)
		}
		if out := s.mustHull(t, "volume", "ls", "-q"); strings.TrimSpace(out) != "" {
			t.Errorf("%s: a refused play left volumes: %q", tc.name, out)
		}
	}
}

// An image pushed to a registry is named by its pushed reference without
// --allow-local; a compose project (its containers' labels) becomes one
// workload per service, and one ECS task with dependsOn.
func TestGeneratePushedComposeProject(t *testing.T) {
	reg := startRegistry(t)
	s := withBusybox(t)
	ref := reg + "/hull/kbox:v1"
	s.mustHull(t, "tag", "busybox", ref)
	s.mustHull(t, "push", "-q", ref)
	port := freePort(t)
	s.runD(t, "--name", "app-web-1", "-l", "com.docker.compose.project=app", "-l", "com.docker.compose.service=web",
		"-l", "com.docker.compose.depends_on=db:service_healthy:false", "-p", fmt.Sprintf("127.0.0.1:%d:80", port),
		"--memory", "64m", "--health-cmd", "true", ref, "httpd", "-f", "-p", "80")
	s.runD(t, "--name", "app-db-1", "-l", "com.docker.compose.project=app", "-l", "com.docker.compose.service=db",
		"-v", "appdata:/data", ref, "sleep", "300")
	gen, errs, code := s.hull(t, "generate", "kube", "--service", "--type", "deployment", "app")
	if code != 0 {
		t.Fatalf("generate kube of a pushed image: exit %d, %q", code, errs)
	}
	if kinds := strictKube(t, gen); strings.Join(kinds, ",") != "PersistentVolumeClaim,Deployment,Deployment,Service" {
		t.Errorf("generated kinds %q:\n%s", kinds, gen)
	}
	for _, want := range []string{"image: " + ref, "name: web", "name: db", "claimName: appdata", "memory: 64Mi", fmt.Sprintf("port: %d", port)} {
		if !strings.Contains(gen, want) {
			t.Errorf("generated manifest lacks %q:\n%s", want, gen)
		}
	}
	ecs, errs, code := s.hull(t, "generate", "ecs", "app")
	if code != 0 {
		t.Fatalf("generate ecs: exit %d, %q", code, errs)
	}
	for _, want := range []string{`"family": "app"`, `"containerName": "db"`, `"condition": "HEALTHY"`, `"image": "` + ref + `"`, `"sourceVolume": "appdata"`} {
		if !strings.Contains(ecs, want) {
			t.Errorf("generate ecs lacks %s:\n%s", want, ecs)
		}
	}
	// The project's manifest plays back: one pod per service.
	s.mustHull(t, "rm", "-f", "app-web-1", "app-db-1")
	out, errs, code := s.hullIn(t, strings.NewReader(gen), "kube", "play", "-")
	if code != 0 || !strings.Contains(out, "Pod:\nweb-pod\n") || !strings.Contains(out, "Pod:\ndb-pod\n") {
		t.Fatalf("kube play of the project's manifest: exit %d\n%s%s", code, out, errs)
	}
	if names := s.mustHull(t, "ps", "--format", "{{.Names}}"); !hasRow(names, "web-pod-web") || !hasRow(names, "db-pod-db") {
		t.Errorf("played project: %q", names)
	}
	s.hullIn(t, strings.NewReader(gen), "kube", "down", "-")
	if out := s.mustHull(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("kube down left containers: %q", out)
	}
	if out := s.mustHull(t, "volume", "ls", "-q"); strings.TrimSpace(out) != "appdata" {
		t.Errorf("kube down without --force: volumes %q, want the claim's appdata kept", out)
	}

	_, errs, code = s.hull(t, "generate", "kube", "nosuchthing")
	if code != 125 || !strings.Contains(errs, "no such pod, container or compose project: nosuchthing") {
		t.Errorf("generate kube of nothing: exit %d, %q", code, errs)
	}
}

// hull plays what `podman generate kube` writes. (The other way, podman
// kube play of hull's manifests, needs podman's pause image, which it
// builds from catatonit: not installed on the test machines, and no
// registry to pull one from.)
func TestKubePlaysPodmanGenerateKube(t *testing.T) {
	bin := needPeer(t, "podman")
	s := withBusybox(t)
	s.mustHull(t, "tag", "busybox", "localhost/kbox:v1")
	work := t.TempDir()
	saved := filepath.Join(work, "kbox.tar")
	s.mustHull(t, "save", "-o", saved, "localhost/kbox:v1")
	dir, err := os.MkdirTemp(baseDir, "podman")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeTree(dir) })
	port := freePort(t)
	script := fmt.Sprintf("set -e; P='%s --root %s/root --runroot %s/run --storage-driver vfs --cgroup-manager cgroupfs --events-backend none'; "+
		"$P load -q -i %s >/dev/null; $P create -q --name pc -e GREETING=from-podman -p 127.0.0.1:%d:80 localhost/kbox:v1 sleep 300 >/dev/null; $P generate kube pc",
		bin, dir, dir, saved, port)
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+filepath.Join(dir, "xdg"), "XDG_CONFIG_HOME="+filepath.Join(dir, "cfg"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	gen, err := cmd.Output()
	if err != nil {
		t.Fatalf("podman generate kube: %v\n%s", err, stderr.String())
	}
	out, errs, code := s.hullIn(t, strings.NewReader(string(gen)), "kube", "play", "-")
	if code != 0 || !strings.Contains(out, "Pod:\npc-pod\n") {
		t.Fatalf("kube play of podman's manifest: exit %d\n%s%s\n%s", code, out, errs, gen)
	}
	if got := s.mustHull(t, "exec", "pc-pod-pc", "sh", "-c", "echo $GREETING"); got != "from-podman\n" {
		t.Errorf("the container of podman's manifest has GREETING=%q", got)
	}
	id := strings.TrimSpace(s.mustHull(t, "pod", "ls", "-q", "--no-trunc"))
	if pub := s.mustHull(t, "pod", "inspect", "--format", "{{json .InfraConfig.PortBindings}}", "pc-pod"); !strings.Contains(pub, fmt.Sprint(port)) {
		t.Errorf("the pod does not publish podman's hostPort %d: %s", port, pub)
	}
	s.hullIn(t, strings.NewReader(string(gen)), "kube", "down", "-")
	if out := s.mustHull(t, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("kube down left containers: %q", out)
	}
	waitNoPodProcs(t, s, id)
}

// With --network, the pods of a file share a named network and reach
// each other by their Services' names (and their own).
func TestKubePlayNetworkServices(t *testing.T) {
	s := withBusybox(t)
	s.mustHull(t, "network", "create", "knet")
	doc := `apiVersion: v1
kind: Pod
metadata: {name: kdb, labels: {app: db}}
spec:
  containers:
  - name: srv
    image: busybox
    command: [sh, -c, "mkdir -p /w && echo hello-db > /w/index.html && exec httpd -f -p 8080 -h /w"]
---
apiVersion: v1
kind: Service
metadata: {name: database}
spec:
  selector: {app: db}
  ports: [{port: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: kcli}
spec:
  containers:
  - {name: c, image: busybox, command: [sleep, "300"]}
`
	out, errs, code := s.hullIn(t, strings.NewReader(doc), "kube", "play", "--network", "knet", "-")
	if code != 0 {
		t.Fatalf("kube play --network: exit %d\n%s%s", code, out, errs)
	}
	if strings.Contains(errs, "Services are not played") {
		t.Errorf("kube play --network warned about the Service: %q", errs)
	}
	// The test's busybox wget crashes outside localhost (static glibc):
	// nslookup asks the network's DNS, nc fetches from the address, as
	// the network tests do.
	for _, name := range []string{"database", "kdb"} {
		got := s.mustHull(t, "exec", "kcli-c", "sh", "-c", `for i in $(seq 50); do `+
			`ip=$(nslookup `+name+` 2>/dev/null | awk '/^Name:/ {n=1} n && /^Address/ {print $NF; exit}'); `+
			`[ -n "$ip" ] && out=$(`+fetch("$ip", 8080)+`) && case "$out" in *hello-db*) echo "$out"; exit 0;; esac; sleep 0.2; done; exit 1`)
		if !strings.Contains(got, "hello-db") {
			t.Errorf("%s:8080 from the other pod gave %q", name, got)
		}
	}
	// A Service must not take an existing container's name on the
	// network (the DNS would answer with both): the play is refused.
	hijack := "apiVersion: v1\nkind: Pod\nmetadata: {name: evil, labels: {app: evil}}\nspec:\n  containers:\n  - {name: e, image: busybox, command: [sleep, '300']}\n" +
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: kcli-c}\nspec:\n  selector: {app: evil}\n  ports: [{port: 80}]\n"
	if _, errs, code := s.hullIn(t, strings.NewReader(hijack), "kube", "play", "--network", "knet", "-"); code != 125 || !strings.Contains(errs, "container kcli-c's") {
		t.Errorf("a Service named as a container: exit %d, %q; want 125 naming the container", code, errs)
	}
	if out := s.mustHull(t, "pod", "ls", "--format", "{{.Name}}"); strings.Contains(out, "evil") {
		t.Errorf("a refused play left its pod: %q", out)
	}
	s.hullIn(t, strings.NewReader(doc), "kube", "down", "-")
	if out := s.mustHull(t, "pod", "ls", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("kube down left pods: %q", out)
	}
	s.mustHull(t, "network", "rm", "knet")
}

// What a manifest gives up is honoured as rootless Podman does, never
// silently: procMount: Unmasked unmasks the kernel paths of that container
// only (Podman's unmask=ALL), privileged is --privileged; kube play warns
// about each, naming the container.
func TestKubePlaySecurityWeakenings(t *testing.T) {
	s := withBusybox(t)
	doc := `apiVersion: v1
kind: Pod
metadata: {name: weak}
spec:
  restartPolicy: Never
  containers:
  - {name: m, image: busybox, command: [sleep, '300']}
  - {name: u, image: busybox, command: [sleep, '300'], securityContext: {procMount: Unmasked}}
  - {name: p, image: busybox, command: [sleep, '300'], securityContext: {privileged: true}}
`
	_, errs, code := s.hullIn(t, strings.NewReader(doc), "kube", "play", "-")
	if code != 0 {
		t.Fatalf("kube play: exit %d, %q", code, errs)
	}
	defer s.hullIn(t, strings.NewReader(doc), "kube", "down", "-")
	for _, want := range []string{"container u: securityContext.procMount: Unmasked", "container p: securityContext.privileged"} {
		if !strings.Contains(errs, "hull: warning: pod weak "+want) {
			t.Errorf("kube play's stderr %q: want a warning %q", errs, want)
		}
	}
	if strings.Contains(errs, "container m:") {
		t.Errorf("the default container was warned about: %q", errs)
	}
	masks := "grep -cE ' /proc/(kcore|sys) ' /proc/mounts; true"
	for name, masked := range map[string]bool{"weak-m": true, "weak-u": false, "weak-p": false} {
		got := strings.TrimSpace(s.mustHull(t, "exec", name, "sh", "-c", masks))
		if (got != "0") != masked {
			t.Errorf("%s: %s masked or read-only kernel paths, want masked %v", name, got, masked)
		}
	}
}

// generate writes no secret value a kube play took from a Secret: a
// variable becomes a secretKeyRef (kube) or is left out (ECS), a Secret
// volume refers to its Secret; the ECS task carries no path of hull's
// store (outside review: both were written out).
func TestGenerateWritesNoSecrets(t *testing.T) {
	s := withBusybox(t)
	doc := `apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: TOPSECRET-PW}
---
apiVersion: v1
kind: Pod
metadata: {name: sec}
spec:
  volumes: [{name: pw, secret: {secretName: creds}}]
  containers:
  - name: a
    image: busybox
    command: [sleep, '300']
    env: [{name: PW, valueFrom: {secretKeyRef: {name: creds, key: password}}}]
    volumeMounts: [{name: pw, mountPath: /run/pw}]
`
	if _, errs, code := s.hullIn(t, strings.NewReader(doc), "kube", "play", "-"); code != 0 {
		t.Fatalf("kube play: exit %d, %q", code, errs)
	}
	defer s.hullIn(t, strings.NewReader(doc), "kube", "down", "-")
	if got := s.mustHull(t, "exec", "sec-a", "sh", "-c", "echo $PW; cat /run/pw/password"); got != "TOPSECRET-PW\nTOPSECRET-PW" {
		t.Errorf("the container's secret: %q", got)
	}
	gen, errs, code := s.hull(t, "generate", "kube", "--allow-local", "sec")
	if code != 0 || strings.Contains(gen, "TOPSECRET") || !strings.Contains(gen, "secretKeyRef") || !strings.Contains(errs, "Secret creds is referred to") {
		t.Errorf("generate kube: exit %d, stderr %q\n%s", code, errs, gen)
	}
	ecs, errs, code := s.hull(t, "generate", "ecs", "--allow-local", "sec")
	if code != 0 || strings.Contains(ecs, "TOPSECRET") || strings.Contains(ecs, s.root) || !strings.Contains(errs, "variable PW (from Secret creds) is left out") {
		t.Errorf("generate ecs: exit %d, stderr %q\n%s", code, errs, ecs)
	}
}
