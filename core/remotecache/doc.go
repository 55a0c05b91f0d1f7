// Package remotecache exports hull's build step cache to, and imports it
// from, places outside the store: an OCI image layout in a directory
// (`--cache-to type=local,dest=DIR`, `--cache-from type=local,src=DIR`)
// or an image in a registry (`type=registry,ref=REF`).
//
// The cache is one OCI image manifest. Its config blob, of media type
// ConfigMediaType, maps each step's cache key (the engine's, builders'
// stepKey) to the step's record (its container config, history line and
// layer); its layers are the steps' layer blobs, uncompressed tars whose
// digest is the layer's diff id. This is hull's own format: BuildKit's
// cacheconfig keys steps by LLB vertex digests that hull does not have, so
// BuildKit cannot read hull's cache and hull cannot read BuildKit's.
//
// Everything read back is hostile: the index, manifest and config are
// size-limited and digest-checked, and a layer is handed out only when its
// step's record names a layer the manifest lists; the store then checks
// the layer's digest as it writes it (image.Store.PutLayer). The package
// reaches registries through core/registry's references, credentials and
// plain-HTTP rules. It does not print; callers warn.
package remotecache
