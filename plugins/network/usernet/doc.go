// Package usernet is hull's built-in driver of named networks ("hull
// network create"), rootless and daemonless.
//
// Each named network that has a container attached is served by one small
// process, `hull __hull-netd` (Main), started by the first attach and
// ending with the last container: an Ethernet switch in user space between
// one tap device per container, which also answers ARP and DNS on the
// network's gateway address (names of the containers on this network
// only; other names are forwarded to the host's name servers unless the
// network is internal). The tap device is made in the container's own
// network namespace by `hull __hull-nettap` (TapMain), started through
// nsenter in the container's user and network namespaces (a Go process
// cannot join a user namespace), which hands its fd back over a unix
// socket; moving veth devices between namespaces would need
// CAP_NET_ADMIN over two user namespaces hull does not have.
//
// The way out (and -p) stays each container's own slirp4netns or pasta,
// exactly as on the default network; an internal network has none.
//
// The per-network process holds a pidfd of each container's init: when one
// ends its port goes, when the last goes the process exits; a kill -9 of
// any hull command therefore leaves nothing behind (the container it
// started dies with it, and with it its port).
package usernet
