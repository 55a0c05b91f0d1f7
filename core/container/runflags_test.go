package container

import (
	"strings"
	"testing"
)

func TestParseSysctl(t *testing.T) {
	for _, c := range []struct {
		in, mode string
		pod      bool
		ok       bool
	}{
		{"net.ipv4.ip_forward=1", NetworkBridge, false, true},
		{"net.ipv4.ip_forward=1", NetworkHost, false, false},
		{"net.ipv4.ip_forward=1", NetworkBridge, true, false},
		{"kernel.shmmax=1", NetworkHost, false, true},
		{"kernel.msgmax=1", NetworkBridge, false, true},
		{"kernel.sem=1 2 3 4", NetworkBridge, false, true},
		{"fs.mqueue.msg_max=20", NetworkBridge, false, true},
		{"kernel.shmmax=1", NetworkBridge, true, false},
		{"kernel.hostname=x", NetworkBridge, false, false},
		{"vm.swappiness=1", NetworkBridge, false, false},
		{"net.ipv4.ip_forward", NetworkBridge, false, false},
		{"net.../..=1", NetworkBridge, false, false},
		{"net.ipv4/../../x=1", NetworkBridge, false, false},
		{"net.core.x=a\nb", NetworkBridge, false, false},
	} {
		_, _, err := ParseSysctl(c.in, c.mode, c.pod)
		if (err == nil) != c.ok {
			t.Errorf("ParseSysctl(%q, %s, pod %v): %v, want ok %v", c.in, c.mode, c.pod, err, c.ok)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseSysctl(%q): error of more than one line: %q", c.in, err)
		}
	}
}

func TestMergeExposed(t *testing.T) {
	got, err := mergeExposed(map[string]struct{}{"80/tcp": {}}, []string{"90", "53/udp", "7000-7002"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"80/tcp", "90/tcp", "53/udp", "7000/tcp", "7001/tcp", "7002/tcp"} {
		if _, ok := got[k]; !ok {
			t.Errorf("missing %s in %v", k, got)
		}
	}
	if len(got) != 6 {
		t.Errorf("got %v", got)
	}
	for _, bad := range []string{"0", "70000", "9-8", "80/icmp", "x"} {
		if _, err := mergeExposed(nil, []string{bad}); err == nil {
			t.Errorf("--expose %s accepted", bad)
		}
	}
}

func TestLogging(t *testing.T) {
	var hc HostConfig
	if err := hc.setLogging("", []string{"max-size=1m", "max-file=3"}); err != nil {
		t.Fatal(err)
	}
	if size, files := hc.LogRotation(); size != 1<<20 || files != 3 || hc.LogDriver() != LogJSONFile {
		t.Errorf("rotation %d %d driver %s", size, files, hc.LogDriver())
	}
	for _, c := range []struct {
		driver string
		opts   []string
	}{
		{"syslog", nil}, {"none", []string{"max-size=1m"}}, {"", []string{"max-file=3"}},
		{"", []string{"max-size=x"}}, {"", []string{"max-file=0", "max-size=1m"}}, {"", []string{"labels=a"}},
	} {
		var hc HostConfig
		if err := hc.setLogging(c.driver, c.opts); err == nil {
			t.Errorf("--log-driver %q --log-opt %v accepted", c.driver, c.opts)
		}
	}
}

func TestCheckSignal(t *testing.T) {
	for _, s := range []string{"SIGTERM", "TERM", "usr1", "9", "RTMIN+3"} {
		if err := checkSignal(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"SIGFOO", "0", "65", ""} {
		if err := checkSignal(s); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
}
