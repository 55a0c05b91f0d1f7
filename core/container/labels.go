package container

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseLabels turns --label-file contents and -l/--label flags into a map,
// as docker run does: files first, then flags, a later KEY winning; a bare
// KEY has the value "" (label files take no values from the environment,
// unlike env files).
func ParseLabels(files, labels []string) (map[string]string, error) {
	var words []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read label file: %w", err)
		}
		w, err := parseLabelFile(b)
		if err != nil {
			return nil, fmt.Errorf("label file %s: %w", f, err)
		}
		words = append(words, w...)
	}
	words = append(words, labels...)
	if len(words) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(words))
	for _, w := range words {
		k, v, _ := strings.Cut(w, "=")
		if strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("invalid label '%s': empty name", w)
		}
		out[k] = v
	}
	return out, nil
}

func parseLabelFile(b []byte) ([]string, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	var words []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		if !utf8.Valid(sc.Bytes()) {
			return nil, fmt.Errorf("invalid utf8 bytes at line %d", n)
		}
		line := strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, _, _ := strings.Cut(line, "="); strings.ContainsAny(name, " \t\n\v\f\r") {
			return nil, fmt.Errorf("variable '%s' contains whitespaces", name)
		}
		words = append(words, line)
	}
	return words, sc.Err()
}

// mergeLabels is the container's Config.Labels: the image's labels with
// the user's over them (Docker's merge); a copy, so the image's map is
// never shared with the record.
func mergeLabels(image, user map[string]string) map[string]string {
	if len(image) == 0 && len(user) == 0 {
		return nil
	}
	out := maps.Clone(image)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, user)
	return out
}

// MatchLabel is Docker's label filter on one container: KEY (present) or
// KEY=VALUE (present with that value).
func MatchLabel(labels map[string]string, filter string) bool {
	k, want, hasValue := strings.Cut(filter, "=")
	got, ok := labels[k]
	return ok && (!hasValue || got == want)
}
