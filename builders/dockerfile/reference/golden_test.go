package reference

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/hull-project/hull/builders/dockerfile"
)

// TestGoldenLinesMatchBuildKit holds hull's line layer (continuations,
// comments, directives, heredocs, line numbers) to BuildKit's parser on
// every golden case of builders/dockerfile/testdata: the same
// instructions, on the same lines, with the same heredocs. BuildKit's
// parser leaves chomping (<<-) to its caller; it is applied here.
func TestGoldenLinesMatchBuildKit(t *testing.T) {
	paths, err := filepath.Glob("../testdata/*/Dockerfile")
	if err != nil || len(paths) < 25 {
		t.Fatalf("golden cases: %d, %v", len(paths), err)
	}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := hullLines(string(src))
		if err != nil {
			t.Errorf("%s: hull: %v", p, err)
			continue
		}
		want, err := buildkitLines(string(src))
		if err != nil {
			t.Errorf("%s: BuildKit: %v", p, err)
			continue
		}
		if got != want {
			t.Errorf("%s differs\n--- hull\n%s--- BuildKit\n%s", p, got, want)
		}
	}
}

// TestBuildKitErrorsAreHullErrors: a file BuildKit's parser rejects,
// hull's rejects too (hull checks more: flags, arguments, stages).
func TestBuildKitErrorsAreHullErrors(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/errors/*.Dockerfile")
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := buildkitLines(string(src)); err == nil {
			continue
		}
		if _, err := hullLines(string(src)); err == nil {
			t.Errorf("%s: BuildKit's parser rejects it, hull's accepts it", p)
		}
	}
}

func hullLines(src string) (string, error) {
	df, err := dockerfile.Parse(strings.NewReader(src), "Dockerfile")
	if err != nil {
		return "", err
	}
	all := append([]dockerfile.Instruction{}, df.MetaArgs...)
	for _, st := range df.Stages {
		all = append(all, st.From)
		all = append(all, st.Instructions...)
	}
	var b strings.Builder
	for _, in := range all {
		fmt.Fprintf(&b, "%d-%d %s", in.StartLine, in.EndLine, in.Keyword)
		for _, h := range in.Heredocs {
			fmt.Fprintf(&b, " <<%s expand=%t chomp=%t fd=%d %q", h.Name, h.Expand, h.Chomp, h.FileDescriptor, h.Content)
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

func buildkitLines(src string) (string, error) {
	res, err := parser.Parse(strings.NewReader(src))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, n := range res.AST.Children {
		fmt.Fprintf(&b, "%d-%d %s", n.StartLine, n.EndLine, strings.ToUpper(n.Value))
		for _, h := range n.Heredocs {
			content := h.Content
			if h.Chomp {
				content = parser.ChompHeredocContent(content)
			}
			fmt.Fprintf(&b, " <<%s expand=%t chomp=%t fd=%d %q", h.Name, h.Expand, h.Chomp, h.FileDescriptor, content)
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}
