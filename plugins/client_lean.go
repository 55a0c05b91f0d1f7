//go:build appsbin

package plugins

import (
	"context"
	"errors"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// CanStart reports whether this hull starts plugin processes itself. The
// default hull of `make build` (tag appsbin) does not: it links no gRPC,
// protobuf or go-plugin, whose package init would cost every `hull run`
// and `hull ps` (docs/speed.md), and its Start answers ErrNeedsFullBinary.
const CanStart = false

// Client is never made in this build: Start always fails.
type Client struct{}

var _ sdk.Handler = (*Client)(nil)

// Start starts nothing in this build: it answers ErrNeedsFullBinary
// (wrapped in *Error naming the plugin), so that the caller hands its
// command to the full hull.
func Start(opts Options) (*Client, error) {
	opts = withDefaults(opts)
	return nil, &Error{Plugin: opts.Name, Op: "start", Err: ErrNeedsFullBinary}
}

var errNoClient = errors.New("plugins: no client in this build")

func (c *Client) Info() sdk.Info { return sdk.Info{} }
func (c *Client) CacheInputs(context.Context, sdk.Request) (sdk.CacheInputs, error) {
	return sdk.CacheInputs{}, errNoClient
}
func (c *Client) Execute(context.Context, sdk.Request, sdk.Host) (sdk.Response, error) {
	return sdk.Response{}, errNoClient
}
func (c *Client) Kill()        {}
func (c *Client) Exited() bool { return true }
func (c *Client) Pid() int     { return 0 }
