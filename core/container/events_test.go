package container

import (
	"testing"
	"time"

	"github.com/hull-project/hull/core/events"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// A start logs the named networks' connect and the volumes' mount before
// "start"; the exit their disconnect and unmount before "die", as Docker's
// daemon. Bind mounts and the default network log nothing.
func TestStartAndDieEvents(t *testing.T) {
	s, root := openStore(t)
	c := newRecord("ev", time.Now())
	c.Mounts = []MountPoint{{Type: "volume", Name: "vol1", Destination: "/data", RW: true},
		{Type: "bind", Source: "/tmp", Destination: "/host"}}
	if err := c.AddNetwork(NamedNetwork{Config: netspec.NetworkConfig{Name: "net1", ID: "abc", Subnet: "10.89.9.0/24"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Modify(c.ID, func(c *Container) error { c.SetRunning(1, time.Now()); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Modify(c.ID, func(c *Container) error { c.SetExited(2, time.Now(), ""); return nil }); err != nil {
		t.Fatal(err)
	}
	evs, _, err := events.Read(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Type+" "+e.Action+" "+e.Actor.ID[:min(3, len(e.Actor.ID))]+" "+e.Actor.Attributes["destination"])
	}
	want := []string{"container create " + c.ID[:3] + " ", "network connect abc ", "volume mount vol /data", "container start " + c.ID[:3] + " ",
		"network disconnect abc ", "volume unmount vol ", "container die " + c.ID[:3] + " "}
	if len(got) != len(want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %q, want %q", got, want)
		}
	}
	if a := evs[1].Actor.Attributes; a["container"] != c.ID || a["name"] != "net1" || a["type"] != "bridge" {
		t.Errorf("connect's attributes: %v", a)
	}
	if a := evs[2].Actor.Attributes; a["container"] != c.ID || a["read/write"] != "true" || a["driver"] != "local" {
		t.Errorf("mount's attributes: %v", a)
	}
}
