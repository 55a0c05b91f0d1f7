package copier

// Op is one COPY or ADD, as the build engine hands it to the copy task that
// runs inside the build container's user namespace (isolation.Spec.Task
// named "copy"). Paths in Sources are relative to the source tree (the
// build context, another stage's root filesystem or an image's); Dest is a
// path in the destination root filesystem, relative to the stage's WORKDIR
// already made absolute by the engine.
type Op struct {
	// Sources as written in the Dockerfile (after variable expansion):
	// may contain globs (filepath.Match syntax, as Docker), may name files
	// or directories. A directory source copies its contents, not itself
	// (unless Parents is set).
	Sources []string `json:"sources"`
	// Dest is the absolute destination. A trailing "/" (or several
	// sources, or a glob matching several) means a directory.
	Dest string `json:"dest"`
	// UID and GID, when non-nil, own every created file and directory
	// (--chown, already resolved to numbers by the engine); otherwise
	// files are owned by 0:0, as Docker does for COPY.
	UID *int `json:"uid,omitempty"`
	GID *int `json:"gid,omitempty"`
	// Mode, when non-nil, is the permission bits of every copied file and
	// directory (--chmod).
	Mode *uint32 `json:"mode,omitempty"`
	// Exclude patterns (--exclude), matched like .dockerignore patterns
	// against source-relative paths.
	Exclude []string `json:"exclude,omitempty"`
	// Ignore are the build context's .dockerignore patterns (only for
	// copies from the context).
	Ignore []string `json:"ignore,omitempty"`
	// Parents keeps the source's parent directories (--parents).
	Parents bool `json:"parents,omitempty"`
	// ExtractArchives unpacks local tar archives (plain, gzip, bzip2, xz)
	// instead of copying them (ADD semantics), through core/layer's secure
	// extraction.
	ExtractArchives bool `json:"extract_archives,omitempty"`
	// Files are extra files to create, e.g. COPY <<EOF heredocs or ADD of
	// a downloaded URL: name (relative to Dest when Dest is a directory,
	// or Dest itself) and content.
	Files []File `json:"files,omitempty"`
	// Upper, when set, is the overlay upper directory of the destination
	// (the destination root is that overlay's mount): each copied file,
	// once created through the overlay, is filled through the very same
	// inode there (upperFile checks it is), where the kernel can copy in
	// place (copy_file_range: a reflink, or a copy inside the file
	// system) what it refuses to copy across the overlay (EXDEV).
	Upper string `json:"upper,omitempty"`
	// Reuse, when set (with Upper), is the layer this step made the last
	// time and what it copied there: a file whose source is unchanged
	// since is hard-linked from it instead of copied (reuse.go).
	Reuse *Reuse `json:"reuse,omitempty"`
}

// Reuse is an earlier result of the same step (same parent, instruction
// and options; only the content of the sources may differ).
type Reuse struct {
	// Dir is that step's layer directory, in the same file system as
	// Upper.
	Dir string `json:"dir"`
	// Before is when that layer was committed (Unix ns): a file there
	// born later is not the one its copy made.
	Before int64 `json:"before"`
	// Files are the files that copy made, by destination path relative
	// to the root (the Report's Files of its Copy calls).
	Files map[string]Source `json:"files"`
}

// Source is the source file a destination file was copied from: its path
// from the source root and its inode when it was read.
type Source struct {
	Path string `json:"path"`
	Dev  uint64 `json:"dev"`
	Ino  uint64 `json:"ino"`
}

// Report is what Copy did that a later Op.Reuse may build on.
type Report struct {
	// Files are the regular files of at least MinReuseSize bytes copied
	// from the source tree (reused ones included), by destination path
	// relative to the root.
	Files map[string]Source `json:"files,omitempty"`
	// Reused counts the files hard-linked from Reuse.Dir.
	Reused int `json:"reused,omitempty"`
}

// File is a file given by content rather than by source path.
type File struct {
	Name    string `json:"name"`
	Content []byte `json:"content"`
	Mode    uint32 `json:"mode,omitempty"` // default 0644
}
