package test

import (
	"slices"
	"strings"
	"testing"
)

// A pod on a named network (pod create --network NAME --network-alias):
// its members share the infra's place on the network, and other
// containers there reach them by the pod's name, its alias and the
// members' names, through the network's DNS; a member that joins after
// the infra started is resolvable too. Another network resolves none of
// them. ps --filter pod= lists the pod's members by its name or id.
func TestPodOnNamedNetwork(t *testing.T) {
	t.Parallel()
	s, rt := namedNetStore(t)
	s.mustHull(t, "network", "create", "--subnet", "10.77.9.0/24", "appnet")
	s.mustHull(t, "network", "create", "--subnet", "10.77.10.0/24", "other")
	podID := strings.TrimSpace(s.mustHull(t, "pod", "create", "--name", "app", "--network", "appnet", "--network-alias", "backend"))
	if nets := strings.TrimSpace(s.mustHull(t, "pod", "ls", "--format", "{{.Name}} {{.Networks}}")); nets != "app appnet" {
		t.Errorf("pod ls networks %q, want %q", nets, "app appnet")
	}
	web := s.runD(t, "--pod", "app", "--name", "web", "busybox", "sh", "-c", webCmd)
	// Joins the running infra: its name is added to the network then.
	side := s.runD(t, "--pod", "app", "--name", "side", "busybox", "sleep", "300")
	other := s.runD(t, "--name", "loner", "busybox", "sleep", "300")

	in := inspectNet(t, s, "appnet")
	ep, ok := in.Containers[podID]
	if !ok || !strings.HasPrefix(ep.IPv4Address, "10.77.9.") {
		t.Fatalf("appnet has no endpoint of the pod's infra: %+v", in)
	}
	podIP := strings.Split(ep.IPv4Address, "/")[0]
	if hosts := s.mustHull(t, "exec", "side", "cat", "/etc/hosts"); !strings.Contains(hosts, podIP) {
		t.Errorf("a member's /etc/hosts lacks the pod's address %s:\n%s", podIP, hosts)
	}

	script := "sleep 0.3"
	for _, name := range []string{"app", "backend", "web"} {
		script += "; " + fetch(name, 80) + " | grep -q hello-web && echo fetched-" + name
	}
	script += "; nslookup side | grep -q " + podIP + " && echo resolved-side"
	out, _, _ := s.hull(t, "run", "--rm", "--network", "appnet", "busybox", "sh", "-c", script)
	for _, want := range []string{"fetched-app", "fetched-backend", "fetched-web", "resolved-side"} {
		if !strings.Contains(out, want) {
			t.Errorf("from appnet: no %s:\n%s", want, out)
		}
	}
	out, _, _ = s.hull(t, "run", "--rm", "--network", "other", "busybox", "sh", "-c", "nslookup app; echo nslookup=$?")
	if !strings.Contains(out, "nslookup=1") {
		t.Errorf("network other resolves the pod's name:\n%s", out)
	}

	// ps --filter pod=, by name and by id prefix; a pod that does not
	// exist selects nothing.
	for _, ref := range []string{"app", podID[:12]} {
		got := lines(s.mustHull(t, "ps", "-q", "--no-trunc", "--filter", "pod="+ref))
		slices.Sort(got)
		want := []string{web, side}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("ps --filter pod=%s: %v, want %v (not %s)", ref, got, want, other)
		}
	}
	if got := s.mustHull(t, "ps", "-aq", "--filter", "pod=nosuchpod"); strings.TrimSpace(got) != "" {
		t.Errorf("ps --filter pod=nosuchpod: %q", got)
	}

	if _, errs, code := s.hull(t, "network", "rm", "appnet"); code != 125 || !strings.Contains(errs, "pod app") {
		t.Errorf("network rm of a pod's network: exit %d, %q", code, errs)
	}
	s.mustHull(t, "rm", "-f", "loner")
	s.mustHull(t, "pod", "rm", "-f", "app")
	waitGone(t, "after pod rm -f", rt)
	s.mustHull(t, "network", "rm", "appnet", "other")
}
