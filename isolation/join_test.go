package isolation

import (
	"slices"
	"testing"
)

func TestOwnNamespacesAndInitForks(t *testing.T) {
	for _, c := range []struct {
		spec  Spec
		own   []string
		forks bool
	}{
		{Spec{Join: &Join{Namespaces: []string{"pid", "net", "ipc", "uts"}}}, nil, true}, // a pod member
		{Spec{Join: &Join{Namespaces: []string{"pid"}}}, []string{"net", "ipc", "uts"}, true},
		{Spec{Join: &Join{Namespaces: []string{"ipc"}}}, []string{"pid", "net", "uts"}, true},
		{Spec{Join: &Join{Namespaces: []string{"net"}}, HostPID: true, HostUTS: true}, []string{"ipc"}, false},
		{Spec{Join: &Join{Namespaces: []string{"uts"}}, HostPID: true, HostNetwork: true, HostIPC: true}, nil, false},
	} {
		if got := ownNamespaces(&c.spec); !slices.Equal(got, c.own) {
			t.Errorf("%+v: own %v, want %v", c.spec.Join, got, c.own)
		}
		if got := initForks(&c.spec); got != c.forks {
			t.Errorf("%+v: forks %v, want %v", c.spec.Join, got, c.forks)
		}
	}
}
