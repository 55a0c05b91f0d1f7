//go:build !appsbin

package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hull-project/hull/plugins/sdk"
)

// CanStart reports whether this hull starts plugin processes itself: it
// does in every build but the default hull of `make build` (tag appsbin,
// client_lean.go).
const CanStart = true

// Handshake is the go-plugin handshake of instruction plugins. A network
// plugin kind will share the cookie and get its own PluginSet name.
func Handshake() plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  sdk.ProtocolVersion,
		MagicCookieKey:   sdk.MagicCookieKey,
		MagicCookieValue: sdk.MagicCookieValue,
	}
}

// Client is one running plugin process. It implements sdk.Handler; Info
// is fetched once at Start. It is safe for concurrent calls.
type Client struct {
	name    string
	opts    Options
	cmd     *exec.Cmd
	gp      *plugin.Client
	handler *handlerClient
	info    sdk.Info
	stderr  *Stderr
	// One line splitter per source: go-plugin's reader of the process's
	// stderr, and its stdio stream (what an old SDK's os.Stderr became).
	errOut, syncOut *LineWriter

	killOnce sync.Once
}

var _ sdk.Handler = (*Client)(nil)

// Start launches the plugin, completes the handshake and asks for its Info.
// On error no process is left running.
func Start(opts Options) (*Client, error) {
	opts = withDefaults(opts)
	c := &Client{name: opts.Name, opts: opts}
	var live io.Writer
	if opts.Debug {
		live = opts.Log
	}
	c.stderr = NewStderr(shortName(opts), live)
	c.errOut, c.syncOut = c.stderr.Writer(), c.stderr.Writer()
	if err := c.start(); err != nil {
		c.Kill()
		return nil, &Error{Plugin: c.name, Op: "start", Err: err}
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.CallTimeout)
	defer cancel()
	info, err := c.handler.info(ctx)
	if err != nil {
		err = c.callError(context.Background(), ctx, "info", "", err)
		c.kill(true)
		return nil, err
	}
	if err := checkInfo(info); err != nil {
		c.Kill()
		return nil, &Error{Plugin: c.name, Op: "info", Err: err}
	}
	c.info = info
	return c, nil
}

func (c *Client) start() error {
	if err := checkExecutable(c.opts.Cmd.Path); err != nil {
		return err
	}
	c.cmd = c.opts.Cmd
	// Own process group: Kill takes whatever the plugin spawned with it.
	// Pdeathsig: a plugin does not outlive a hull that was killed.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cfg, err := c.clientConfig()
	if err != nil {
		return err
	}
	c.gp = plugin.NewClient(cfg)
	rpc, err := c.gp.Client()
	if err != nil {
		// Reap first: the stderr the error quotes is complete only then.
		c.kill(true)
		return c.startError(err)
	}
	raw, err := rpc.Dispense(sdk.PluginKind)
	if err != nil {
		return fmt.Errorf("dispense %s: %w", sdk.PluginKind, err)
	}
	c.handler = raw.(*handlerClient)
	return nil
}

func (c *Client) clientConfig() (*plugin.ClientConfig, error) {
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  Handshake(),
		Plugins:          plugin.PluginSet{sdk.PluginKind: &grpcPlugin{}},
		Cmd:              c.cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     c.opts.StartTimeout,
		Stderr:           c.errOut,
		SyncStdout:       c.syncOut,
		SyncStderr:       c.syncOut,
		Logger:           GoPluginLogger(c.cmd.Path),
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(sdk.MaxMessage), grpc.MaxCallSendMsgSize(sdk.MaxMessage))},
	}
	if c.opts.SHA256 != "" {
		sum, err := hex.DecodeString(c.opts.SHA256)
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("pinned checksum %q: not a hex sha256", c.opts.SHA256)
		}
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	}
	return cfg, nil
}

// checkExecutable gives a clear error before go-plugin's exec error.
func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%w (mode %s)", ErrNotExecutable, fi.Mode())
	}
	return nil
}

// startError maps go-plugin's start errors, which are plain strings, to
// this package's sentinels.
func (c *Client) startError(err error) error {
	msg := err.Error()
	const garbage = "Unrecognized remote plugin message: "
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		return fmt.Errorf("%w: want sha256 %s", ErrChecksum, c.opts.SHA256)
	case strings.Contains(msg, "incompatible API version"), strings.Contains(msg, "incompatible core API version"):
		return fmt.Errorf("%w: %s", ErrProtocolVersion, firstLine(msg))
	case strings.HasPrefix(msg, garbage) && firstLine(strings.TrimPrefix(msg, garbage)) != "":
		return fmt.Errorf("%w: %q", ErrStdout, firstLine(strings.TrimPrefix(msg, garbage)))
	case strings.HasPrefix(msg, garbage), strings.Contains(msg, "exited before we could connect"):
		return fmt.Errorf("%w: exited without a handshake%s", ErrNotPlugin, c.stderrNote())
	case strings.Contains(msg, "unsupported plugin protocol"):
		return fmt.Errorf("%w: %s", ErrNotPlugin, msg)
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("%w: no handshake within %s%s", ErrHung, c.opts.StartTimeout, c.stderrNote())
	}
	return err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// stderrNote quotes the end of the plugin's stderr. Call it after kill:
// go-plugin's reader has then drained the pipe, so nothing is missing.
func (c *Client) stderrNote() string {
	c.syncOut.Flush()
	return c.stderr.note()
}

// Info returns the Info the plugin gave at Start.
func (c *Client) Info() sdk.Info { return c.info }

// CacheInputs asks the plugin for the step's cache inputs.
func (c *Client) CacheInputs(ctx context.Context, req sdk.Request) (sdk.CacheInputs, error) {
	cctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	in, err := c.handler.cacheInputs(cctx, req)
	if err != nil {
		return sdk.CacheInputs{}, c.callError(ctx, cctx, "cache inputs", where(req.Instruction), err)
	}
	return in, nil
}

// Execute runs the instruction in the plugin, serving host to it until the
// call returns.
func (c *Client) Execute(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	cctx, cancel := context.WithTimeout(ctx, c.opts.ExecuteTimeout)
	defer cancel()
	resp, err := c.handler.execute(cctx, req, host)
	if err != nil {
		return sdk.Response{}, c.callError(ctx, cctx, "execute", where(req.Instruction), err)
	}
	return resp, nil
}

// callError classifies a failed call. A hung or crashed plugin is killed;
// an error the handler returned keeps it running. The crash and hang errors
// quote the end of the plugin's stderr, read to its end first: kill returns
// only once go-plugin's reader has drained the pipe.
func (c *Client) callError(parent, cctx context.Context, op, at string, err error) error {
	e := &Error{Where: at, Plugin: c.name, Op: op}
	st := status.Convert(err)
	switch {
	case parent.Err() != nil:
		e.Err = parent.Err()
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		c.kill(true)
		e.Err = fmt.Errorf("%w: no answer within its deadline; killed%s", ErrHung, c.stderrNote())
	case st.Code() == codes.Unknown:
		// What a handler's own error arrives as.
		e.Err = errors.New(st.Message())
		e.Handler = true
	case st.Code() == codes.Unavailable || c.waitExited(exitGrace):
		// The connection went: the process is dying, or dead. Let it
		// finish exiting so that its status is its own, not our SIGKILL.
		c.waitExited(exitGrace)
		c.kill(true)
		e.Err = fmt.Errorf("%w (%s)%s", ErrCrashed, c.exitState(), c.stderrNote())
	default:
		e.Err = errors.New(st.Message())
	}
	return e
}

// exitGrace is how long a call that failed for another reason than the
// handler's own error waits for the process to be seen exiting: a call that
// failed because the process died may return before its exit is reaped,
// and a loaded machine may take a while.
const exitGrace = 2 * time.Second

// waitExited reports whether the process exits within d.
func (c *Client) waitExited(d time.Duration) bool {
	for end := time.Now().Add(d); ; time.Sleep(5 * time.Millisecond) {
		if c.gp.Exited() {
			return true
		}
		if !time.Now().Before(end) {
			return false
		}
	}
}

func (c *Client) exitState() string {
	if c.gp != nil && c.gp.Exited() && c.cmd.ProcessState != nil {
		return c.cmd.ProcessState.String()
	}
	return "connection lost"
}

// Kill stops the plugin process and everything in its process group, and
// returns when the process has been reaped. It is safe to call twice.
func (c *Client) Kill() { c.kill(false) }

// kill with force skips go-plugin's graceful shutdown, which waits up to
// two seconds for a plugin that is hung anyway.
func (c *Client) kill(force bool) {
	c.killOnce.Do(func() {
		if c.gp == nil {
			return
		}
		pid := c.Pid()
		if force && pid > 0 {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
		if c.handler != nil {
			c.handler.close()
		}
		c.gp.Kill()
		if pid > 0 {
			// Whatever the plugin left in its group. The group outlives its
			// leader while any member runs, so its id is not reused yet.
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	})
}

// Exited reports whether the plugin process has exited.
func (c *Client) Exited() bool { return c.gp == nil || c.gp.Exited() }

// Pid is the plugin process id, 0 before it started.
func (c *Client) Pid() int {
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}
