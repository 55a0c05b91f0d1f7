package kube

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

const webFile = `# a comment before the first document
apiVersion: v1
kind: ConfigMap
metadata:
  name: site
data:
  index.html: hello
  GREETING: hi
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: s3cret
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  restartPolicy: OnFailure
  securityContext:
    runAsUser: 1000
    runAsGroup: 1000
  volumes:
  - name: html
    configMap:
      name: site
      items:
      - key: index.html
        path: sub/index.html
  - name: scratch
    emptyDir: {}
  - name: store
    persistentVolumeClaim:
      claimName: data
  - name: pw
    secret:
      secretName: creds
  containers:
  - name: httpd
    image: busybox
    command: ["httpd", "-f"]
    args: ["-p", "8080"]
    workingDir: /www
    ports:
    - containerPort: 8080
      hostPort: 18080
    env:
    - name: PLAIN
      value: "1"
    - name: FROM_CM
      valueFrom:
        configMapKeyRef: {name: site, key: GREETING}
    - name: FROM_SECRET
      valueFrom:
        secretKeyRef: {name: creds, key: password}
    envFrom:
    - configMapRef: {name: site}
      prefix: CM_
    volumeMounts:
    - {name: html, mountPath: /www}
    - {name: scratch, mountPath: /tmp/s}
    - {name: store, mountPath: /data, readOnly: true}
    - {name: pw, mountPath: /run/pw}
    livenessProbe:
      exec:
        command: ["sh", "-c", "wget -q -O- localhost:8080"]
      periodSeconds: 5
      failureThreshold: 2
    resources:
      limits: {memory: 64Mi, cpu: 500m}
    securityContext:
      readOnlyRootFilesystem: true
      capabilities:
        add: [NET_ADMIN]
        drop: [MKNOD]
  - name: client
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      runAsUser: 0
`

func TestDecodeAndPlan(t *testing.T) {
	m, warnings, err := Decode([]byte(webFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings for supported fields: %q", warnings)
	}
	plan, warnings, err := m.Plan(PlayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("plan warnings: %q", warnings)
	}
	if !slices.Equal(plan.Claims, []string{"data"}) || len(plan.Pods) != 1 {
		t.Fatalf("plan: claims %q, %d pods", plan.Claims, len(plan.Pods))
	}
	pp := plan.Pods[0]
	if pp.Name != "web" || !slices.Equal(pp.Publish, []string{"18080:8080/tcp"}) || !slices.Equal(pp.EmptyDirs, []string{"web-scratch"}) {
		t.Errorf("pod: %+v", pp)
	}
	if !slices.Contains(pp.Labels, "app=web") || !slices.Contains(pp.Labels, LabelKind+"=Pod") {
		t.Errorf("labels %q", pp.Labels)
	}
	if len(pp.FileSets) != 2 || pp.FileSets[0].Files[0].Path != "sub/index.html" || string(pp.FileSets[0].Files[0].Data) != "hello" ||
		!pp.FileSets[1].Secret || string(pp.FileSets[1].Files[0].Data) != "s3cret" {
		t.Errorf("file sets: %+v", pp.FileSets)
	}
	h := pp.Containers[0]
	o := h.Options
	if o.Name != "web-httpd" || *o.Entrypoint != "httpd" || !slices.Equal(o.Cmd, []string{"-f", "-p", "8080"}) || o.Workdir != "/www" {
		t.Errorf("command: %+v", o)
	}
	wantEnv := []string{"CM_GREETING=hi", "CM_index.html=hello", "PLAIN=1", "FROM_CM=hi", "FROM_SECRET=s3cret"}
	if !slices.Equal(o.Env, wantEnv) {
		t.Errorf("env %q, want %q", o.Env, wantEnv)
	}
	if !slices.Equal(o.Volumes, []string{"web-scratch:/tmp/s", "data:/data:ro"}) {
		t.Errorf("volumes %q", o.Volumes)
	}
	if len(h.Files) != 2 || h.Files[0] != (FileMount{Volume: "html", Target: "/www"}) {
		t.Errorf("file mounts %+v", h.Files)
	}
	if o.Health.Cmd != "wget -q -O- localhost:8080" || o.Health.Interval != 5*time.Second || o.Health.Retries != 2 {
		t.Errorf("health %+v", o.Health)
	}
	if o.Memory != "67108864" || o.CPUs != "0.5" || o.User != "1000:1000" || !o.ReadOnly || o.Restart != "on-failure" {
		t.Errorf("limits/security: %+v", o)
	}
	if !slices.Equal(o.CapAdd, []string{"NET_ADMIN"}) || !slices.Equal(o.CapDrop, []string{"MKNOD"}) {
		t.Errorf("caps %q %q", o.CapAdd, o.CapDrop)
	}
	if c := pp.Containers[1].Options; c.Name != "web-client" || c.User != "0:1000" {
		t.Errorf("client: %+v", c)
	}
}

func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"unknown field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x\n    imagee: y\n", `unknown field "spec.containers[0].imagee"`},
		{"unknown kind", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n", "kind batch/v1 Job is not supported"},
		{"no kind", "metadata: {name: j}\n", "no kind"},
		{"no name", "apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n", "metadata.name is empty"},
		{"bad yaml", "apiVersion: v1\nkind: Pod\nspec: [\n", "kube document 1"},
	} {
		_, _, err := Decode([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", tc.name, err)
		}
	}
}

func TestUnsupportedFieldsWarn(t *testing.T) {
	doc := `apiVersion: v1
kind: Pod
metadata:
  name: pp
  creationTimestamp: "2026-12-02T04:10:38Z"
  annotations: {a: b, c: d}
spec:
  nodeName: n1
  initContainers:
  - {name: i, image: x}
  containers:
  - name: a
    image: x
    stdin: true
    resources:
      requests: {memory: 1Mi}
    readinessProbe:
      exec: {command: ["true"]}
      successThreshold: 1
`
	m, warnings, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 7 {
		t.Errorf("want one warning per unsupported field (annotations once, creationTimestamp none): %q", warnings)
	}
	for _, f := range []string{"metadata.annotations", "spec.nodeName", "spec.initContainers[].name", "spec.containers[].stdin",
		"spec.containers[].resources.requests.memory", "spec.containers[].readinessProbe.successThreshold"} {
		found := false
		for _, w := range warnings {
			if strings.Contains(w, "field "+f+" is not supported") {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning for %s in %q", f, warnings)
		}
	}
	if _, _, err := m.Plan(PlayOptions{}); err != nil {
		t.Errorf("plan: %v", err)
	}
}

func TestPlanRefuses(t *testing.T) {
	root := t.TempDir()
	pod := func(vol, mount string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: pp}\nspec:\n  volumes:\n  - " + vol +
			"\n  containers:\n  - name: a\n    image: x\n    volumeMounts:\n    - " + mount + "\n"
	}
	for _, tc := range []struct{ name, doc, root, want string }{
		{"hostPath without root", pod("{name: h, hostPath: {path: /etc}}", "{name: h, mountPath: /h}"), "", "--host-path-root"},
		{"hostPath outside root", pod("{name: h, hostPath: {path: /etc}}", "{name: h, mountPath: /h}"), root, "not under --host-path-root"},
		{"hostPath dotdot", pod("{name: h, hostPath: {path: "+root+"/../etc}}", "{name: h, mountPath: /h}"), root, "not an absolute, clean path"},
		{"hostPath prefix", pod("{name: h, hostPath: {path: "+root+"x}}", "{name: h, mountPath: /h}"), root, "not under"},
		{"configmap path escape", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n---\n" +
			pod("{name: c, configMap: {name: c, items: [{key: k, path: ../../x}]}}", "{name: c, mountPath: /c}"), "", "stays in the volume"},
		{"configmap absolute", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n---\n" +
			pod("{name: c, configMap: {name: c, items: [{key: k, path: /etc/x}]}}", "{name: c, mountPath: /c}"), "", "stays in the volume"},
		{"missing configmap", pod("{name: c, configMap: {name: nope}}", "{name: c, mountPath: /c}"), "", "configmap nope is not in the file"},
		{"subPath", pod("{name: e, emptyDir: {}}", "{name: e, mountPath: /e, subPath: x}"), "", "subPath"},
		{"unknown volume", pod("{name: e, emptyDir: {}}", "{name: f, mountPath: /e}"), "", "no such volume"},
		{"nfs", pod("{name: e, nfs: {server: s, path: /p}}", "{name: e, mountPath: /e}"), "", "only emptyDir"},
	} {
		m, _, err := Decode([]byte(tc.doc))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, _, err = m.Plan(PlayOptions{HostPathRoot: tc.root})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	m, _, err := Decode([]byte(pod("{name: h, hostPath: {path: "+root+"/d}}", "{name: h, mountPath: /h}")))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Plan(PlayOptions{HostPathRoot: root}); err != nil {
		t.Errorf("hostPath under the root: %v", err)
	}
}

func TestDeploymentReplicas(t *testing.T) {
	doc := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: d}}\n" +
		"  template:\n    metadata: {labels: {app: d}}\n    spec:\n      containers:\n      - {name: a, image: x}\n"
	m, _, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	plan, _, err := m.Plan(PlayOptions{Replicas: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Pods) != 2 || plan.Pods[0].Name != "d-pod" || plan.Pods[1].Name != "d-pod-1" || plan.Pods[1].Containers[0].Options.Name != "d-pod-1-a" {
		t.Errorf("pods %+v", plan.Pods)
	}
	plan, _, _ = m.Plan(PlayOptions{})
	if len(plan.Pods) != 1 {
		t.Errorf("default replicas: %d pods", len(plan.Pods))
	}
}

// decodeAll strictly decodes every document of a generated file into its
// API type and returns the kinds.
func decodeAll(t *testing.T, out []byte) []string {
	t.Helper()
	var kinds []string
	for _, doc := range splitDocuments(out) {
		if isEmpty(doc) {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatal(err)
		}
		var obj any
		switch tm.Kind {
		case "Pod":
			obj = &corev1.Pod{}
		case "Deployment":
			obj = &appsv1.Deployment{}
		case "Service":
			obj = &corev1.Service{}
		case "PersistentVolumeClaim":
			obj = &corev1.PersistentVolumeClaim{}
		case "ConfigMap":
			obj = &corev1.ConfigMap{}
		case "Secret":
			obj = &corev1.Secret{}
		default:
			t.Fatalf("generated kind %q:\n%s", tm.Kind, doc)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			t.Fatalf("strict decode of generated %s: %v\n%s", tm.Kind, err, doc)
		}
		kinds = append(kinds, tm.Kind)
	}
	return kinds
}

var busybox = ocispec.ImageConfig{Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, Cmd: []string{"sh"},
	ExposedPorts: map[string]struct{}{"9090/tcp": {}}}

// record makes a container record as run would, from run options.
func record(t *testing.T, o container.Options) *container.Container {
	t.Helper()
	c, err := container.New(o, container.ImageRef{Name: "docker.io/library/busybox:latest", ID: "sha256:1", Config: busybox},
		func(string) (string, bool) { return "", false }, time.Now())
	if err != nil {
		t.Fatalf("container.New(%+v): %v", o, err)
	}
	return c
}

func TestGenerateStrictAndRoundTrip(t *testing.T) {
	ep := "httpd"
	www := t.TempDir()
	web := record(t, container.Options{Name: "web-httpd", Entrypoint: &ep, Cmd: []string{"-f", "-p", "8080"}, Env: []string{"A=1"},
		Volumes: []string{"data:/data", www + ":/www:ro"}, Restart: "always", User: "1000:1000", ReadOnly: true,
		CapAdd: []string{"NET_ADMIN"}, Health: container.HealthOptions{Cmd: "wget -q -O- localhost:8080", Interval: 5 * time.Second, Retries: 2},
		LimitOptions: container.LimitOptions{Memory: "64m", CPUs: "0.5"}})
	side := record(t, container.Options{Name: "web-side", Cmd: []string{"sleep", "3600"}, Restart: "always"})
	ws := []Workload{{Name: "web", Labels: map[string]string{"tier": "front"},
		Ports: []netspec.PortMapping{{HostPort: 18080, ContainerPort: 8080, Protocol: "tcp"}},
		Members: []Member{{Name: "httpd", Container: web, Image: "docker.io/library/busybox:latest", ImageConfig: busybox},
			{Name: "side", Container: side, Image: "docker.io/library/busybox:latest", ImageConfig: busybox}}}}
	for _, typ := range []string{"pod", "deployment"} {
		out, warnings, err := Generate(ws, GenerateOptions{Service: true, Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		kinds := decodeAll(t, out)
		wantKind := "Pod"
		if typ == "deployment" {
			wantKind = "Deployment"
		}
		if !slices.Equal(kinds, []string{"PersistentVolumeClaim", wantKind, "Service"}) {
			t.Errorf("%s: kinds %q\n%s", typ, kinds, out)
		}
		if !strings.Contains(strings.Join(warnings, "\n"), "hostPath") {
			t.Errorf("no hostPath warning: %q", warnings)
		}
	}
	out, _, err := Generate(ws, GenerateOptions{Service: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"image: docker.io/library/busybox:latest", "hostPort: 18080", "claimName: data",
		"memory: 64Mi", "cpu: 500m", "runAsUser: 1000", "- NET_ADMIN", "- wget -q -O- localhost:8080", "periodSeconds: 5",
		"containerPort: 9090", "restartPolicy: Always", "tier: front", "app: web", "port: 18080", "targetPort: 8080"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("generated manifest lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "io.hull") || strings.Contains(string(out), "PATH=") || strings.Contains(string(out), "status:") {
		t.Errorf("generated manifest carries hull's labels or the image's env:\n%s", out)
	}
	// generate -> play -> generate gives the same file back, for Pods and
	// Deployments.
	for _, typ := range []string{"pod", "deployment"} {
		out, _, err := Generate(ws, GenerateOptions{Service: true, Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		again := replay(t, out, filepath.Dir(www), typ)
		if string(again) != string(out) {
			t.Errorf("%s: round trip changed the manifest:\n--- first\n%s\n--- again\n%s", typ, out, again)
		}
	}
}

// replay plays a manifest into records as core would (pods, their ports
// and labels, containers from the run options) and generates it again.
func replay(t *testing.T, out []byte, hostRoot, typ string) []byte {
	t.Helper()
	m, warnings, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		if !strings.Contains(w, "Services are not played") {
			t.Errorf("playing a generated manifest warns: %q", w)
		}
	}
	plan, _, err := m.Plan(PlayOptions{HostPathRoot: hostRoot})
	if err != nil {
		t.Fatal(err)
	}
	var ws []Workload
	for _, pp := range plan.Pods {
		w := Workload{Name: pp.Name, Labels: map[string]string{}}
		for _, l := range pp.Labels {
			k, v, _ := strings.Cut(l, "=")
			w.Labels[k] = v
		}
		for _, p := range pp.Publish {
			pm, err := container.ParsePublish(p)
			if err != nil {
				t.Fatal(err)
			}
			w.Ports = append(w.Ports, pm)
		}
		for _, cp := range pp.Containers {
			c := record(t, cp.Options)
			w.Members = append(w.Members, Member{Name: strings.TrimPrefix(c.Name, pp.Name+"-"), Container: c, Image: cp.Image, ImageConfig: busybox})
		}
		ws = append(ws, w)
	}
	again, _, err := Generate(ws, GenerateOptions{Service: true, Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return again
}

func TestGenerateRefusesBadType(t *testing.T) {
	if _, _, err := Generate(nil, GenerateOptions{Type: "job"}); err == nil || !strings.Contains(err.Error(), "--type") {
		t.Errorf("error %v", err)
	}
}

func TestDNSName(t *testing.T) {
	for in, want := range map[string]string{"web": "web", "My_App.1": "my-app-1", "--x--": "x", "": "x", strings.Repeat("a", 70): strings.Repeat("a", 63)} {
		if got := dnsName(in); got != want {
			t.Errorf("dnsName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Security restrictions of a manifest are honoured, never only warned
// about: runAsNonRoot (pod or container) reaches the create check,
// allowPrivilegeEscalation: false sets no-new-privileges.
func TestSecurityRestrictionsHonoured(t *testing.T) {
	doc := `apiVersion: v1
kind: Pod
metadata: {name: sec}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - name: a
    image: busybox
    securityContext: {allowPrivilegeEscalation: false, runAsUser: 1000}
  - name: b
    image: busybox
    securityContext: {runAsNonRoot: false, privileged: true, seccompProfile: {type: Unconfined}}
`
	m, warnings, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("security fields warned about: %q", warnings)
	}
	plan, _, err := m.Plan(PlayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := plan.Pods[0].Containers[0].Options, plan.Pods[0].Containers[1].Options
	if !a.NonRoot || !slices.Contains(a.SecurityOpt, "no-new-privileges") || a.User != "1000" {
		t.Errorf("container a: NonRoot %v, security-opt %q, user %q", a.NonRoot, a.SecurityOpt, a.User)
	}
	if b.NonRoot || !b.Privileged || !slices.Contains(b.SecurityOpt, "seccomp=unconfined") {
		t.Errorf("container b: NonRoot %v (its own false wins), Privileged %v", b.NonRoot, b.Privileged)
	}
}

// What a manifest gives up is honoured as rootless Podman honours it
// (privileged, procMount: Unmasked as unmask=ALL), each with a warning
// naming the container; a procMount hull does not know is refused
// (outside review: privileged was granted silently, procMount ignored).
func TestSecurityWeakeningsWarned(t *testing.T) {
	doc := `apiVersion: v1
kind: Pod
metadata: {name: weak}
spec:
  containers:
  - name: a
    image: busybox
    securityContext: {privileged: true}
  - name: b
    image: busybox
    securityContext: {procMount: Unmasked}
  - name: c
    image: busybox
    securityContext: {procMount: Default}
`
	m, warnings, err := Decode([]byte(doc))
	if err != nil || len(warnings) != 0 {
		t.Fatalf("decode: %v, warnings %q", err, warnings)
	}
	plan, warnings, err := m.Plan(PlayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := plan.Pods[0].Containers[0].Options, plan.Pods[0].Containers[1].Options, plan.Pods[0].Containers[2].Options
	if !a.Privileged || !slices.Contains(b.SecurityOpt, "unmask=ALL") || len(c.SecurityOpt) != 0 || c.Privileged {
		t.Errorf("a privileged %v, b security-opt %q, c %q %v", a.Privileged, b.SecurityOpt, c.SecurityOpt, c.Privileged)
	}
	joined := strings.Join(warnings, "\n")
	for _, want := range []string{"container a: securityContext.privileged", "container b: securityContext.procMount: Unmasked"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q: want one with %q", warnings, want)
		}
	}
	if strings.Contains(joined, "container c") {
		t.Errorf("procMount Default warned about: %q", warnings)
	}
	m, _, err = Decode([]byte(strings.Replace(doc, "procMount: Unmasked", "procMount: Odd", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Plan(PlayOptions{}); err == nil || !strings.Contains(err.Error(), "procMount Odd is not supported") {
		t.Errorf("an unknown procMount: %v, want refused", err)
	}
}

// A variable kube play took from a Secret is generated as a secretKeyRef
// to it, and a Secret volume refers to its Secret: no secret value is
// written into the manifest (outside review: generate wrote them in
// plain text), and each Secret is named in a warning.
func TestGenerateWritesNoSecretValues(t *testing.T) {
	doc := `apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: TOPSECRET-PW, token: TOPSECRET-TOKEN}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  containers:
  - name: a
    image: busybox
    env:
    - {name: PLAIN, value: visible}
    - name: PW
      valueFrom: {secretKeyRef: {name: creds, key: password}}
    envFrom:
    - secretRef: {name: creds}
      prefix: S_
`
	m, _, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	plan, _, err := m.Plan(PlayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := record(t, plan.Pods[0].Containers[0].Options)
	ws := []Workload{{Name: "app", Members: []Member{{Name: "a", Container: rec, Image: "docker.io/library/busybox:latest", ImageConfig: busybox,
		Files: map[string]*FileVolume{"/nowhere": {Name: "pw", Secret: true, Data: map[string]string{"password": "TOPSECRET-FILE"}}}}}}}
	rec.Mounts = append(rec.Mounts, container.MountPoint{Type: "bind", Source: "/nowhere", Destination: "/run/pw"})
	out, warnings, err := Generate(ws, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	decodeAll(t, out)
	if strings.Contains(string(out), "TOPSECRET") {
		t.Errorf("a secret value is in the manifest:\n%s", out)
	}
	for _, want := range []string{"name: PLAIN\n      value: visible", "name: PW\n      valueFrom:\n        secretKeyRef:\n          key: password\n          name: creds",
		"name: S_token\n      valueFrom:\n        secretKeyRef:\n          key: token\n          name: creds", "secretName: pw"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("manifest lacks %q:\n%s", want, out)
		}
	}
	joined := strings.Join(warnings, "\n")
	if !strings.Contains(joined, "Secret creds is referred to") || !strings.Contains(joined, "Secret pw is referred to") {
		t.Errorf("warnings %q: want each Secret named", warnings)
	}
}
