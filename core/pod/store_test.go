package pod

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func newPod(id, name string) *Pod {
	return &Pod{ID: strings.Repeat(id, 64/len(id)), Name: name, Created: time.Now()}
}

func TestStoreCreateLookupRemove(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(newPod("ab", "web")); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(newPod("ac", "web")); !errors.Is(err, ErrNameInUse) {
		t.Errorf("a second pod named web: %v, want ErrNameInUse", err)
	}
	if err := s.Create(newPod("cd", "db")); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]string{"web": "web", "abab": "web", "c": "db"} {
		p, err := s.Lookup(ref)
		if err != nil || p.Name != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", ref, p, err, want)
		}
	}
	if _, err := s.Lookup("zz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup of no pod: %v, want ErrNotFound", err)
	}
	id := newPod("ab", "").ID
	if err := s.Modify(id, func(p *Pod) { p.Infra.Pid = 42 }); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Lookup("web"); p.Infra.Pid != 42 {
		t.Errorf("Modify not stored: %+v", p.Infra)
	}

	release, err := s.HoldInfra(id)
	if err != nil {
		t.Fatal(err)
	}
	if !s.InfraAlive(id) {
		t.Error("InfraAlive is false while the lock is held")
	}
	if _, err := s.HoldInfra(id); !errors.Is(err, ErrRunning) {
		t.Errorf("a second HoldInfra: %v, want ErrRunning", err)
	}
	if err := s.Remove(id); !errors.Is(err, ErrRunning) {
		t.Errorf("Remove of a pod whose infra runs: %v, want ErrRunning", err)
	}
	release()
	if s.InfraAlive(id) {
		t.Error("InfraAlive is true after the release")
	}
	if err := s.Remove(id); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.List(); len(all) != 1 || all[0].Name != "db" {
		t.Errorf("after Remove, List = %v", all)
	}
}
