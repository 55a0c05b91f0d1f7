package core

import (
	"context"

	"github.com/hull-project/hull/core/events"
	"github.com/hull-project/hull/core/registry"
)

// Events returns the store's logged events, oldest first, and where
// FollowEvents goes on from.
func (h *Hull) Events() ([]events.Event, int64, error) { return events.Read(h.Root) }

// FollowEvents calls fn with each event logged after offset until stop
// is closed.
func (h *Hull) FollowEvents(offset int64, stop <-chan struct{}, fn func(events.Event) error) error {
	return events.Follow(h.Root, offset, stop, fn)
}

// Search lists the repositories of registry's catalog whose names contain
// term (hull search).
func (h *Hull) Search(ctx context.Context, registryHost, term string, insecure bool) ([]string, error) {
	return registry.Search(ctx, registryHost, term, insecure)
}
