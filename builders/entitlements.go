package builders

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hull-project/hull/builders/dockerfile"
)

// Entitlements are BuildKit's names for host access a Dockerfile or a
// plugin may ask for but only the user can grant (`hull build --allow`).
const (
	// EntitlementNetworkHost lets a step use the host's network
	// (RUN --network=host, a plugin's run on network host) and ADD reach
	// the host's own addresses.
	EntitlementNetworkHost = "network.host"
	// EntitlementSecurityInsecure is RUN --security=insecure, which hull
	// does not implement; it is named so the refusal says so.
	EntitlementSecurityInsecure = "security.insecure"
	// EntitlementDevice lets `hull build --device` give its devices to
	// every RUN step (core applies them; BuildKit's name).
	EntitlementDevice = "device"
)

// ErrNotEntitled is returned when a step asks for host access the user did
// not grant with --allow.
var ErrNotEntitled = errors.New("not granted")

// checkAllow validates --allow values.
func checkAllow(allow []string) error {
	for _, a := range allow {
		switch a {
		case EntitlementNetworkHost, EntitlementDevice:
		case EntitlementSecurityInsecure:
			return fmt.Errorf("invalid --allow %s: hull does not run insecure steps", a)
		default:
			return fmt.Errorf("invalid --allow %q: the entitlements are %s and %s", a, EntitlementNetworkHost, EntitlementDevice)
		}
	}
	return nil
}

// allowed reports whether the user granted the entitlement.
func (b *build) allowed(entitlement string) bool {
	for _, a := range b.opts.Allow {
		if a == entitlement {
			return true
		}
	}
	return false
}

// notEntitled is the refusal of what, naming the flag that grants it.
func notEntitled(what, entitlement string) error {
	return fmt.Errorf("%s needs entitlement %s: %w (allow it with `hull build --allow %s`)", what, entitlement, ErrNotEntitled, entitlement)
}

// checkStepEntitlements refuses, before the step runs, an instruction whose
// flags ask for host access the user did not grant. The engine checks the
// run itself again (a plugin may ask without a flag); this only makes the
// common case fail before any plugin is involved.
func (b *build) checkStepEntitlements(st *stageState, ins dockerfile.Instruction) error {
	if v, ok := ins.Flag("network"); ok && b.flagValue(st, v) == "host" && !b.allowed(EntitlementNetworkHost) {
		return notEntitled("--network=host", EntitlementNetworkHost)
	}
	if v, ok := ins.Flag("security"); ok && b.flagValue(st, v) == "insecure" {
		return fmt.Errorf("--security=insecure needs entitlement %s, which hull never grants: every step runs sandboxed", EntitlementSecurityInsecure)
	}
	return nil
}

// flagValue expands a flag's value in the stage's scope, as the handler
// will; an expansion error leaves it for the handler to report.
func (b *build) flagValue(st *stageState, v string) string {
	if x, err := dockerfile.Expand(v, st.lookup(), b.df.Directives.Escape); err == nil {
		return x
	}
	return v
}

// entitlementKey is what a step's cache key must add for the access it
// was granted: an ADD of a URL fetched with network.host may hold what
// only the host's loopback served, and must never be replayed for a build
// that did not grant it.
func (b *build) entitlementKey(ins dockerfile.Instruction) []string {
	if ins.Keyword == "ADD" && b.allowed(EntitlementNetworkHost) && strings.Contains(strings.Join(ins.Args, " "), "://") {
		return []string{"entitlement=" + EntitlementNetworkHost}
	}
	return nil
}
