package container

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	units "github.com/docker/go-units"
)

// RunFlags are the docker-run flags of issue 17 that shape the record:
// --expose, --stop-signal, --stop-timeout, --shm-size, --sysctl,
// --privileged, --log-driver and --log-opt. --volumes-from is resolved by
// core (it names another container) into Options.Volumes.
type RunFlags struct {
	Expose      []string
	StopSignal  string
	StopTimeout *int
	ShmSize     string
	Sysctls     []string
	Privileged  bool
	LogDriver   string
	LogOpts     []string
	VolumesFrom []string
	// IPC, UTS and PID are --ipc, --uts and --pid: "" (private), "host"
	// or "container:ID" (core resolves the NAME given to the id).
	IPC, UTS, PID string
}

// Log drivers hull writes: json-file (the default; logs reads it) and
// none (nothing kept, logs refuses, as Docker).
const (
	LogJSONFile = "json-file"
	LogNone     = "none"
)

// LogDriver is the container's log driver, json-file when none was given.
func (hc HostConfig) LogDriver() string {
	if hc.LogType == "" {
		return LogJSONFile
	}
	return hc.LogType
}

// LogRotation is max-size in bytes (0: the default) and max-file.
func (hc HostConfig) LogRotation() (maxSize int64, maxFiles int) {
	maxFiles = 2 // hull's default: the file and one rotated part
	if v, ok := hc.LogOpts["max-size"]; ok {
		maxSize, _ = units.RAMInBytes(v)
	}
	if v, ok := hc.LogOpts["max-file"]; ok {
		maxFiles, _ = strconv.Atoi(v)
	}
	return maxSize, maxFiles
}

// setRunFlags checks the RunFlags and records them.
func (c *Container) setRunFlags(f RunFlags, imageExposed map[string]struct{}) error {
	exposed, err := mergeExposed(imageExposed, f.Expose)
	if err != nil {
		return err
	}
	c.Config.ExposedPorts = exposed
	if f.StopSignal != "" {
		if err := checkSignal(f.StopSignal); err != nil {
			return fmt.Errorf("invalid --stop-signal %q: %w", f.StopSignal, err)
		}
		c.Config.StopSignal = f.StopSignal
	}
	c.Config.StopTimeout = f.StopTimeout
	hc := &c.HostConfig
	if f.ShmSize != "" {
		n, err := units.RAMInBytes(f.ShmSize)
		if err != nil || n <= 0 {
			return fmt.Errorf("invalid --shm-size %q: a size such as 64m or 1g", f.ShmSize)
		}
		hc.ShmSize = n
	}
	for _, s := range f.Sysctls {
		k, v, err := ParseSysctl(s, hc.NetworkMode, hc.Pod != "")
		if err != nil {
			return err
		}
		if hc.Sysctls == nil {
			hc.Sysctls = map[string]string{}
		}
		hc.Sysctls[k] = v
	}
	hc.Privileged = f.Privileged
	hc.VolumesFrom = f.VolumesFrom
	if hc.IpcMode, err = namespaceMode("ipc", f.IPC, hc.Pod != ""); err != nil {
		return err
	}
	if hc.UTSMode, err = namespaceMode("uts", f.UTS, hc.Pod != ""); err != nil {
		return err
	}
	if hc.PidMode, err = namespaceMode("pid", f.PID, hc.Pod != ""); err != nil {
		return err
	}
	return hc.setLogging(f.LogDriver, f.LogOpts)
}

// namespaceMode checks --ipc, --uts or --pid: "" or "private" (a
// namespace of the container's own, the default; Docker's "shareable" IPC
// is that too here), "host" (the caller's: rootless, the user's own
// namespace, as Podman) or "container:ID" (another container's, which
// core has looked up: joins.go).
func namespaceMode(flag, v string, inPod bool) (string, error) {
	switch {
	case v == "" || v == "private" || (flag == "ipc" && v == "shareable"):
		return "", nil
	case v == "host" || strings.HasPrefix(v, ModeContainer) && len(v) > len(ModeContainer):
		if inPod {
			return "", fmt.Errorf("--%s %s cannot be used with --pod: the pod's namespace is shared", flag, v)
		}
		return v, nil
	}
	return "", fmt.Errorf("invalid --%s %q: host, private or container:NAME", flag, v)
}

// mergeExposed adds --expose values (PORT[/PROTO], or a range
// START-END[/PROTO]) to the image's exposed ports.
func mergeExposed(image map[string]struct{}, expose []string) (map[string]struct{}, error) {
	if len(image) == 0 && len(expose) == 0 {
		return nil, nil
	}
	out := map[string]struct{}{}
	for k := range image {
		out[k] = struct{}{}
	}
	for _, e := range expose {
		a, b, proto, err := PortRange(e)
		if err != nil || a < 1 || b > 65535 || a > b || (proto != "tcp" && proto != "udp" && proto != "sctp") {
			return nil, fmt.Errorf("invalid --expose %q: want PORT[/PROTO] or START-END[/PROTO]", e)
		}
		for p := a; p <= b; p++ {
			out[fmt.Sprintf("%d/%s", p, proto)] = struct{}{}
		}
	}
	return out, nil
}

// PortRange parses PORT[/PROTO] or START-END[/PROTO] (--expose, ps's
// publish= filter); the protocol defaults to tcp.
func PortRange(s string) (lo, hi int, proto string, err error) {
	port, proto, _ := strings.Cut(s, "/")
	if proto == "" {
		proto = "tcp"
	}
	first, last, isRange := strings.Cut(port, "-")
	if !isRange {
		last = first
	}
	if lo, err = strconv.Atoi(first); err != nil {
		return 0, 0, "", err
	}
	if hi, err = strconv.Atoi(last); err != nil {
		return 0, 0, "", err
	}
	return lo, hi, proto, nil
}

// checkSignal accepts a signal as STOPSIGNAL and kill -s do: a number, or
// a name with or without SIG.
func checkSignal(s string) error {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return fmt.Errorf("signal number out of range")
		}
		return nil
	}
	if !signalName().MatchString(strings.TrimPrefix(strings.ToUpper(s), "SIG")) {
		return fmt.Errorf("not a signal name")
	}
	return nil
}

var signalName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(HUP|INT|QUIT|ILL|TRAP|ABRT|IOT|BUS|FPE|KILL|USR1|SEGV|USR2|PIPE|ALRM|TERM|STKFLT|CHLD|CONT|STOP|TSTP|TTIN|TTOU|URG|XCPU|XFSZ|VTALRM|PROF|WINCH|IO|POLL|PWR|SYS|RTMIN(\+[0-9]+)?|RTMAX(-[0-9]+)?)$`)
})

// sysctlKey: dotted lower-case words, nothing that could climb in /proc/sys.
var sysctlKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9_]+(\.[a-zA-Z0-9_-]+)+$`) })

// ParseSysctl checks one --sysctl KEY=VALUE. Only the sysctls a container's
// own namespaces hold are allowed, as Docker's list: the IPC namespace's
// kernel.msg*, kernel.sem, kernel.shm* and fs.mqueue.*, and, with a network
// of its own, net.*. Anything else would be the host's, which Docker
// refuses too.
func ParseSysctl(s, networkMode string, inPod bool) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || !sysctlKey().MatchString(k) || strings.ContainsAny(v, "\n\x00") {
		return "", "", fmt.Errorf("invalid --sysctl %q: want KEY=VALUE", s)
	}
	switch {
	case k == "kernel.sem", strings.HasPrefix(k, "kernel.shm"), strings.HasPrefix(k, "kernel.msg"),
		strings.HasPrefix(k, "fs.mqueue."):
		if inPod {
			return "", "", fmt.Errorf("sysctl %q is not allowed in a pod: the pod's IPC namespace is shared", k)
		}
		return k, v, nil
	case strings.HasPrefix(k, "net."):
		if networkMode == NetworkHost {
			return "", "", fmt.Errorf("sysctl %q is not allowed with --network host: it would change the host's network", k)
		}
		if inPod {
			return "", "", fmt.Errorf("sysctl %q is not allowed in a pod: the pod's network namespace is shared", k)
		}
		return k, v, nil
	}
	return "", "", fmt.Errorf("sysctl %q is not allowed: it is not namespaced (only net.*, kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* are)", k)
}

// setLogging checks --log-driver and --log-opt.
func (hc *HostConfig) setLogging(driver string, opts []string) error {
	switch driver {
	case "", LogJSONFile, LogNone:
	default:
		return fmt.Errorf("unsupported --log-driver %q: hull writes json-file (the default) or none", driver)
	}
	hc.LogType = driver
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return fmt.Errorf("invalid --log-opt %q: want KEY=VALUE", o)
		}
		switch k {
		case "max-size":
			if n, err := units.RAMInBytes(v); err != nil || n <= 0 {
				return fmt.Errorf("invalid --log-opt max-size=%s: a size such as 10m", v)
			}
		case "max-file":
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 32 {
				return fmt.Errorf("invalid --log-opt max-file=%s: a number from 1 to 32", v)
			}
		default:
			return fmt.Errorf("unknown log opt '%s' for %s log driver", k, hc.LogDriver())
		}
		if hc.LogDriver() == LogNone {
			return fmt.Errorf("--log-opt %s: the none log driver takes no options", k)
		}
		if hc.LogOpts == nil {
			hc.LogOpts = map[string]string{}
		}
		hc.LogOpts[k] = v
	}
	if _, ok := hc.LogOpts["max-file"]; ok {
		if _, ok := hc.LogOpts["max-size"]; !ok {
			return fmt.Errorf("--log-opt max-file needs max-size, as Docker's json-file")
		}
	}
	return nil
}
