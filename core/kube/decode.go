package kube

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Manifests are the objects of one file, by kind, in file order.
type Manifests struct {
	Pods        []*corev1.Pod
	Deployments []*appsv1.Deployment
	ConfigMaps  map[string]*corev1.ConfigMap
	Secrets     map[string]*corev1.Secret
	Claims      []*corev1.PersistentVolumeClaim
	// Services give the pods they select their names as network aliases
	// (kube play --network); nothing else of them is played.
	Services []*corev1.Service
}

// Decode reads a multi-document YAML (or JSON) file. Each document is
// decoded strictly: a field the API type does not have is an error naming
// it. Fields the type has but hull does not carry out are warnings (see
// Plan), and kinds hull does not play are a warning each.
func Decode(data []byte) (*Manifests, []string, error) {
	m := &Manifests{ConfigMaps: map[string]*corev1.ConfigMap{}, Secrets: map[string]*corev1.Secret{}}
	var warnings []string
	for i, doc := range splitDocuments(data) {
		n := i + 1
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, nil, fmt.Errorf("kube document %d: %w", n, err)
		}
		if tm.Kind == "" && tm.APIVersion == "" && isEmpty(doc) {
			continue
		}
		where := fmt.Sprintf("kube document %d (%s)", n, tm.Kind)
		var obj any
		switch tm.APIVersion + "/" + tm.Kind {
		case "v1/Pod":
			obj = &corev1.Pod{}
		case "apps/v1/Deployment":
			obj = &appsv1.Deployment{}
		case "v1/ConfigMap":
			obj = &corev1.ConfigMap{}
		case "v1/Secret":
			obj = &corev1.Secret{}
		case "v1/PersistentVolumeClaim":
			obj = &corev1.PersistentVolumeClaim{}
		case "v1/Service":
			obj = &corev1.Service{}
		default:
			if tm.Kind == "" {
				return nil, nil, fmt.Errorf("kube document %d: no kind", n)
			}
			return nil, nil, fmt.Errorf("%s: kind %s %s is not supported (Pod, Deployment, ConfigMap, Secret, PersistentVolumeClaim, Service)", where, tm.APIVersion, tm.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			return nil, nil, fmt.Errorf("%s: %s", where, strictMessage(err, doc, obj))
		}
		var name string
		switch o := obj.(type) {
		case *corev1.Pod:
			name = o.Name
			m.Pods = append(m.Pods, o)
		case *appsv1.Deployment:
			name = o.Name
			m.Deployments = append(m.Deployments, o)
		case *corev1.ConfigMap:
			name = o.Name
			m.ConfigMaps[name] = o
		case *corev1.Secret:
			name = o.Name
			m.Secrets[name] = o
		case *corev1.PersistentVolumeClaim:
			name = o.Name
			m.Claims = append(m.Claims, o)
		case *corev1.Service:
			name = o.Name
			m.Services = append(m.Services, o)
		}
		if name == "" {
			return nil, nil, fmt.Errorf("%s: metadata.name is empty", where)
		}
		if tm.Kind != "Service" {
			warnings = append(warnings, unsupportedFields(fmt.Sprintf("%s %s", tm.Kind, name), tm.Kind, obj)...)
		}
	}
	return m, warnings, nil
}

// strictMessage drops the decoder's layers of "error unmarshaling JSON:
// while decoding JSON:" and gives an unknown field its whole path, which
// the decoder does not say.
func strictMessage(err error, doc []byte, obj any) string {
	msg := err.Error()
	for _, p := range []string{"error unmarshaling JSON: ", "while decoding JSON: ", "json: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	name, ok := strings.CutPrefix(msg, "unknown field ")
	if !ok {
		return msg
	}
	name = strings.Trim(name, `"`)
	// Decode leniently, and find the key of that name the typed object
	// does not have.
	var in, typed any
	if yaml.Unmarshal(doc, &in) != nil || yaml.Unmarshal(doc, obj) != nil {
		return msg
	}
	raw, err := yaml.Marshal(obj)
	if err != nil || yaml.Unmarshal(raw, &typed) != nil {
		return msg
	}
	if p := unknownPath(in, typed, "", name); p != "" {
		return fmt.Sprintf("unknown field %q", p)
	}
	return msg
}

// unknownPath is the path of key name in "in" that "typed" lacks.
func unknownPath(in, typed any, path, name string) string {
	switch t := in.(type) {
	case map[string]any:
		tm, _ := typed.(map[string]any)
		for k, v := range t {
			p := k
			if path != "" {
				p = path + "." + k
			}
			tv, has := tm[k]
			if k == name && !has {
				return p
			}
			if r := unknownPath(v, tv, p, name); r != "" {
				return r
			}
		}
	case []any:
		tl, _ := typed.([]any)
		for i, v := range t {
			var tv any
			if i < len(tl) {
				tv = tl[i]
			}
			if r := unknownPath(v, tv, fmt.Sprintf("%s[%d]", path, i), name); r != "" {
				return r
			}
		}
	}
	return ""
}

// splitDocuments cuts a YAML stream at its "---" lines.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), len(data)+1)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "---") {
			rest := strings.TrimSpace(line[3:])
			if rest == "" || strings.HasPrefix(rest, "#") {
				docs = append(docs, append([]byte(nil), cur.Bytes()...))
				cur.Reset()
				continue
			}
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	return append(docs, cur.Bytes())
}

// isEmpty reports whether a document holds nothing but comments.
func isEmpty(doc []byte) bool {
	for _, l := range strings.Split(string(doc), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}
