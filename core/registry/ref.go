package registry

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hull-project/hull/core/image"
)

// parallelLayers is how many layers move at once, as Docker's default.
const parallelLayers = 4

// parseRef normalises ref as Docker does and parses it for
// go-containerregistry, allowing plain HTTP where Docker allows it.
func parseRef(ref string, insecure bool) (string, name.Reference, error) {
	norm, err := image.NormalizeRef(ref)
	if err != nil {
		return "", nil, err
	}
	var opts []name.Option
	if insecure || localRegistry(registryHost(norm)) {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(norm, opts...)
	if err != nil {
		return "", nil, fmt.Errorf("invalid reference %q: %w", ref, err)
	}
	return norm, r, nil
}

// registryHost is the registry part of a normalised reference.
func registryHost(norm string) string {
	host, _, _ := strings.Cut(norm, "/")
	return host
}

// localRegistry reports whether Docker would talk plain HTTP to host:
// localhost and the loopback addresses.
func localRegistry(host string) bool {
	h := host
	if sh, _, err := net.SplitHostPort(host); err == nil {
		h = sh
	}
	h = strings.Trim(h, "[]")
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// remoteOptions are the go-containerregistry options every request uses.
func remoteOptions(ctx context.Context, insecure bool, extra ...remote.Option) []remote.Option {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithTransport(httpTransport(insecure)),
		remote.WithJobs(parallelLayers),
		remote.WithUserAgent("hull"),
	}
	return append(opts, extra...)
}

// httpTransport is the default transport, without certificate checks when
// insecure (--tls-verify=false).
func httpTransport(insecure bool) http.RoundTripper {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	if insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by --tls-verify=false
	}
	return t
}

// Platform parses "os/arch[/variant]"; "" is the host's platform.
func Platform(s string) (*v1.Platform, error) {
	if s == "" {
		p := &v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
		if runtime.GOARCH == "arm64" {
			p.Variant = "v8"
		}
		return p, nil
	}
	p, err := v1.ParsePlatform(s)
	if err != nil {
		return nil, fmt.Errorf("invalid platform %q: %w", s, err)
	}
	return p, nil
}

// Remote parses ref as pulls and pushes do and returns it with the
// options every request uses (credentials from the Docker config, plain
// HTTP to localhost, --tls-verify=false), for other kinds of content
// than images (the build cache, core/remotecache).
func Remote(ctx context.Context, ref string, insecure bool) (name.Reference, []remote.Option, error) {
	_, r, err := parseRef(ref, insecure)
	if err != nil {
		return nil, nil, err
	}
	return r, remoteOptions(ctx, insecure), nil
}
