//go:build appsbin

package network

import "errors"

// ServeProxy is served by the full hull, which links gRPC: the default
// hull starts that one as the proxy (FullHull), never itself.
func ServeProxy([]string) error {
	return errors.New("the network plugin proxy is the full hull's role; this hull does not link gRPC")
}
