package layer

import "encoding/binary"

// File capabilities, the xattr security.capability, in the kernel's VFS
// format: a little-endian magic (the revision in the top byte, the
// effective flag in bit 0), the permitted and inheritable sets (two
// 32-bit words each) and, in revision 3 only, the uid of the user
// namespace root the capabilities are for.
const (
	capXattr      = "security.capability"
	capRevMask    = 0xff000000
	capRevision2  = 0x02000000
	capRevision3  = 0x03000000
	capSizeV2     = 20
	capSizeV3     = 24
	capRootOffset = 20
)

// mapCapRoot turns a capability read on the host into the form a reader
// inside the container sees, as the kernel does for such a reader: the
// root uid of a revision-3 value goes through mapUID, and a value for the
// container's root becomes revision 2 (no root uid), the form images
// carry. Other values are returned as they are.
func mapCapRoot(val []byte, mapUID func(int) int) []byte {
	if len(val) != capSizeV3 || binary.LittleEndian.Uint32(val)&capRevMask != capRevision3 {
		return val
	}
	root := mapUID(int(binary.LittleEndian.Uint32(val[capRootOffset:])))
	if root != 0 {
		out := append([]byte(nil), val...)
		binary.LittleEndian.PutUint32(out[capRootOffset:], uint32(root))
		return out
	}
	out := append([]byte(nil), val[:capSizeV2]...)
	magic := binary.LittleEndian.Uint32(val)&^capRevMask | capRevision2
	binary.LittleEndian.PutUint32(out, magic)
	return out
}
