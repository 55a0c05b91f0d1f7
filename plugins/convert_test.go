//go:build !appsbin

package plugins

import (
	"testing"

	"github.com/hull-project/hull/plugins/sdk"
	"github.com/hull-project/hull/plugins/sdk/proto"
)

// Every RunMount field of the wire reaches the engine (the plugin's side
// writes them in sdk.TestRunMountToProto).
func TestRunMountFromProto(t *testing.T) {
	p := &proto.RunMount{Type: "ssh", Target: "/a", Source: "s", From: "f", Id: "gh", Sharing: "locked", Mode: "0600",
		ReadOnly: true, Uid: 1, Gid: 2, Size: 3, Required: true}
	got := runRequestFromProto(&proto.RunRequest{Mounts: []*proto.RunMount{p}}).Mounts[0]
	want := sdk.RunMount{Type: "ssh", Target: "/a", Source: "s", From: "f", ID: "gh", Sharing: "locked", Mode: "0600",
		ReadOnly: true, UID: 1, GID: 2, Size: 3, Required: true}
	if got != want {
		t.Errorf("from the wire %+v, want %+v", got, want)
	}
}
