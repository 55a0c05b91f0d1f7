package cli

// The commands that move images through registries and archives live in
// the full hull only where the default one is built without their
// libraries (build tag appsbin: net/http, crypto/tls,
// go-containerregistry, the progress bars): there they are thin commands
// of the same names and usage (transferstub.go) that exec the full hull
// (core/appbin). Both take their one-line usage from here so `hull
// --help` reads the same.
const (
	pullUsage   = "Download an image from a registry"
	pushUsage   = "Upload an image to a registry"
	loginUsage  = "Log in to a registry (credentials go to the Docker config)"
	logoutUsage = "Log out from a registry"
	searchUsage = "Search a registry's catalog for images"
	saveUsage   = "Save one or more images to a tar archive (streamed to STDOUT by default)"
	loadUsage   = "Load images from a docker-archive, OCI archive or OCI layout (STDIN by default)"
	importUsage = "Import the contents from a tarball to create a filesystem image"
)
