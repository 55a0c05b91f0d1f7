// Package role names the processes hull runs as when it re-executes
// itself, and says how a role's main ends. argv[1] selects the role;
// main.go (and isolation/initbin, for the roles it serves) dispatches on
// it before the CLI sees the arguments and is the only place that calls
// os.Exit for a role: each role's main returns an error and Status turns
// it into the exit status.
//
// Each role's inherited descriptors (fd 0-2 are stdio unless said):
//
//	__hull-init     container init (isolation.Start -> isolation/child.Main):
//	                fd 3 spec pipe (one byte once the id maps are written,
//	                then the JSON isolation.Spec), fd 4 error pipe (one JSON
//	                isolation.StartError; EOF at the command's execve means
//	                started), fd 5 the sealed memfd the init runs from, when
//	                it does. A build task is the same role with Spec.Task set.
//	__hull-exec     in-container stage of hull exec, after nsenter
//	                (isolation.Exec -> isolation/child.ExecMain): fd 3 the
//	                sealed memfd it runs from, fd 4 spec pipe (JSON
//	                isolation.ExecSpec), fd 5 error pipe as the init's, fd 6
//	                the console socket with -t (the pty master goes back on it).
//	__hull-limits   the --init init's command with limits of the user
//	                (isolation/child.LimitsMain): argv[2] the encoded limits,
//	                argv[3] the command's path, argv[4:] its arguments; stdio
//	                only. Its errors go to stderr (the init has reported the
//	                start already).
//	__hull-userns   user-namespace helper (isolation.RunHelper,
//	                isolation.Unshare -> core.HelperMain): fd 3 the mapping
//	                pipe (one byte once the id maps are written); argv[2] the
//	                operation (unpack, rm, check, unshare), then its
//	                arguments; a layer tar on stdin for unpack; an error is
//	                one line on stderr and status 1.
//	__hull-plugin   a built-in instruction plugin (plugins.StartBuiltin ->
//	                plugins.ServeBuiltin): argv[2] its name; go-plugin's
//	                handshake (magic cookie in the environment, the address
//	                line on stdout, gRPC on a unix socket). Only in a hull
//	                that links the plugin machinery: not the default hull
//	                of `make build` (tag appsbin), whose full hull serves
//	                it from itself.
//	__hull-monitor  per-container monitor of a detached run (core/monitor.Main),
//	                the fallback of the small monitor binary (core/monitor/monbin)
//	                when hull was built without it: argv[2] the store root,
//	                argv[3] the container id; fd 3 report pipe (one JSON report
//	                once the command runs or failed to), fd 4 hull's own
//	                binary (what the monitor executes for __hull-mon), fd 5
//	                optional attach socket (start -a).
//	__hull-mon      a monitor's call into hull (core.MonitorCallMain): argv[2]
//	                the store root, argv[3] the container id, argv[4] the
//	                operation and its arguments; fd 3 a SOCK_SEQPACKET socket
//	                (protocol in core/moncall).
//	__hull-pod      a pod's infra monitor (core.PodMain): argv[2] the store
//	                root, argv[3] the pod id; fd 3 report pipe (one JSON
//	                report once the infra runs or failed to).
//
// Anything else is the CLI. The roles' messages are JSON documents on
// their own pipes, each closed after one message (the init's mapping byte
// comes first); there is no shared framing.
package role

import (
	"errors"
	"fmt"
	"io"
)

// The roles, argv[1] of a re-executed hull.
const (
	Init    = "__hull-init"
	Exec    = "__hull-exec"
	Limits  = "__hull-limits"
	Userns  = "__hull-userns"
	Plugin  = "__hull-plugin"
	Monitor = "__hull-monitor"
	// MonitorCall is what a monitor asks of hull (core.MonitorCallMain,
	// protocol in core/moncall).
	MonitorCall = "__hull-mon"
	// Pod is a pod's infra monitor (core.PodMain).
	Pod = "__hull-pod"
	// NetD is a named network's process (plugins/network/usernet.Main);
	// NetTap makes a container's tap device for it (usernet.TapMain).
	NetD   = "__hull-netd"
	NetTap = "__hull-nettap"
	// NetProxy carries the default hull's calls to an external network
	// plugin, in the full hull, which links gRPC (plugins/network.ServeProxy).
	NetProxy = "__hull-netproxy"
)

// All is every role, for the dispatchers' tests.
var All = []string{Init, Exec, Limits, Userns, Plugin, Monitor, MonitorCall, Pod, NetD, NetTap, NetProxy}

// Exit ends a role with status Code. Msg, when not empty, is printed on
// stderr as it is; an empty Msg means the role reported the failure
// itself (on an error pipe, say) or there is nothing to report.
type Exit struct {
	Code int
	Msg  string
}

func (e *Exit) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Status is the exit status of a role whose main returned err: 0 for
// nil, an Exit's Code (its Msg printed on stderr), else 1 with err
// printed on stderr as one line.
func Status(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var e *Exit
	if errors.As(err, &e) {
		if e.Msg != "" {
			fmt.Fprintln(stderr, e.Msg)
		}
		return e.Code
	}
	fmt.Fprintln(stderr, err)
	return 1
}
