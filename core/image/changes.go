package image

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// ApplyChanges applies Dockerfile-style instructions, as given to `import
// --change` and `commit --change`, to cfg: ENV, CMD, ENTRYPOINT, WORKDIR,
// USER, LABEL, EXPOSE, VOLUME and STOPSIGNAL. Quotes and backslashes are
// processed like Docker does; $VARIABLES are not expanded. As in a
// Dockerfile, ENTRYPOINT clears CMD unless an earlier change set CMD.
func ApplyChanges(cfg *ocispec.ImageConfig, changes []string) error {
	cmdSet := false
	for _, c := range changes {
		instr, rest, _ := strings.Cut(strings.TrimSpace(c), " ")
		instr = strings.ToUpper(instr)
		rest = strings.TrimSpace(rest)
		if rest == "" && instr != "" {
			return fmt.Errorf("--change %s requires at least one argument", instr)
		}
		var err error
		switch instr {
		case "ENV":
			err = applyEnv(cfg, rest)
		case "LABEL":
			err = applyLabel(cfg, rest)
		case "CMD":
			cfg.Cmd, cmdSet = commandArgs(rest), true
		case "ENTRYPOINT":
			cfg.Entrypoint = commandArgs(rest)
			if !cmdSet {
				cfg.Cmd = nil
			}
		case "WORKDIR":
			dir := unquote(rest)
			if !path.IsAbs(dir) {
				dir = path.Join("/", cfg.WorkingDir, dir)
			}
			cfg.WorkingDir = path.Clean(dir)
		case "USER":
			cfg.User = unquote(rest)
		case "EXPOSE":
			err = applyExpose(cfg, rest)
		case "VOLUME":
			err = applyVolume(cfg, rest)
		case "STOPSIGNAL":
			cfg.StopSignal, err = parseSignal(unquote(rest))
		default:
			return fmt.Errorf("unsupported --change instruction: %s", c)
		}
		if err != nil {
			return fmt.Errorf("--change %q: %w", c, err)
		}
	}
	return nil
}

// keyValues parses "K V" (the legacy form: value is the rest of the line)
// or "K=V K2='v 2'" into ordered pairs.
func keyValues(rest string) ([][2]string, error) {
	words := splitWords(rest)
	if len(words) == 0 {
		return nil, fmt.Errorf("names can not be blank")
	}
	if !strings.Contains(words[0], "=") {
		k, v, ok := strings.Cut(rest, " ")
		if !ok {
			return nil, fmt.Errorf("must have two arguments")
		}
		return [][2]string{{unquote(k), unquote(strings.TrimSpace(v))}}, nil
	}
	var out [][2]string
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("key=value expected, got %q", w)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func applyEnv(cfg *ocispec.ImageConfig, rest string) error {
	kvs, err := keyValues(rest)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		cfg.Env = setEnv(cfg.Env, kv[0], kv[1])
	}
	return nil
}

// setEnv replaces K in env in place, or appends it.
func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if name, _, _ := strings.Cut(e, "="); name == k {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

func applyLabel(cfg *ocispec.ImageConfig, rest string) error {
	kvs, err := keyValues(rest)
	if err != nil {
		return err
	}
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	for _, kv := range kvs {
		cfg.Labels[kv[0]] = kv[1]
	}
	return nil
}

// commandArgs parses the exec form (a JSON string array) or the shell
// form, which runs through /bin/sh -c.
func commandArgs(rest string) []string {
	if args, ok := jsonArgs(rest); ok {
		return args
	}
	return []string{"/bin/sh", "-c", rest}
}

func jsonArgs(rest string) ([]string, bool) {
	if !strings.HasPrefix(rest, "[") {
		return nil, false
	}
	var args []string
	if err := json.Unmarshal([]byte(rest), &args); err != nil {
		return nil, false
	}
	return args, true
}

func applyExpose(cfg *ocispec.ImageConfig, rest string) error {
	if cfg.ExposedPorts == nil {
		cfg.ExposedPorts = map[string]struct{}{}
	}
	for _, spec := range splitWords(rest) {
		ports, err := parsePorts(spec)
		if err != nil {
			return err
		}
		for _, p := range ports {
			cfg.ExposedPorts[p] = struct{}{}
		}
	}
	return nil
}

// parsePorts expands "80", "80/udp" or "8000-8002/tcp" into "port/proto"
// keys; the protocol defaults to tcp.
func parsePorts(spec string) ([]string, error) {
	rng, proto, ok := strings.Cut(spec, "/")
	proto = strings.ToLower(proto)
	if !ok {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return nil, fmt.Errorf("invalid protocol in port %q", spec)
	}
	lo, hi, isRange := strings.Cut(rng, "-")
	if !isRange {
		hi = lo
	}
	start, err1 := strconv.ParseUint(lo, 10, 16)
	end, err2 := strconv.ParseUint(hi, 10, 16)
	if err1 != nil || err2 != nil || start == 0 || end < start {
		return nil, fmt.Errorf("invalid port %q", spec)
	}
	var out []string
	for p := start; p <= end; p++ {
		out = append(out, fmt.Sprintf("%d/%s", p, proto))
	}
	return out, nil
}

func applyVolume(cfg *ocispec.ImageConfig, rest string) error {
	vols, ok := jsonArgs(rest)
	if !ok {
		vols = splitWords(rest)
	}
	if cfg.Volumes == nil {
		cfg.Volumes = map[string]struct{}{}
	}
	for _, v := range vols {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("volume specified can not be an empty string")
		}
		cfg.Volumes[v] = struct{}{}
	}
	return nil
}

// parseSignal accepts a signal number or a name with or without "SIG".
func parseSignal(s string) (string, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return "", fmt.Errorf("invalid signal %q", s)
		}
		return s, nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if unix.SignalNum(name) == 0 && !strings.HasPrefix(name, "SIGRTMIN") && !strings.HasPrefix(name, "SIGRTMAX") {
		return "", fmt.Errorf("invalid signal %q", s)
	}
	return s, nil
}

// splitWords splits on unquoted whitespace and removes quotes and
// backslash escapes, like Docker's shell lexer (without expansion).
func splitWords(s string) []string { return lex(s, true) }

// unquote removes quotes and escapes from s but keeps its whitespace.
func unquote(s string) string { return strings.Join(lex(s, false), "") }

func lex(s string, split bool) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			// Inside double quotes a backslash only escapes " \ and $.
			if quote == '"' && !strings.ContainsRune(`"\$`, r) {
				cur.WriteRune('\\')
			}
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case split && (r == ' ' || r == '\t' || r == '\n'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
