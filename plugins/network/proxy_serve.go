//go:build !appsbin

package network

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
)

// ServeProxy is the full hull's network proxy (ProxyRole, see proxy.go):
// it answers the calls on stdin, one JSON line each, until stdin closes,
// then ends the plugin it started. args: --debug makes the plugin's
// stderr live, as the caller's --debug does.
func ServeProxy(args []string) error {
	for _, a := range args {
		if a == "--debug" {
			slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
		}
	}
	s := &proxyServer{}
	defer s.close()
	return s.serve(os.Stdin, os.Stdout)
}

// proxyServer holds the per-container plugin the proxy started.
type proxyServer struct {
	plugin *externalPlugin
}

func (s *proxyServer) close() {
	if s.plugin != nil {
		s.plugin.kill()
	}
}

func (s *proxyServer) serve(in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) && len(line) == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("network proxy: read call: %w", err)
		}
		var c proxyCall
		if err := json.Unmarshal(line, &c); err != nil {
			return fmt.Errorf("network proxy: bad call: %w", err)
		}
		reply := s.do(context.Background(), c)
		b, err := json.Marshal(reply)
		if err != nil {
			return fmt.Errorf("network proxy: answer: %w", err)
		}
		if _, err := out.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("network proxy: answer: %w", err)
		}
	}
}

// do runs one call with the code the full hull runs in process.
func (s *proxyServer) do(ctx context.Context, c proxyCall) (reply proxyReply) {
	var err error
	defer func() { reply.Err = toWire(err) }()
	switch c.Op {
	case "launch":
		if c.Plugin == nil || s.plugin != nil {
			err = errors.New("network proxy: launch: no plugin named, or one started already")
			return
		}
		s.plugin, err = startPinned(c.Plugin.Name, c.Plugin.Dirs, os.Stderr)
		return
	case "setup", "teardown":
		if s.plugin == nil {
			err = fmt.Errorf("network proxy: %s: no plugin started", c.Op)
			return
		}
		if c.Op == "teardown" {
			err = s.plugin.Teardown(ctx, c.ID)
			return
		}
		if c.Request == nil {
			err = errors.New("network proxy: setup: no request")
			return
		}
		var res Result
		res, err = s.plugin.Setup(ctx, *c.Request)
		reply.Result = &res
		return
	}
	if c.Driver == nil || c.Config == nil {
		err = fmt.Errorf("network proxy: %s: no driver or config", c.Op)
		return
	}
	d := &ExternalDriver{Name: c.Driver.Name, PluginDirs: c.Driver.PluginDirs, StateRoot: c.Driver.StateRoot, Log: os.Stderr}
	cfg := c.Config.config()
	switch c.Op {
	case "create":
		cfg, err = d.Create(ctx, cfg)
		reply.Config = wireConfig(cfg)
	case "remove":
		err = d.Remove(ctx, cfg)
	case "attach":
		if c.Endpoint == nil {
			err = errors.New("network proxy: attach: no endpoint")
			return
		}
		var res Result
		res, err = d.Attach(ctx, cfg, *c.Endpoint)
		reply.Result = &res
	case "detach":
		err = d.Detach(ctx, cfg, c.ID)
	case "endpoints":
		reply.Endpoints, err = d.Endpoints(ctx, cfg)
	default:
		err = fmt.Errorf("network proxy: unknown call %q", c.Op)
	}
	return
}
