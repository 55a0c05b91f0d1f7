package core

import (
	"testing"

	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

func TestNetworkMatches(t *testing.T) {
	n := netspec.NetworkConfig{Name: "proj_default", ID: "abcdef", Labels: map[string]string{"com.docker.compose.project": "proj", "x": ""}}
	tests := []struct {
		labels, not []string
		alts        map[string][]string
		want        bool
	}{
		{[]string{"com.docker.compose.project=proj"}, nil, nil, true},
		{[]string{"com.docker.compose.project=proj", "x"}, nil, nil, true},
		{[]string{"com.docker.compose.project=other"}, nil, nil, false},
		{[]string{"x", "y"}, nil, nil, false},
		{nil, []string{"x"}, nil, false},
		{nil, []string{"y"}, nil, true},
		{nil, nil, map[string][]string{"name": {"nope", "default"}}, true},
		{nil, nil, map[string][]string{"id": {"abc"}, "driver": {"bridge"}}, true},
		{nil, nil, map[string][]string{"id": {"bcd"}}, false},
	}
	for i, tt := range tests {
		if got := networkMatches(n, tt.labels, tt.not, tt.alts); got != tt.want {
			t.Errorf("%d: %v %v %v: got %v", i, tt.labels, tt.not, tt.alts, got)
		}
	}
}
