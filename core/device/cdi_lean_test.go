//go:build appsbin

package device

import (
	"errors"
	"testing"
)

// In the default hull a CDI device and --gpus are the full hull's to
// resolve (ErrNeedsFullHull, never hull's own GPU discovery behind the
// spec's back); a host device node is resolved here.
func TestLeanResolveNeedsFullHull(t *testing.T) {
	h := Host{Root: t.TempDir(), LDCache: func() ([]byte, error) { return nil, nil }}
	for name, req := range map[string]Request{
		"cdi":  {CDI: []string{"example.com/dev=one"}, SpecDirs: []string{t.TempDir()}},
		"gpus": {GPUs: &GPURequest{Count: -1}, SpecDirs: []string{t.TempDir()}},
	} {
		if !req.UsesCDI() {
			t.Errorf("%s: UsesCDI is false", name)
		}
		if _, err := Resolve(req, h); !errors.Is(err, ErrNeedsFullHull) {
			t.Errorf("%s: Resolve err = %v, want ErrNeedsFullHull", name, err)
		}
	}
	req := Request{Nodes: []Node{{PathOnHost: "/dev/null", PathInContainer: "/dev/null", CgroupPermissions: "rw"}}}
	if req.UsesCDI() {
		t.Error("a device node: UsesCDI is true")
	}
	plan, err := Resolve(req, Host{})
	if err != nil || len(plan.Mounts) != 1 || plan.Mounts[0].Source != "/dev/null" {
		t.Errorf("a device node: plan %+v, err %v", plan, err)
	}
	if in := Discover(h, []string{t.TempDir()}); len(in.CDIErrors) != 1 {
		t.Errorf("Discover's CDI errors = %v, want the full hull's", in.CDIErrors)
	}
}
