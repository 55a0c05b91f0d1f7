package sdk

import (
	"context"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Serve runs h as a hull instruction plugin and never returns: it answers
// go-plugin's handshake on stdout, serves gRPC on a unix socket and exits
// when hull closes the connection. It exits 1 with a message on stderr when
// the process was not started by hull. Call it first in main; nothing may be
// written to stdout before it.
func Serve(h Handler) {
	plugin.Serve(serveConfig(h))
	os.Exit(0)
}

func serveConfig(h Handler) *plugin.ServeConfig {
	return &plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  ProtocolVersion,
			MagicCookieKey:   MagicCookieKey,
			MagicCookieValue: MagicCookieValue,
		},
		Plugins:    plugin.PluginSet{PluginKind: &grpcPlugin{impl: h}},
		GRPCServer: newServer,
		// JSON on the real stderr: hull shows each line's level and message.
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       "plugin",
			Level:      hclog.Info,
			Output:     os.Stderr,
			JSONFormat: true,
		}),
	}
}

func newServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(MaxMessage), grpc.MaxSendMsgSize(MaxMessage),
		grpc.ChainUnaryInterceptor(unaryInterceptor))...)
}

// grpcPlugin is the plugin side of go-plugin's GRPCPlugin; the core side
// is package plugins.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Handler
}

func (p *grpcPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	registerHandler(s, p.impl, broker)
	return nil
}

func (p *grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (interface{}, error) {
	return nil, fmt.Errorf("sdk: the client side of %q is package plugins", PluginKind)
}
