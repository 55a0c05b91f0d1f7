package archive

import "github.com/hull-project/hull/core/transfer"

// The formats Save writes, its options and what Load stored: plain data
// in core/transfer, which links none of this package's libraries (the
// default hull names them without linking these, docs/speed.md).
const (
	DockerArchive = transfer.DockerArchive
	OCIArchive    = transfer.OCIArchive
	OCIDir        = transfer.OCIDir
)

type (
	SaveOptions = transfer.SaveOptions
	Loaded      = transfer.Loaded
)
