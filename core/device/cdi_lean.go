//go:build appsbin

package device

// CDILinked reports whether this hull reads CDI specs itself. The default
// hull of `make build` (tag appsbin) does not: the CDI library links a
// YAML parser and Kubernetes-style validation whose package init would
// cost every `hull run` and `hull ps` (docs/speed.md). A command that
// needs CDI (a CDI --device, --gpus, `hull info`'s device list, the start
// of a container that has such devices) runs in the full hull it embeds.
const CDILinked = false

// openSpecs reads nothing in this build: it answers ErrNeedsFullHull.
func openSpecs([]string) (specs, error) { return nil, ErrNeedsFullHull }
