// Package registry moves images between hull's image store and OCI
// distribution registries (Docker Hub, a local docker-registry, any
// registry that speaks the distribution API), through go-containerregistry.
//
// Pull resolves a reference (normalised as Docker does), picks the host's
// platform from an image index, downloads the layers in parallel and hands
// each one to the store as an uncompressed stream that is stored and
// unpacked at once and checked against the config's diff_ids. Push
// compresses the store's uncompressed layers with gzip and uploads them.
// Credentials come from the Docker config (~/.docker/config.json,
// $DOCKER_CONFIG) and its credential helpers; Login and Logout edit it.
//
// Registries on localhost and 127.0.0.0/8 are reached over plain HTTP, as
// Docker does; others need TLS unless Insecure is set. The package does not
// print: it reports transfers to a Progress the caller supplies.
package registry
