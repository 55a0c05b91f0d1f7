package container

import (
	"regexp"
	"strconv"
	"testing"
)

func TestNewID(t *testing.T) {
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		id := NewID()
		if !hex64.MatchString(id) {
			t.Fatalf("bad id %q", id)
		}
		if _, err := strconv.ParseUint(id[:12], 10, 64); err == nil {
			t.Fatalf("all-digit short id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestGenerateName(t *testing.T) {
	re := regexp.MustCompile(`^[a-z]+_[a-z]+$`)
	retry := regexp.MustCompile(`^[a-z]+_[a-z]+[0-9]$`)
	for i := 0; i < 200; i++ {
		n := GenerateName(0)
		if !re.MatchString(n) || n == "boring_wozniak" || ValidateName(n) != nil {
			t.Fatalf("bad name %q", n)
		}
		if n := GenerateName(1); !retry.MatchString(n) {
			t.Fatalf("bad retry name %q", n)
		}
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"web", "a1", "my_app.v2-x"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a", "_x", "-x", "a/b", "a b", "é"} {
		if ValidateName(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
