package cli

import (
	"testing"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/pod"
)

func TestFilterPods(t *testing.T) {
	pods := []*core.PodView{
		{Pod: &pod.Pod{ID: "aaa1", Name: "web", Labels: map[string]string{"tier": "front"}}, Status: "Running"},
		{Pod: &pod.Pod{ID: "bbb2", Name: "db"}, Status: "Exited"},
	}
	for _, c := range []struct {
		filters []string
		want    string
	}{
		{nil, "web,db"},
		{[]string{"name=we"}, "web"},
		{[]string{"id=bb"}, "db"},
		{[]string{"status=running"}, "web"},
		{[]string{"status=running", "status=exited"}, "web,db"},
		{[]string{"label=tier"}, "web"},
		{[]string{"label=tier=back"}, ""},
		{[]string{"name=web", "status=exited"}, ""},
	} {
		got, err := filterPods(pods, c.filters)
		if err != nil {
			t.Fatalf("%v: %v", c.filters, err)
		}
		names := ""
		for i, p := range got {
			if i > 0 {
				names += ","
			}
			names += p.Name
		}
		if names != c.want {
			t.Errorf("filter %v: %q, want %q", c.filters, names, c.want)
		}
	}
	for _, bad := range []string{"name", "color=red"} {
		if _, err := filterPods(pods, []string{bad}); err == nil {
			t.Errorf("filter %q accepted", bad)
		}
	}
}
