package child

import (
	"strings"
	"testing"

	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

func TestLimitsEncodeRoundTrip(t *testing.T) {
	in := []isolation.Rlimit{{Type: "nofile", Soft: 64, Hard: 128}, {Type: "RLIMIT_NPROC", Soft: 1, Hard: 1}}
	checked, err := checkRlimits(in)
	if err != nil {
		t.Fatal(err)
	}
	enc := encodeLimits(checked)
	if enc != "nofile=64:128,nproc=1:1" {
		t.Errorf("encoded %q", enc)
	}
	back, err := decodeLimits(enc)
	if err != nil || len(back) != 2 || back[0] != (isolation.Rlimit{Type: "nofile", Soft: 64, Hard: 128}) || back[1].Type != "nproc" {
		t.Errorf("decoded %+v, %v", back, err)
	}
	for _, bad := range []string{"nofile", "nofile=1", "nofile=a:1", "nofile=1:b"} {
		if _, err := decodeLimits(bad); err == nil {
			t.Errorf("decodeLimits(%q) accepted", bad)
		}
	}
}

func TestCheckRlimitsRefuses(t *testing.T) {
	var cur unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &cur); err != nil {
		t.Fatal(err)
	}
	cases := map[string]isolation.Rlimit{
		"unknown rlimit":          {Type: "bogus", Soft: 1, Hard: 1},
		"soft limit above":        {Type: "nofile", Soft: 10, Hard: 5},
		"operation not permitted": {Type: "nofile", Soft: 1, Hard: cur.Max + 1},
	}
	if cur.Max == unix.RLIM_INFINITY {
		delete(cases, "operation not permitted")
	}
	for want, l := range cases {
		if _, err := checkRlimits([]isolation.Rlimit{l}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("checkRlimits(%+v) = %v, want an error with %q", l, err, want)
		}
	}
}
