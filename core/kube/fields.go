package kube

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// supported lists, per kind, the fields hull carries out, as JSON paths
// ("[]" for each list element). A path ending in ".*" accepts everything
// under it. Any other field that is set is a warning naming it: the file
// is played without it, never silently.
var supported = map[string][]string{
	"Pod":                   podFields("", true),
	"Deployment":            append(append(metaFields(""), "spec.replicas", "spec.selector.*"), podFields("spec.template.", false)...),
	"ConfigMap":             append(metaFields(""), "data.*", "binaryData.*"),
	"Secret":                append(metaFields(""), "data.*", "stringData.*", "type"),
	"PersistentVolumeClaim": append(metaFields(""), "spec.accessModes", "spec.resources.*", "spec.storageClassName", "spec.volumeMode"),
}

// metaFields: creationTimestamp, uid and the like are the API server's
// record of an object (`kubectl get -o yaml`, `podman generate kube`
// write them): a file that carries them asks nothing of hull.
func metaFields(prefix string) []string {
	return []string{prefix + "apiVersion", prefix + "kind", prefix + "metadata.name", prefix + "metadata.labels.*",
		prefix + "metadata.creationTimestamp", prefix + "metadata.uid", prefix + "metadata.resourceVersion",
		prefix + "metadata.generation", prefix + "metadata.managedFields.*"}
}

func podFields(prefix string, named bool) []string {
	f := []string{prefix + "metadata.labels.*"}
	if named {
		f = append(f, metaFields(prefix)...)
	} else {
		f = append(f, prefix+"metadata.name")
	}
	s := prefix + "spec."
	f = append(f, s+"restartPolicy", s+"hostname", s+"securityContext.runAsUser", s+"securityContext.runAsGroup", s+"securityContext.runAsNonRoot", s+"securityContext.seccompProfile.*",
		s+"volumes[].name", s+"volumes[].emptyDir.*", s+"volumes[].hostPath.*", s+"volumes[].persistentVolumeClaim.*",
		s+"volumes[].configMap.*", s+"volumes[].secret.*")
	c := s + "containers[]."
	f = append(f, c+"name", c+"image", c+"imagePullPolicy", c+"command", c+"args", c+"workingDir",
		c+"env[].name", c+"env[].value", c+"env[].valueFrom.configMapKeyRef.*", c+"env[].valueFrom.secretKeyRef.*",
		c+"envFrom[].prefix", c+"envFrom[].configMapRef.*", c+"envFrom[].secretRef.*",
		c+"ports[].containerPort", c+"ports[].hostPort", c+"ports[].hostIP", c+"ports[].protocol", c+"ports[].name",
		c+"volumeMounts[].name", c+"volumeMounts[].mountPath", c+"volumeMounts[].readOnly",
		c+"resources.limits.memory", c+"resources.limits.cpu",
		c+"securityContext.runAsUser", c+"securityContext.runAsGroup", c+"securityContext.readOnlyRootFilesystem",
		c+"securityContext.capabilities.*", c+"securityContext.runAsNonRoot", c+"securityContext.allowPrivilegeEscalation",
		c+"securityContext.privileged", c+"securityContext.seccompProfile.*", c+"securityContext.procMount")
	for _, p := range []string{"livenessProbe", "readinessProbe"} {
		f = append(f, c+p+".exec.command", c+p+".periodSeconds", c+p+".timeoutSeconds",
			c+p+".initialDelaySeconds", c+p+".failureThreshold")
	}
	return f
}

// unsupportedFields names the fields of obj, of kind, that are set but not
// supported, one warning each (a list's elements are reported once).
func unsupportedFields(what, kind string, obj any) []string {
	raw, err := json.Marshal(obj)
	if err != nil {
		return []string{fmt.Sprintf("%s: cannot check its fields: %v", what, err)}
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return []string{fmt.Sprintf("%s: cannot check its fields: %v", what, err)}
	}
	allowed := map[string]bool{}
	for _, p := range supported[kind] {
		allowed[p] = true
	}
	found := map[string]bool{}
	walkFields(tree, "", allowed, found)
	var out []string
	for p := range found {
		out = append(out, fmt.Sprintf("%s: field %s is not supported, ignored", what, p))
	}
	sort.Strings(out)
	return out
}

func walkFields(v any, path string, allowed, found map[string]bool) {
	if path != "" {
		if allowed[path] {
			return
		}
		for p := range allowed {
			if rest, ok := strings.CutSuffix(p, ".*"); ok && (path == rest || strings.HasPrefix(path, rest+".") || strings.HasPrefix(path, rest+"[]")) {
				return
			}
		}
	}
	switch t := v.(type) {
	case map[string]any:
		for k, sub := range t {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walkFields(sub, p, allowed, found)
		}
	case []any:
		for _, sub := range t {
			walkFields(sub, path+"[]", allowed, found)
		}
	case nil:
		// Zero values the API types marshal as null (creationTimestamp).
	default:
		if path != "" && !isZero(t) {
			// Annotations are free-form keys: one warning for all.
			if i := strings.Index(path, "metadata.annotations."); i >= 0 {
				path = path[:i] + "metadata.annotations"
			}
			found[path] = true
		}
	}
}

// isZero: the API types marshal some unset fields as zero values without
// omitempty ("status": {} is a map, handled above).
func isZero(v any) bool {
	switch t := v.(type) {
	case string:
		return t == ""
	case float64:
		return t == 0
	case bool:
		return !t
	}
	return false
}
