//go:build !appsbin

package device

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tags.cncf.io/container-device-interface/pkg/cdi"

	"github.com/hull-project/hull/isolation"
)

// The default spec directories hull names without the library are the
// library's.
func TestSystemSpecDirsAreTheLibrarys(t *testing.T) {
	if !slices.Equal(systemSpecDirs, cdi.DefaultSpecDirs) {
		t.Errorf("systemSpecDirs = %v, the CDI library's are %v", systemSpecDirs, cdi.DefaultSpecDirs)
	}
}

// writeSpec writes a CDI spec into a fresh directory and returns it.
func writeSpec(t *testing.T, spec string) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "test.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestResolveCDI(t *testing.T) {
	lib := t.TempDir()
	os.WriteFile(filepath.Join(lib, "libfake.so.1"), []byte("lib"), 0o644)
	dir := writeSpec(t, `cdiVersion: "0.7.0"
kind: example.com/dev
containerEdits:
  env: ["FROM_SPEC=1"]
devices:
- name: one
  containerEdits:
    deviceNodes:
    - path: /dev/fake-one
      hostPath: /dev/null
    mounts:
    - hostPath: `+lib+`
      containerPath: /opt/fake/lib
      options: [nosuid, bind]
    - hostPath: `+lib+`/libfake.so.1
      containerPath: /opt/fake/lib2/libfake.so.1
      options: [rw, bind]
    env: ["FAKE_DEVICE=one"]
    additionalGids: [44]
- name: two
  containerEdits:
    deviceNodes:
    - path: /dev/fake-two
      hostPath: /dev/zero
    hooks:
    - hookName: createContainer
      path: /usr/bin/fake-hook
      args: [fake-hook, update-ldcache]
`)
	plan, err := Resolve(Request{CDI: []string{"example.com/dev=one"}, SpecDirs: []string{dir}}, Host{})
	if err != nil {
		t.Fatal(err)
	}
	want := []isolation.Mount{
		{Type: "bind", Source: "/dev/null", Destination: "/dev/fake-one"},
		{Type: "bind", Source: lib, Destination: "/opt/fake/lib", Options: []string{"ro"}},
		{Type: "bind", Source: lib + "/libfake.so.1", Destination: "/opt/fake/lib2/libfake.so.1"},
	}
	if len(plan.Mounts) != len(want) {
		t.Fatalf("mounts = %+v, want %+v", plan.Mounts, want)
	}
	for i := range want {
		if plan.Mounts[i].Source != want[i].Source || plan.Mounts[i].Destination != want[i].Destination ||
			!slices.Equal(plan.Mounts[i].Options, want[i].Options) {
			t.Errorf("mount %d = %+v, want %+v", i, plan.Mounts[i], want[i])
		}
	}
	if !slices.Equal(plan.Env, []string{"FROM_SPEC=1", "FAKE_DEVICE=one"}) || !slices.Equal(plan.GIDs, []int{44}) {
		t.Errorf("env %v gids %v", plan.Env, plan.GIDs)
	}
	if !slices.Equal(plan.LibraryDirs, []string{"/opt/fake/lib2"}) {
		t.Errorf("library dirs = %v", plan.LibraryDirs)
	}
	if len(plan.Warnings) != 0 {
		t.Errorf("warnings = %v", plan.Warnings)
	}

	plan, err = Resolve(Request{CDI: []string{"example.com/dev=all"}, SpecDirs: []string{dir}}, Host{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "example.com/dev=two") ||
		!strings.Contains(plan.Warnings[0], "createContainer hook /usr/bin/fake-hook update-ldcache not run") {
		t.Errorf("hook warnings = %v", plan.Warnings)
	}
	if len(plan.Mounts) != 4 {
		t.Errorf("=all mounts = %+v", plan.Mounts)
	}

	_, err = Resolve(Request{CDI: []string{"example.com/dev=three"}, SpecDirs: []string{dir}}, Host{})
	if err == nil || !strings.Contains(err.Error(), "CDI device example.com/dev=three: unknown") {
		t.Errorf("unknown device: %v", err)
	}
}

func TestResolveCDIMissingNode(t *testing.T) {
	dir := writeSpec(t, `cdiVersion: "0.7.0"
kind: example.com/dev
devices:
- name: gone
  containerEdits:
    deviceNodes:
    - path: /dev/fake
      hostPath: /dev/hull-no-such-node
`)
	_, err := Resolve(Request{CDI: []string{"example.com/dev=gone"}, SpecDirs: []string{dir}}, Host{})
	if err == nil || !strings.Contains(err.Error(), "/dev/hull-no-such-node: no such device") {
		t.Errorf("err = %v", err)
	}
}

func TestGPUsThroughCDI(t *testing.T) {
	dir := writeSpec(t, `cdiVersion: "0.7.0"
kind: nvidia.com/gpu
devices:
- name: "0"
  containerEdits:
    deviceNodes: [{path: /dev/nvidia0, hostPath: /dev/null}]
- name: "1"
  containerEdits:
    deviceNodes: [{path: /dev/nvidia1, hostPath: /dev/zero}]
- name: all
  containerEdits:
    deviceNodes: [{path: /dev/nvidia0, hostPath: /dev/null}, {path: /dev/nvidia1, hostPath: /dev/zero}]
`)
	// The fake host has no GPU: only the spec can serve the request.
	h := Host{Root: t.TempDir(), LDCache: func() ([]byte, error) { return nil, nil }}
	plan, err := Resolve(Request{GPUs: &GPURequest{Count: 1}, SpecDirs: []string{dir}}, h)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Mounts) != 1 || plan.Mounts[0].Destination != "/dev/nvidia0" {
		t.Errorf("--gpus 1 through CDI: %+v", plan.Mounts)
	}
	plan, err = Resolve(Request{GPUs: &GPURequest{Count: -1}, SpecDirs: []string{dir}}, h)
	if err != nil || len(plan.Mounts) != 2 {
		t.Errorf("--gpus all through CDI: %+v %v", plan, err)
	}
}

func TestResolveGPUsByDiscovery(t *testing.T) {
	h := fakeGPUHost(t)
	empty := t.TempDir() // no CDI spec: discovery
	plan, err := Resolve(Request{GPUs: &GPURequest{Count: 1}, SpecDirs: []string{empty}}, h)
	if err != nil {
		t.Fatal(err)
	}
	dst := map[string]isolation.Mount{}
	for _, m := range plan.Mounts {
		dst[m.Destination] = m
	}
	for _, want := range []string{"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia0", "/usr/local/nvidia/lib64/libcuda.so.1",
		"/usr/local/nvidia/lib64/libnvidia-ml.so.1", "/usr/local/nvidia/bin/nvidia-smi"} {
		if _, ok := dst[want]; !ok {
			t.Errorf("no mount at %s: %+v", want, plan.Mounts)
		}
	}
	if _, ok := dst["/dev/nvidia1"]; ok {
		t.Error("--gpus 1 gave the second GPU too")
	}
	if m := dst["/usr/local/nvidia/lib64/libcuda.so.1"]; !slices.Contains(m.Options, "ro") ||
		m.Source != filepath.Join(h.Root, "/usr/local/nvidia/lib64/libcuda.so.550.1") {
		t.Errorf("libcuda.so.1 mount = %+v, want read-only from the link's target", m)
	}
	spec := &isolation.Spec{Env: []string{"PATH=/usr/bin", "LD_LIBRARY_PATH=/usr/local/nvidia/lib64"}}
	plan.Apply(spec)
	if !slices.Contains(spec.Env, "NVIDIA_VISIBLE_DEVICES=0") || !slices.Contains(spec.Env, "PATH=/usr/bin:/usr/local/nvidia/bin") ||
		!slices.Contains(spec.Env, "LD_LIBRARY_PATH=/usr/local/nvidia/lib64") {
		t.Errorf("env = %v", spec.Env)
	}
	if _, err := Resolve(Request{GPUs: &GPURequest{DeviceIDs: []string{"GPU-1234"}}, SpecDirs: []string{empty}}, h); err == nil || !strings.Contains(err.Error(), "CDI") {
		t.Errorf("UUID without CDI: %v", err)
	}
	if _, err := Resolve(Request{GPUs: &GPURequest{Count: 3}, SpecDirs: []string{empty}}, h); err == nil {
		t.Error("--gpus 3 on two GPUs passed")
	}
}

func TestResolveGPUsWithoutNVIDIA(t *testing.T) {
	h := Host{Root: t.TempDir(), LDCache: func() ([]byte, error) { return nil, nil }}
	_, err := Resolve(Request{GPUs: &GPURequest{Count: -1}, SpecDirs: []string{t.TempDir()}}, h)
	if err == nil || !strings.Contains(err.Error(), "no NVIDIA GPU on this host") || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %v, want one line saying there is no GPU", err)
	}
}
