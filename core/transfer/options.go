package transfer

// PullOptions are the options of `hull pull` (and of the pull a run or a
// build's FROM makes).
type PullOptions struct {
	Platform string   // "os/arch[/variant]"; "" is the host's
	Insecure bool     // --tls-verify=false: plain HTTP or unchecked TLS for any registry
	Progress Progress // nil reports nothing
}

// PushOptions are the options of `hull push`.
type PushOptions struct {
	Insecure bool     // --tls-verify=false
	Progress Progress // nil reports nothing
}

// Pushed is the result of a push: the manifest digest and size, as
// Docker's "latest: digest: sha256:… size: 528".
type Pushed struct {
	Tag    string
	Digest string
	Size   int
}

// LoginOptions are the options of `hull login`.
type LoginOptions struct {
	Server   string // registry host[:port]; "" is Docker Hub
	Username string
	Password string
	Insecure bool // --tls-verify=false
}

// The formats `hull save` writes.
const (
	DockerArchive = "docker-archive"
	OCIArchive    = "oci-archive"
	OCIDir        = "oci-dir"
)

// SaveOptions are the options of `hull save`.
type SaveOptions struct {
	Format string // DockerArchive (default), OCIArchive or OCIDir
	Output string // file (directory for OCIDir); "" writes to the writer given to Save
}

// Loaded is one image that `hull load` stored, with the names it got.
type Loaded struct {
	ID    string
	Names []string
}
