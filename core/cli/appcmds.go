package cli

// The app-file commands live in the full hull only (build tag apps:
// compose.go, kube.go); the default hull has thin commands of the same
// names and usage (appstub.go) that exec it (core/appbin). Both builds
// take their one-line usage from here so `hull --help` reads the same.
const (
	composeUsage  = "Run multi-container applications from compose files (compose.yaml)"
	kubeUsage     = "Run Kubernetes Pods and Deployments locally, and remove them"
	generateUsage = "Write Kubernetes manifests or an ECS task definition of containers, pods and compose projects"
)
