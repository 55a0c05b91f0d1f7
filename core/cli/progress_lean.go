//go:build appsbin

package cli

import (
	"io"

	"github.com/hull-project/hull/core/transfer"
)

// The default hull pulls nothing itself (a run that needs a pull is handed
// to the full hull, core.ImageFor), so it links no progress bars (mpb and
// its terminal-width tables): its run and create report to nothing.

func newProgress(io.Writer, bool) transfer.Progress { return transfer.Quiet{} }

func finishProgress(transfer.Progress) {}
