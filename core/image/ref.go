package image

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// The reference grammar of github.com/distribution/reference, which is
// what Docker accepts. Compiled on first use: every hull process (the
// container init too) would otherwise pay for them at start-up.
var (
	pathRE   = lazyRE(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	domainRE = lazyRE(`^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$`)
	tagRE    = lazyRE(`^[\w][\w.-]{0,127}$`)
	digestRE = lazyRE(`^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$`)
	hex64RE  = lazyRE(`^[a-f0-9]{64}$`)
)

const (
	defaultDomain = "docker.io"
	nameMaxLen    = 255
)

// NormalizeRef turns a reference into the fully qualified form stored in
// the index, as Docker does: "busybox" becomes
// "docker.io/library/busybox:latest", "me/app:1" becomes "docker.io/me/app:1",
// "localhost:5000/x" becomes "localhost:5000/x:latest". A digest is kept,
// and ":latest" is only added when there is neither tag nor digest.
func NormalizeRef(ref string) (string, error) {
	name, tag, dig := splitRef(ref)
	if noTag, _, hasDig := strings.Cut(ref, "@"); (hasDig && dig == "") || strings.HasSuffix(noTag, ":") {
		return "", fmt.Errorf("invalid reference format: %q", ref)
	}
	if dig != "" && !validDigest(dig) {
		return "", fmt.Errorf("invalid reference format: %q: bad digest", ref)
	}
	if tag != "" && !tagRE().MatchString(tag) {
		return "", fmt.Errorf("invalid reference format: %q: bad tag", ref)
	}
	domain, path := splitDomain(name)
	if hex64RE().MatchString(ref) {
		return "", fmt.Errorf("invalid repository name %q: cannot specify 64-byte hexadecimal strings", ref)
	}
	if !pathRE().MatchString(path) {
		if pathRE().MatchString(strings.ToLower(path)) {
			return "", fmt.Errorf("invalid reference format: repository name (%s) must be lowercase", path)
		}
		return "", fmt.Errorf("invalid reference format: %q", ref)
	}
	if !domainRE().MatchString(domain) || len(domain)+1+len(path) > nameMaxLen {
		return "", fmt.Errorf("invalid reference format: %q", ref)
	}
	out := domain + "/" + path
	if tag == "" && dig == "" {
		tag = "latest"
	}
	if tag != "" {
		out += ":" + tag
	}
	if dig != "" {
		out += "@" + dig
	}
	return out, nil
}

// splitRef splits "name:tag@digest" into its parts; the tag is the part
// after the last colon that follows the last slash (a colon before it is
// a registry port).
func splitRef(ref string) (name, tag, dig string) {
	name, dig, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, dig
}

// splitDomain applies Docker's rule: the first component is a registry
// when it has a dot or colon, is "localhost", or has upper-case letters.
func splitDomain(name string) (domain, path string) {
	first, rest, ok := strings.Cut(name, "/")
	if !ok || (!strings.ContainsAny(first, ".:") && first != "localhost" && strings.ToLower(first) == first) {
		domain, path = defaultDomain, name
	} else {
		domain, path = first, rest
	}
	if domain == "index.docker.io" {
		domain = defaultDomain
	}
	if domain == defaultDomain && !strings.Contains(path, "/") {
		path = "library/" + path
	}
	return domain, path
}

func validDigest(d string) bool {
	if !digestRE().MatchString(d) {
		return false
	}
	if enc, ok := strings.CutPrefix(d, "sha256:"); ok {
		return hex64RE().MatchString(enc)
	}
	return true
}

// FamiliarName splits a reference into the repository and tag that
// `images` shows: "docker.io/library/busybox:latest" gives ("busybox",
// "latest"); a reference with only a digest gives tag "<none>".
func FamiliarName(ref string) (repo, tag string) {
	if norm, err := NormalizeRef(ref); err == nil {
		ref = norm
	}
	name, tag, _ := splitRef(ref)
	if tag == "" {
		tag = "<none>"
	}
	return familiarRepo(name), tag
}

// FamiliarString is the short form Docker prints, e.g. in "Untagged:
// busybox:latest" or "Untagged: busybox@sha256:...".
func FamiliarString(ref string) string {
	if norm, err := NormalizeRef(ref); err == nil {
		ref = norm
	}
	name, tag, dig := splitRef(ref)
	out := familiarRepo(name)
	if tag != "" {
		out += ":" + tag
	}
	if dig != "" {
		out += "@" + dig
	}
	return out
}

func familiarRepo(name string) string {
	if rest, ok := strings.CutPrefix(name, defaultDomain+"/"); ok {
		name = rest
		if short, ok := strings.CutPrefix(rest, "library/"); ok && !strings.Contains(short, "/") {
			name = short
		}
	}
	return name
}

// repoOf is the repository part of a normalised reference.
func repoOf(ref string) string {
	name, _, _ := splitRef(ref)
	return name
}

func lazyRE(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
