package core

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"

	"github.com/hull-project/hull/isolation"
)

func TestMapTarIDsToContainer(t *testing.T) {
	m := isolation.Mapping{
		UIDs: []isolation.IDMap{{ContainerID: 0, HostID: 1003, Size: 1}, {ContainerID: 1, HostID: 200000, Size: 65536}},
		GIDs: []isolation.IDMap{{ContainerID: 0, HostID: 1004, Size: 1}, {ContainerID: 1, HostID: 300000, Size: 65536}},
	}
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	entries := []struct {
		name             string
		uid, gid         int
		wantUID, wantGID int
	}{
		{"root", 1003, 1004, 0, 0},
		{"app", 201233, 301233, 1234, 1234},
		{"stranger", 5000, 5000, overflowID, overflowID},
	}
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: tar.TypeReg, Size: 4, Mode: 0o644, Uid: e.uid, Gid: e.gid}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte("data"))
	}
	tw.Close()
	var out bytes.Buffer
	if err := mapTarIDs(&in, &out, m); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&out)
	for _, e := range entries {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if hdr.Name != e.name || hdr.Uid != e.wantUID || hdr.Gid != e.wantGID || string(body) != "data" {
			t.Errorf("%s: %d:%d %q, want %d:%d", hdr.Name, hdr.Uid, hdr.Gid, body, e.wantUID, e.wantGID)
		}
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("extra entries: %v", err)
	}
}
