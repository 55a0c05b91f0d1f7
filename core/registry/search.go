package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Search lists the repositories of a registry's v2 catalog (GET
// /v2/_catalog, all pages) whose name contains term, as `hull search
// REGISTRY/TERM`: registries have no search API, and Docker Hub's (the
// default) is not the v2 one. Localhost registries are reached over
// HTTP, as for pull and push.
func Search(ctx context.Context, registry, term string, insecure bool) ([]string, error) {
	var opts []name.Option
	if insecure || localRegistry(registry) {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(registry, opts...)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", registry, err)
	}
	repos, err := remote.Catalog(ctx, reg, remoteOptions(ctx, insecure)...)
	if err != nil {
		return nil, fmt.Errorf("search %s: the registry's catalog (/v2/_catalog): %w", registry, err)
	}
	var out []string
	for _, r := range repos {
		if strings.Contains(r, term) {
			out = append(out, r)
		}
	}
	return out, nil
}
