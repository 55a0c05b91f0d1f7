package instructions

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// copySpec is a COPY or ADD with everything expanded and resolved.
type copySpec struct {
	req      sdk.CopyRequest // Sources: the non-heredoc sources only
	heredocs []sdk.Heredoc   // heredoc sources, in order
	rawDest  string          // the destination as written (expanded), for history
}

// execCopy copies files into the stage (COPY, ADD).
func execCopy(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
	spec, err := parseCopy(req)
	if err != nil {
		return sdk.Response{}, err
	}
	for _, h := range spec.heredocs {
		w, err := heredocFile(req, spec, h)
		if err != nil {
			return sdk.Response{}, err
		}
		if err := host.WriteFile(ctx, w); err != nil {
			return sdk.Response{}, fmt.Errorf("write %s: %w", w.Path, err)
		}
	}
	if len(spec.req.Sources) > 0 {
		if err := host.Copy(ctx, spec.req); err != nil {
			return sdk.Response{}, fmt.Errorf("copy to %s: %w", spec.req.Dest, err)
		}
	}
	return sdk.Response{Config: cloneConfig(req.Config), History: copyHistory(req, spec)}, nil
}

// copyInputs adds COPY/ADD's sources to the cache inputs: context paths
// when copying from the context, the stage or image otherwise, URLs with
// their checksum as opaque strings.
func copyInputs(req sdk.Request, in *sdk.CacheInputs) error {
	spec, err := parseCopy(req)
	if err != nil {
		return err
	}
	in.From = spec.req.From
	for _, s := range spec.req.Sources {
		switch {
		case isURL(s):
			in.Extra = append(in.Extra, "url="+s)
		case spec.req.From == "":
			in.ContextPaths = append(in.ContextPaths, s)
		}
	}
	if spec.req.Checksum != "" {
		in.Extra = append(in.Extra, "checksum="+spec.req.Checksum)
	}
	return nil
}

// parseCopy reads flags, sources and destination.
func parseCopy(req sdk.Request) (copySpec, error) {
	in := req.Instruction
	add := in.Keyword == "ADD"
	known := []string{"from", "chown", "chmod", "link", "parents", "exclude"}
	if add {
		known = []string{"chown", "chmod", "link", "exclude", "checksum", "keep-git-dir"}
	}
	f, err := parseFlags(in, known...)
	if err != nil {
		return copySpec{}, err
	}
	spec := copySpec{req: sdk.CopyRequest{ExtractArchives: add}}
	if err := copyFlags(req, f, &spec.req); err != nil {
		return copySpec{}, err
	}
	words, err := argWords(req)
	if err != nil {
		return copySpec{}, err
	}
	if len(words) < 2 {
		return copySpec{}, fmt.Errorf("%s requires at least two arguments, but only %d provided: destination could not be determined", in.Keyword, len(words))
	}
	spec.rawDest = words[len(words)-1]
	spec.req.Dest = resolveDest(req.Config.WorkingDir, spec.rawDest)
	spec.splitSources(in, words[:len(words)-1])
	return spec, checkChecksum(spec)
}

// copyFlags expands the flag values (Docker expands them as words too).
func copyFlags(req sdk.Request, f flags, cr *sdk.CopyRequest) error {
	if keep, err := f.bool("keep-git-dir"); err != nil || keep {
		if err == nil {
			err = errors.New("ADD --keep-git-dir is not supported")
		}
		return err
	}
	var err error
	for _, p := range []struct {
		name string
		dst  *string
	}{{"from", &cr.From}, {"chown", &cr.Chown}, {"chmod", &cr.Chmod}, {"checksum", &cr.Checksum}} {
		if v, ok := f.get(p.name); ok {
			if *p.dst, err = expand(req, v); err != nil {
				return fmt.Errorf("--%s: %w", p.name, err)
			}
		}
	}
	if err := checkChmod(cr.Chmod); err != nil {
		return err
	}
	if cr.Link, err = f.bool("link"); err != nil {
		return err
	}
	if cr.Parents, err = f.bool("parents"); err != nil {
		return err
	}
	cr.Exclude, err = expandEach(req, f.all("exclude"))
	return err
}

// checkChmod accepts octal up to 07777 and leaves symbolic modes to the
// engine, as BuildKit does.
func checkChmod(mode string) error {
	if mode == "" {
		return nil
	}
	p, err := strconv.ParseUint(mode, 8, 32)
	looksNumeric := strings.Trim(mode, "0123456789") == ""
	if (err == nil && p > 0o7777) || (err != nil && looksNumeric) {
		return fmt.Errorf("invalid chmod parameter: '%v'. it should be octal string and between 0 and 07777", mode)
	}
	return nil
}

// reHeredocWord matches a heredoc marker after expansion removed its quotes.
// Compiled on first use: package init runs on every hull start.
var reHeredocWord = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d*<<-?(.+)$`) })

// splitSources puts each source word either in the heredocs (a marker
// naming one of the instruction's heredocs) or in the copy's sources.
func (s *copySpec) splitSources(in sdk.Instruction, words []string) {
	next := 0
	for _, w := range words {
		m := reHeredocWord().FindStringSubmatch(w)
		if !in.JSON && m != nil && next < len(in.Heredocs) && in.Heredocs[next].Name == m[1] {
			s.heredocs = append(s.heredocs, in.Heredocs[next])
			next++
			continue
		}
		s.req.Sources = append(s.req.Sources, w)
	}
}

func checkChecksum(s copySpec) error {
	if s.req.Checksum == "" {
		return nil
	}
	if len(s.req.Sources) != 1 || len(s.heredocs) > 0 {
		return errors.New("checksum can't be specified for multiple sources")
	}
	if !isURL(s.req.Sources[0]) {
		return errors.New("checksum requires HTTP(S) or Git sources")
	}
	return nil
}

// isURL says whether an ADD source is fetched rather than read from a
// stage: http(s) and git sources.
func isURL(s string) bool {
	for _, p := range []string{"http://", "https://", "git://", "git@"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// resolveDest makes dest absolute against the working directory, keeping
// a trailing slash (it means "into this directory").
func resolveDest(workdir, dest string) string {
	if dest == "." || dest == "" {
		dest = "./"
	}
	slash := strings.HasSuffix(dest, "/")
	if !path.IsAbs(dest) {
		dest = path.Join("/", workdir, dest)
	}
	dest = path.Clean(dest)
	if slash && dest != "/" {
		dest += "/"
	}
	return dest
}

// heredocFile is the file a heredoc source becomes: dest/NAME when dest is
// a directory (trailing slash, or several sources), dest itself otherwise.
func heredocFile(req sdk.Request, spec copySpec, h sdk.Heredoc) (sdk.WriteFileRequest, error) {
	content := h.Content
	if h.Expand {
		var err error
		if content, err = expandHeredoc(req, content); err != nil {
			return sdk.WriteFileRequest{}, fmt.Errorf("heredoc %s: %w", h.Name, err)
		}
	}
	p := spec.req.Dest
	if strings.HasSuffix(p, "/") || len(spec.req.Sources)+len(spec.heredocs) > 1 {
		p = path.Join(p, h.Name)
	}
	w := sdk.WriteFileRequest{Path: path.Clean(p), Content: []byte(content), Mode: 0o644, Chown: spec.req.Chown}
	if m, err := strconv.ParseUint(spec.req.Chmod, 8, 32); err == nil {
		w.Mode = uint32(m)
	}
	return w, nil
}

// copyHistory is BuildKit's text: "COPY [--parents] [--chown=u] [--chmod=m]
// src... <<NAME... dest # buildkit".
func copyHistory(req sdk.Request, spec copySpec) string {
	parts := []string{req.Instruction.Keyword}
	if spec.req.Parents {
		parts = append(parts, "--parents")
	}
	if spec.req.Chown != "" {
		parts = append(parts, "--chown="+spec.req.Chown)
	}
	if spec.req.Chmod != "" {
		parts = append(parts, "--chmod="+spec.req.Chmod)
	}
	parts = append(parts, spec.req.Sources...)
	for _, h := range spec.heredocs {
		parts = append(parts, "<<"+h.Name)
	}
	parts = append(parts, spec.rawDest)
	return strings.Join(parts, " ") + " # buildkit"
}
