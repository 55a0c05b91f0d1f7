package network

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/hull-project/hull/isolation/role"
	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// The default hull does not link gRPC (its package init would cost every
// `hull run` and `hull ps`), so it cannot talk to an external network
// plugin itself. It starts the full hull it embeds as a proxy instead
// (role.NetProxy, FullHull): the proxy starts the plugin and
// speaks gRPC to it with the very code the full hull uses in process, and
// the default hull sends it each call as one line of JSON on its stdin
// and reads the answer from its stdout. The proxy dies with its caller
// (parent-death signal, and EOF on its stdin), and the plugin with the
// proxy, as the plugin died with hull before.
//
// This file is the wire and the caller's side; proxy_serve.go is the
// proxy's (built only where gRPC is linked).

// FullHull starts the full hull with args (args[0] included): set by the
// default hull's main (core/appbin.Command). Nil where this hull links
// gRPC and talks to plugins itself.
var FullHull func(args []string) (cmd *exec.Cmd, done func(), err error)

// proxyCall is one request to the proxy.
type proxyCall struct {
	// Op is setup or teardown (the per-container plugin the proxy
	// started, Plugin), or create, remove, attach, detach, endpoints (one
	// call of the named-network driver Driver).
	Op       string            `json:"op"`
	Plugin   *proxyPlugin      `json:"plugin,omitempty"`
	Driver   *proxyDriver      `json:"driver,omitempty"`
	Request  *Request          `json:"request,omitempty"`
	ID       string            `json:"id,omitempty"`
	Config   *proxyConfig      `json:"config,omitempty"`
	Endpoint *netspec.Endpoint `json:"endpoint,omitempty"`
}

// proxyPlugin names the per-container plugin the proxy starts first.
type proxyPlugin struct {
	Name string   `json:"name"`
	Dirs []string `json:"dirs"`
}

// proxyDriver is an ExternalDriver as it crosses (its Log is the proxy's
// stderr, which is the caller's log).
type proxyDriver struct {
	Name       string   `json:"name"`
	PluginDirs []string `json:"pluginDirs"`
	StateRoot  string   `json:"stateRoot"`
}

// proxyConfig is a NetworkConfig with its StateDir, which the config's
// own JSON leaves out (it is never recorded).
type proxyConfig struct {
	netspec.NetworkConfig
	StateDir string `json:"stateDir"`
}

func wireConfig(c netspec.NetworkConfig) *proxyConfig {
	return &proxyConfig{NetworkConfig: c, StateDir: c.StateDir}
}

func (c *proxyConfig) config() netspec.NetworkConfig {
	out := c.NetworkConfig
	out.StateDir = c.StateDir
	return out
}

// proxyReply is the proxy's answer to one call.
type proxyReply struct {
	Result    *Result                `json:"result,omitempty"`
	Config    *proxyConfig           `json:"config,omitempty"`
	Endpoints []netspec.EndpointInfo `json:"endpoints,omitempty"`
	Err       *wireError             `json:"error,omitempty"`
}

// wireError carries an error across with its text and the sentinel it
// wraps, so that the caller's errors.Is and its message are what they
// would be in process.
type wireError struct {
	Msg string `json:"msg"`
	// Kind is the sentinel's name in wireKinds, "" for none.
	Kind string `json:"kind,omitempty"`
	// Plugin is set when the error was a *plugins.Error: its fields, with
	// Msg the text of its Err.
	Plugin  *wirePluginError `json:"plugin,omitempty"`
	Handler bool             `json:"handler,omitempty"`
}

type wirePluginError struct {
	Where, Plugin, Op string
}

// wireKinds are the sentinels callers test for.
var wireKinds = map[string]error{
	"crashed":        plugins.ErrCrashed,
	"hung":           plugins.ErrHung,
	"version":        plugins.ErrProtocolVersion,
	"stdout":         plugins.ErrStdout,
	"not executable": plugins.ErrNotExecutable,
	"not plugin":     plugins.ErrNotPlugin,
	"checksum":       plugins.ErrChecksum,
	"not found":      ErrNotFound,
	"unavailable":    ErrUnavailable,
	"canceled":       context.Canceled,
	"deadline":       context.DeadlineExceeded,
}

func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Msg: err.Error()}
	var pe *plugins.Error
	if errors.As(err, &pe) && pe.Err != nil && err.Error() == pe.Error() {
		w.Plugin = &wirePluginError{Where: pe.Where, Plugin: pe.Plugin, Op: pe.Op}
		w.Msg, w.Handler = pe.Err.Error(), pe.Handler
	}
	for name, kind := range wireKinds {
		if errors.Is(err, kind) {
			w.Kind = name
			break
		}
	}
	return w
}

// wiredError is an error that crossed: its text, and its sentinel.
type wiredError struct {
	msg  string
	kind error
}

func (e *wiredError) Error() string { return e.msg }
func (e *wiredError) Unwrap() error { return e.kind }

func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	var inner error = &wiredError{msg: w.Msg, kind: wireKinds[w.Kind]}
	if w.Plugin != nil {
		return &plugins.Error{Where: w.Plugin.Where, Plugin: w.Plugin.Plugin, Op: w.Plugin.Op, Err: inner, Handler: w.Handler}
	}
	return inner
}

// proxy is one running proxy process, on the caller's side.
type proxy struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	mu   sync.Mutex // one call at a time
	once sync.Once
	dead error // set when the proxy stopped answering
}

// startProxy starts the full hull's network proxy, its stderr to log.
func startProxy(log io.Writer) (*proxy, error) {
	if FullHull == nil {
		return nil, errors.New("external network plugins need gRPC, which this hull does not link, and no full hull to hand them to")
	}
	args := []string{"hull", role.NetProxy}
	if plugins.ShowStderr() {
		args = append(args, "--debug")
	}
	cmd, done, err := FullHull(args)
	if err != nil {
		return nil, fmt.Errorf("start network plugin proxy: %w", err)
	}
	defer done()
	p := &proxy{cmd: cmd}
	cmd.Stderr = log
	cmd.Dir = "/"
	// Its own process group, as the plugin had: a ^C at the terminal
	// reaches the container through hull, not the network.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if p.in, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("start network plugin proxy: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start network plugin proxy: %w", err)
	}
	p.out = bufio.NewReader(stdout)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start network plugin proxy: %w", err)
	}
	return p, nil
}

// call sends c and waits for its answer; a canceled ctx kills the proxy
// (and so the plugin) and returns ctx's error, as a canceled gRPC call
// to a plugin would end it.
func (p *proxy) call(ctx context.Context, c proxyCall) (proxyReply, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dead != nil {
		return proxyReply{}, p.dead
	}
	line, err := json.Marshal(c)
	if err != nil {
		return proxyReply{}, err
	}
	type answer struct {
		r   proxyReply
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		var a answer
		if _, err := p.in.Write(append(line, '\n')); err != nil {
			a.err = err
		} else if b, err := p.out.ReadBytes('\n'); err != nil {
			a.err = err
		} else {
			a.err = json.Unmarshal(b, &a.r)
		}
		ch <- a
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			p.dead = fmt.Errorf("network plugin proxy: %w", a.err)
			p.kill()
			return proxyReply{}, p.dead
		}
		return a.r, a.r.Err.err()
	case <-ctx.Done():
		p.dead = ctx.Err()
		p.kill()
		return proxyReply{}, ctx.Err()
	}
}

// kill ends the proxy and its process group (the plugin has its own, and
// dies with the proxy by its parent-death signal). Safe to call twice.
func (p *proxy) kill() {
	p.once.Do(func() {
		p.in.Close()
		if p.cmd.Process != nil {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			_ = p.cmd.Wait()
		}
	})
}

// proxied is a per-container plugin behind a proxy: the Driver the
// caller's Attachment uses.
type proxied struct{ p *proxy }

func (d proxied) Setup(ctx context.Context, req Request) (Result, error) {
	r, err := d.p.call(ctx, proxyCall{Op: "setup", Request: &req})
	if err != nil {
		return Result{}, err
	}
	if r.Result == nil {
		return Result{}, errors.New("network plugin proxy: setup: no result")
	}
	return *r.Result, nil
}

func (d proxied) Teardown(ctx context.Context, containerID string) error {
	_, err := d.p.call(ctx, proxyCall{Op: "teardown", ID: containerID})
	return err
}

// launchProxied is launchExternal through a proxy: the proxy finds the
// plugin, checks its pin and starts it, as launchExternal does.
func launchProxied(name string, opts OpenOptions) (Driver, func(), error) {
	p, err := startProxy(logOf(opts))
	if err != nil {
		return nil, nil, err
	}
	dirs := opts.PluginDirs
	if dirs == nil {
		dirs = plugins.SearchPath(nil)
	}
	if _, err := p.call(context.Background(), proxyCall{Op: "launch", Plugin: &proxyPlugin{Name: name, Dirs: dirs}}); err != nil {
		p.kill()
		return nil, nil, err
	}
	return proxied{p}, p.kill, nil
}

// driverCall is one call of named-network driver d through a proxy of
// its own, which ends after the answer (as d's plugin does in process).
func driverCall(ctx context.Context, d *ExternalDriver, c proxyCall) (proxyReply, error) {
	log := d.Log
	if log == nil {
		log = os.Stderr
	}
	p, err := startProxy(log)
	if err != nil {
		return proxyReply{}, err
	}
	defer p.kill()
	c.Driver = &proxyDriver{Name: d.Name, PluginDirs: d.PluginDirs, StateRoot: d.StateRoot}
	return p.call(ctx, c)
}
