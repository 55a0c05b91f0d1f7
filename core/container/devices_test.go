package container

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hull-project/hull/isolation"
)

func TestParseDeviceOptions(t *testing.T) {
	dc, err := ParseDeviceOptions(DeviceOptions{Devices: []string{"/dev/null:/dev/x:r", "example.com/c=a", "example.com/c=b"},
		GPUs: "2", GroupAdd: []string{"video", "44"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(dc.Devices) != 1 || dc.Devices[0].PathInContainer != "/dev/x" || dc.Devices[0].CgroupPermissions != "r" {
		t.Errorf("devices = %+v", dc.Devices)
	}
	req := deviceRequest(dc)
	if !slices.Equal(req.CDI, []string{"example.com/c=a", "example.com/c=b"}) || req.GPUs == nil || req.GPUs.Count != 2 {
		t.Errorf("request = %+v", req)
	}
	if _, err := ParseDeviceOptions(DeviceOptions{GroupAdd: []string{KeepGroups, "video"}}); err == nil || !strings.Contains(err.Error(), "keep-groups cannot be combined") {
		t.Errorf("keep-groups with another group: %v", err)
	}
	if _, err := ParseDeviceOptions(DeviceOptions{Devices: []string{"relative"}}); err == nil {
		t.Error("a relative device path passed")
	}
}

func TestApplyGroupAdd(t *testing.T) {
	layer := t.TempDir()
	os.MkdirAll(filepath.Join(layer, "etc"), 0o755)
	os.WriteFile(filepath.Join(layer, "etc", "group"), []byte("root:x:0:\nvideo:x:44:\n"), 0o644)
	full := isolation.Mapping{GIDs: []isolation.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 200000, Size: 65536}}}
	spec := &isolation.Spec{Mapping: full, AdditionalGIDs: []int{10}}
	if err := applyGroupAdd(spec, []string{"video", "1234"}, []string{layer}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(spec.AdditionalGIDs, []int{10, 44, 1234}) {
		t.Errorf("gids = %v", spec.AdditionalGIDs)
	}
	if err := applyGroupAdd(spec, []string{"nosuchgroup"}, []string{layer}); err == nil || !strings.Contains(err.Error(), "--group-add nosuchgroup") {
		t.Errorf("unknown group: %v", err)
	}
	single := &isolation.Spec{Mapping: isolation.Mapping{GIDs: []isolation.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}}}
	if err := applyGroupAdd(single, []string{"44"}, []string{layer}); err == nil || !strings.Contains(err.Error(), "not mapped") {
		t.Errorf("unmapped group: %v", err)
	}
	keep := &isolation.Spec{Mapping: full}
	if err := applyGroupAdd(keep, []string{KeepGroups}, []string{layer}); err != nil || !keep.KeepGroups {
		t.Errorf("keep-groups: %v %v", keep.KeepGroups, err)
	}
}
