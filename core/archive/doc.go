// Package archive writes images from hull's store to files and reads them
// back, through go-containerregistry: docker-archive (what `docker save`
// and `podman save` write and `docker load` and `podman load` read), OCI
// archive (a tar of an OCI image layout) and OCI layout directories.
//
// Saving streams the store's uncompressed layer blobs as they are; loading
// accepts uncompressed, gzip and zstd layers and stores each one as the
// registry puller does (see registry.Store), checked against the image
// config's diff_ids. Reading an archive never writes outside a temporary
// directory in the store: a docker-archive is read in place, and an OCI
// archive is unpacked (regular files only, local names only) before it is
// opened as a layout.
package archive
