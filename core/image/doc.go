// Package image is hull's local OCI image store for one user.
//
// Layout under the store root (shared with the rest of hull):
//
//	store.lock              flock held by every mutation of images.json
//	images.json             image records {id, digest, names, created, size}
//	blobs/sha256/<hex>      content-addressed blobs, verified when read
//	layers/<hex>/           one unpacked layer, named by its diff_id
//	layers/<hex>.lock       flock held while that layer is being unpacked
//	tarsplit/<hex>          a layer kept once: its tar-split metadata; the
//	                        blob is gone and is assembled from layers/<hex>/
//	                        when read (tarsplit.go)
//
// Layer blobs are stored uncompressed, so a layer's blob digest is also its
// diff_id. Configs and manifests are OCI JSON blobs; the image id is the
// config digest, as in Docker.
//
// Crash safety rests on three rules. Everything is written to a temporary
// name ".tmp-<pid>-<random>" and renamed into place, so a final name only
// ever holds complete content. images.json is the only place that makes a
// blob or layer reachable, and it is rewritten after new blobs are in place
// and before old ones are deleted, so a crash leaves garbage, never a
// dangling reference. Open removes temporaries whose pid is no longer
// alive, and Remove and Prune sweep blobs and layers that no record uses.
//
// The package does not extract tar archives itself: an injected Unpacker
// does, so that the caller decides whether extraction runs in-process or
// inside a user namespace. It does not talk to registries either.
package image
