package registry

import "github.com/hull-project/hull/core/transfer"

// The options, results and progress contract of this package are plain
// data in core/transfer, which links none of this package's libraries:
// the default hull names them without linking these (docs/speed.md).
type (
	PullOptions  = transfer.PullOptions
	PushOptions  = transfer.PushOptions
	Pushed       = transfer.Pushed
	LoginOptions = transfer.LoginOptions
	Progress     = transfer.Progress
	Transfer     = transfer.Blob
	Quiet        = transfer.Quiet
)

func progressOrQuiet(p Progress) Progress { return transfer.OrQuiet(p) }
