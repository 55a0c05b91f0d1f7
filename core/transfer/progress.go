package transfer

// Progress receives the blob transfers of a pull, push or load.
// Implementations must be safe for concurrent use: layers move in
// parallel.
type Progress interface {
	// Layer announces the transfer of one blob of size bytes (its short
	// id is the first 12 hex digits of its digest).
	Layer(id string, size int64) Blob
}

// Blob follows the transfer of one blob.
type Blob interface {
	// Add counts n more bytes moved.
	Add(n int)
	// Done ends the transfer with a status ("Pull complete", "Already
	// exists", "Pushed") or an error.
	Done(status string, err error)
}

// Quiet is a Progress that reports nothing.
type Quiet struct{}

// Layer returns a Blob that ignores everything.
func (Quiet) Layer(string, int64) Blob { return quietBlob{} }

type quietBlob struct{}

func (quietBlob) Add(int)            {}
func (quietBlob) Done(string, error) {}

// OrQuiet is p, or Quiet when p is nil.
func OrQuiet(p Progress) Progress {
	if p == nil {
		return Quiet{}
	}
	return p
}
