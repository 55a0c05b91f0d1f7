package container

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hull-project/hull/isolation"
)

func TestParseVolumeNamed(t *testing.T) {
	mp, err := ParseVolume("data:/srv/data/:ro")
	want := MountPoint{Type: "volume", Name: "data", Destination: "/srv/data", Driver: "local", Mode: "ro"}
	if err != nil || mp != want {
		t.Fatalf("named: %+v %v", mp, err)
	}
	mp, err = ParseVolume("/cache")
	want = MountPoint{Type: "volume", Destination: "/cache", Driver: "local", RW: true, Anonymous: true}
	if err != nil || mp != want {
		t.Fatalf("anonymous: %+v %v", mp, err)
	}
	for _, bad := range []string{"a/b:/x", ":/x", "..:/x", "v:rel", "v:/"} {
		if _, err := ParseVolume(bad); err == nil {
			t.Errorf("ParseVolume(%q) succeeded", bad)
		}
	}
}

func TestParseMountVolume(t *testing.T) {
	m, err := ParseMount("type=volume,src=v1,dst=/data,readonly,volume-nocopy")
	if err != nil || m != (Mount{Type: "volume", Source: "v1", Target: "/data", ReadOnly: true, NoCopy: true}) {
		t.Fatalf("volume: %+v %v", m, err)
	}
	m, err = ParseMount("target=/anon")
	if err != nil || m != (Mount{Type: "volume", Target: "/anon"}) {
		t.Fatalf("default type: %+v %v", m, err)
	}
}

// TestNewVolumes: -v, --mount and the image's VOLUMEs become volume mount
// points; an image VOLUME already covered by another mount is left out,
// and each anonymous volume gets a name of its own.
func TestNewVolumes(t *testing.T) {
	img := testImage()
	img.Config.Volumes = map[string]struct{}{"/var/lib/db": {}, "/named": {}, "/tmp/t": {}}
	o := Options{Volumes: []string{"data:/named", "/anon"}, Mounts: []string{"type=volume,dst=/m,volume-nocopy"},
		Tmpfs: []string{"/tmp/t"}}
	c, err := New(o, img, fakeLookup(nil), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	vols := c.Volumes()
	var dsts []string
	names := map[string]bool{}
	for _, v := range vols {
		dsts = append(dsts, v.Destination)
		names[v.Name] = true
		if v.Anonymous != (v.Destination != "/named") {
			t.Errorf("%s: anonymous = %v", v.Destination, v.Anonymous)
		}
	}
	if !reflect.DeepEqual(dsts, []string{"/named", "/anon", "/m", "/var/lib/db"}) {
		t.Fatalf("volume destinations %q", dsts)
	}
	if len(names) != 4 || !names["data"] || !c.UsesVolume("data") || c.UsesVolume("other") {
		t.Fatalf("names %v", names)
	}
	if err := checkVolumesAttached(c.Volumes()); err == nil || !strings.Contains(err.Error(), "is not attached") {
		t.Fatalf("volumes without a directory: %v, want refused", err)
	}
	for i := range c.Mounts {
		c.Mounts[i].Source = "/store/volumes/" + c.Mounts[i].Name + "/_data"
	}
	plan, err := planMounts(c.HostConfig, c.Volumes())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range plan.mounts {
		copyUp := slices.Contains(m.Options, isolation.MountCopyUp)
		if m.Type == "bind" && copyUp == (m.Destination == "/m") {
			t.Errorf("%s: options %q", m.Destination, m.Options)
		}
	}
}
