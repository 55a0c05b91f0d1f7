//go:build appsbin

package remotecache

import (
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hull-project/hull/core/appbin"
)

// The default hull of `make build` links no registry client
// (go-containerregistry, net/http): a build with a registry cache runs in
// the full hull it embeds, and core hands it over before it starts
// (BuildOptions.ReplayOnly). These answer so, should one get here.

func exportRegistry(_ context.Context, ref string, _ bool, _, _ blob, _ []ocispec.Descriptor, _ Blobs) error {
	return fmt.Errorf("export cache %s: %w", ref, appbin.ErrNeedsFullHull)
}

func importRegistry(_ context.Context, ref string, _ bool) (*Cache, error) {
	return nil, fmt.Errorf("import cache %s: %w", ref, appbin.ErrNeedsFullHull)
}
