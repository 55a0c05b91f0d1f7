// Package container keeps hull's container records and turns a record into
// an isolation.Spec.
//
// Each container lives in its own directory under <root>/containers/<id>/:
//
//	container.json   the record (Container), rewritten atomically
//	upper/, work/    the overlay's writable layer and its work dir
//	rootfs/          the mount point the root filesystem is assembled on
//
// <root>/containers.lock is an flock held while names are given out or taken
// back (create, rename, remove), so two hull processes never hand out the
// same name.
//
// The package parses the docker-run settings that shape a container (env,
// user, mounts, capabilities, security options, network mode) into the
// record, and builds the spec from the record alone, so that a later start
// of the same container needs nothing but container.json. It does not start
// processes (isolation does) or know about image storage beyond the layer
// directories it is handed.
package container
