//go:build apps

package core

import (
	"testing"

	"github.com/hull-project/hull/core/image"
)

func TestImageReference(t *testing.T) {
	for _, tc := range []struct {
		name, given string
		names       []string
		want        string
		pushed      bool
	}{
		{"pulled, by its tag", "busybox", []string{"docker.io/library/busybox:latest", "docker.io/library/busybox@sha256:" + hex64}, "docker.io/library/busybox:latest", true},
		{"pushed under another name", "busybox", []string{"docker.io/library/busybox:latest", "reg.example/b:v1", "reg.example/b@sha256:" + hex64}, "docker.io/library/busybox:latest", true},
		{"imported only", "busybox", []string{"docker.io/library/busybox:latest"}, "docker.io/library/busybox:latest", false},
		{"run by id", "0123abcd", []string{"reg.example/b:v1", "reg.example/b@sha256:" + hex64}, "reg.example/b:v1", true},
		{"only a digest", "0123abcd", []string{"reg.example/b@sha256:" + hex64}, "reg.example/b@sha256:" + hex64, true},
		{"no name at all", "0123abcd", nil, "sha256:0123abcd", false},
	} {
		got, pushed := imageReference(tc.given, &image.Image{ID: "sha256:0123abcd", Names: tc.names})
		if got != tc.want || pushed != tc.pushed {
			t.Errorf("%s: imageReference = %q, %v; want %q, %v", tc.name, got, pushed, tc.want, tc.pushed)
		}
	}
}

const hex64 = "0000000000000000000000000000000000000000000000000000000000000001"
