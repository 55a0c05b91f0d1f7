package ecs

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

var busybox = ocispec.ImageConfig{Env: []string{"PATH=/bin"}, Cmd: []string{"sh"}}

func record(t *testing.T, o container.Options, labels map[string]string) *container.Container {
	t.Helper()
	c, err := container.New(o, container.ImageRef{Name: "busybox", ID: "sha256:1", Config: busybox},
		func(string) (string, bool) { return "", false }, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c.Config.Labels = labels
	return c
}

// registerInput is the SDK's own input of RegisterTaskDefinition (what
// `aws ecs register-task-definition --cli-input-json` fills), so a field
// hull writes that the API lacks fails the strict decode below.
type registerInput = ecs.RegisterTaskDefinitionInput

// strict decodes a task definition into the SDK's input shape, refusing
// any field it does not have.
func strict(t *testing.T, out []byte) *registerInput {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	var in registerInput
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("strict decode into RegisterTaskDefinitionInput: %v\n%s", err, out)
	}
	return &in
}

func TestGenerateComposeProject(t *testing.T) {
	ep := "httpd"
	web := record(t, container.Options{Name: "app-web-1", Entrypoint: &ep, Cmd: []string{"-f"}, Env: []string{"MODE=prod"},
		Volumes: []string{"app_data:/data"}, ReadOnly: true, CapDrop: []string{"MKNOD"},
		Health:       container.HealthOptions{Cmd: "wget -q localhost", Interval: time.Second, Timeout: 90 * time.Second, Retries: 20},
		LimitOptions: container.LimitOptions{Memory: "100m", CPUs: "0.5"}},
		map[string]string{DependsOnLabel: "db:service_healthy:false,cache:service_started:false,gone:service_started:false"})
	db := record(t, container.Options{Name: "app-db-1", Cmd: []string{"sleep", "1d"}}, nil)
	cache := record(t, container.Options{Name: "app-cache-1"}, nil)
	out, warnings, err := Generate("app", []Member{
		{Name: "web", Container: web, Image: "registry.example/web:1", ImageConfig: busybox,
			Ports: []netspec.PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}},
		{Name: "db", Container: db, Image: "docker.io/library/busybox:latest", ImageConfig: busybox},
		{Name: "cache", Container: cache, Image: "docker.io/library/busybox:latest", ImageConfig: busybox},
	})
	if err != nil {
		t.Fatal(err)
	}
	in := strict(t, out)
	if *in.Family != "app" || len(in.ContainerDefinitions) != 3 || string(in.NetworkMode) != "awsvpc" {
		t.Fatalf("task: %s", out)
	}
	w := in.ContainerDefinitions[0]
	if *w.Name != "web" || *w.Image != "registry.example/web:1" || strings.Join(w.EntryPoint, " ") != "httpd" ||
		strings.Join(w.Command, " ") != "-f" || !*w.Essential || *w.Memory != 100 || w.Cpu != 512 || !*w.ReadonlyRootFilesystem {
		t.Errorf("web: %s", out)
	}
	if len(w.Environment) != 1 || *w.Environment[0].Name != "MODE" {
		t.Errorf("env: %s", out)
	}
	if len(w.PortMappings) != 1 || *w.PortMappings[0].ContainerPort != 80 || w.PortMappings[0].HostPort != nil {
		t.Errorf("ports: %s", out)
	}
	hc := w.HealthCheck
	if hc == nil || strings.Join(hc.Command, "|") != "CMD-SHELL|wget -q localhost" || *hc.Interval != 5 || *hc.Timeout != 60 || *hc.Retries != 10 {
		t.Errorf("health check (clamped to ECS's ranges): %s", out)
	}
	if len(w.DependsOn) != 2 || *w.DependsOn[0].ContainerName != "cache" || string(w.DependsOn[0].Condition) != "START" ||
		*w.DependsOn[1].ContainerName != "db" || string(w.DependsOn[1].Condition) != "HEALTHY" {
		t.Errorf("dependsOn: %s", out)
	}
	if len(w.MountPoints) != 1 || *w.MountPoints[0].SourceVolume != "app_data" || len(in.Volumes) != 1 ||
		in.Volumes[0].DockerVolumeConfiguration == nil || !*in.Volumes[0].DockerVolumeConfiguration.Autoprovision {
		t.Errorf("volumes: %s", out)
	}
	if w.LinuxParameters == nil || strings.Join(w.LinuxParameters.Capabilities.Drop, ",") != "MKNOD" {
		t.Errorf("capabilities: %s", out)
	}
	if w.LogConfiguration != nil {
		t.Errorf("logConfiguration is the user's: %s", out)
	}
	if d := in.ContainerDefinitions[1]; strings.Join(d.Command, " ") != "sleep 1d" || d.EntryPoint != nil || d.DependsOn != nil {
		t.Errorf("db: %s", out)
	}
	if c := in.ContainerDefinitions[2]; c.Command != nil {
		t.Errorf("cache keeps the image's command: %s", out)
	}
	all := strings.Join(warnings, "\n")
	for _, want := range []string{"gone, which is not in the task", "published on 8080", "no memory limit"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q: %q", want, warnings)
		}
	}
}

func TestStrictDecodeCatchesUnknownFields(t *testing.T) {
	// The check the tests rely on must be able to fail.
	dec := json.NewDecoder(strings.NewReader(`{"family":"x","containerDefinitions":[{"name":"a","imagee":"b"}]}`))
	dec.DisallowUnknownFields()
	var in registerInput
	if err := dec.Decode(&in); err == nil {
		t.Fatal("an unknown field decoded")
	}
}

func TestGenerateBindAndAnonymous(t *testing.T) {
	dir := t.TempDir()
	c := record(t, container.Options{Name: "one", Volumes: []string{dir + ":/cfg:ro", "/scratch"}}, nil)
	out, _, err := Generate("one", []Member{{Name: "one", Container: c, Image: "busybox", ImageConfig: busybox}})
	if err != nil {
		t.Fatal(err)
	}
	in := strict(t, out)
	var host, scratch bool
	for _, v := range in.Volumes {
		if v.Host != nil && *v.Host.SourcePath == dir {
			host = true
		}
		if v.Host == nil && v.DockerVolumeConfiguration == nil {
			scratch = true
		}
	}
	if !host || !scratch {
		t.Errorf("volumes: %s", out)
	}
	if _, _, err := Generate("none", nil); err == nil {
		t.Error("a task without containers was written")
	}
}

// A variable kube play took from a Secret is left out with a warning, not
// written as a plain environment value; a bind of hull's own files (a kube
// play Secret's directory in the store) is left out instead of leaking the
// store's host path; a user's bind stays a host volume, with a warning
// (outside review).
func TestGenerateLeavesOutSecretsAndStore(t *testing.T) {
	store, mine := t.TempDir(), t.TempDir()
	secretDir := store + "/kube/app/secret/pw"
	c := record(t, container.Options{Name: "app-a", Env: []string{"PLAIN=visible", "PW=TOPSECRET"},
		Volumes: []string{mine + ":/mine", store + ":/pw:ro"}},
		map[string]string{container.SecretEnvLabel: `{"PW":{"secret":"creds","key":"password"}}`})
	c.Mounts[1].Source = secretDir // as kube play binds it
	out, warnings, err := Generate("app", []Member{{Name: "a", Container: c, Image: "busybox", ImageConfig: busybox, StoreDir: store}})
	if err != nil {
		t.Fatal(err)
	}
	in := strict(t, out)
	if strings.Contains(string(out), "TOPSECRET") || strings.Contains(string(out), store) {
		t.Errorf("a secret value or the store's path is in the task:\n%s", out)
	}
	if !strings.Contains(string(out), `"value": "visible"`) || !strings.Contains(string(out), mine) || len(in.Volumes) != 1 {
		t.Errorf("the plain variable or the user's bind is missing:\n%s", out)
	}
	joined := strings.Join(warnings, "\n")
	for _, want := range []string{"variable PW (from Secret creds) is left out", "/pw is left out", "bind mount " + mine + " becomes a host volume"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q: want %q", warnings, want)
		}
	}
}
