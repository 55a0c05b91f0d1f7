package builders

import (
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/hull-project/hull/builders/dockerfile"
)

// predefinedArgs may be given with --build-arg without an ARG, as in
// Docker, and never trigger the "not consumed" warning.
var predefinedArgs = map[string]bool{
	"HTTP_PROXY": true, "http_proxy": true, "HTTPS_PROXY": true, "https_proxy": true,
	"FTP_PROXY": true, "ftp_proxy": true, "NO_PROXY": true, "no_proxy": true,
	"ALL_PROXY": true, "all_proxy": true,
}

// platformArgs are BuildKit's automatic platform ARGs (global scope: a
// stage sees them after `ARG NAME`).
func (b *build) platformArgs() map[string]string {
	p := b.platform()
	os, arch, _ := strings.Cut(p, "/")
	host := runtime.GOOS + "/" + runtime.GOARCH
	return map[string]string{
		"TARGETPLATFORM": p, "TARGETOS": os, "TARGETARCH": arch,
		"BUILDPLATFORM": host, "BUILDOS": runtime.GOOS, "BUILDARCH": runtime.GOARCH,
	}
}

// resolveMetaArgs evaluates the ARGs before the first FROM: --build-arg
// overrides a default; later ARGs see earlier ones.
func (b *build) resolveMetaArgs() (map[string]string, error) {
	meta := b.platformArgs()
	for _, ins := range b.df.MetaArgs {
		defs, err := dockerfile.ParseArgsEscape(strings.Join(ins.Args, " "), b.df.Directives.Escape)
		if err != nil {
			return nil, b.lineErr(ins, err)
		}
		for _, d := range defs {
			val, ok := b.opts.BuildArgs[d.Name]
			if ok {
				b.usedArgs.Store(d.Name, true)
			} else if d.Default != nil {
				v, err := dockerfile.Expand(*d.Default, lookupIn(meta), b.df.Directives.Escape)
				if err != nil {
					return nil, b.lineErr(ins, err)
				}
				val, ok = v, true
			}
			if ok {
				meta[d.Name] = val
			} else {
				delete(meta, d.Name)
			}
		}
	}
	return meta, nil
}

// expandMeta expands a FROM or --from value with the meta ARGs.
func (b *build) expandMeta(s string) string {
	v, err := dockerfile.Expand(s, lookupIn(b.metaArgs), b.df.Directives.Escape)
	if err != nil {
		return s
	}
	return v
}

func lookupIn(m map[string]string) dockerfile.Lookup {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// scope is the ARGs visible in a stage, in declaration order.
type scope struct {
	names  []string
	values map[string]string
}

func (s *scope) set(name, value string) {
	if s.values == nil {
		s.values = map[string]string{}
	}
	if _, ok := s.values[name]; !ok {
		s.names = append(s.names, name)
	}
	s.values[name] = value
}

func (s *scope) clone() scope {
	c := scope{names: append([]string(nil), s.names...), values: map[string]string{}}
	for k, v := range s.values {
		c.values[k] = v
	}
	return c
}

// sorted renders the scope for cache keys.
func (s *scope) sorted() []string {
	out := make([]string, 0, len(s.values))
	for k, v := range s.values {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// declareArg handles ARG inside a stage: the value comes from --build-arg,
// else the default (expanded with what is in scope and the env), else the
// meta ARG of the same name.
func (b *build) declareArg(st *stageState, ins dockerfile.Instruction) error {
	defs, err := dockerfile.ParseArgsEscape(strings.Join(ins.Args, " "), b.df.Directives.Escape)
	if err != nil {
		return b.lineErr(ins, err)
	}
	for _, d := range defs {
		if v, ok := b.opts.BuildArgs[d.Name]; ok {
			b.usedArgs.Store(d.Name, true)
			st.args.set(d.Name, v)
			continue
		}
		if d.Default != nil {
			v, err := dockerfile.Expand(*d.Default, st.lookup(), b.df.Directives.Escape)
			if err != nil {
				return b.lineErr(ins, err)
			}
			st.args.set(d.Name, v)
			continue
		}
		if v, ok := b.metaArgs[d.Name]; ok {
			st.args.set(d.Name, v)
			continue
		}
		// Declared without a value: in scope (for the "consumed" check)
		// but unset.
	}
	return nil
}

// lineErr attaches the Dockerfile position to err.
func (b *build) lineErr(ins dockerfile.Instruction, err error) error {
	if _, ok := err.(*dockerfile.Error); ok {
		return err
	}
	at := fmt.Sprintf("%s:%d: ", b.opts.DockerfileName, ins.StartLine)
	if strings.HasPrefix(err.Error(), at) {
		return err
	}
	return fmt.Errorf("%s%s: %w", at, ins.Keyword, err)
}
