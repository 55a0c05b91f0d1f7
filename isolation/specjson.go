package isolation

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hull-project/hull/isolation/seccomp/bpfprog"
)

// appendSpec appends json.Marshal(s) to dst, byte for byte, written by
// hand: the first json.Marshal of a type in a process builds its encoders
// by reflection, which costs more than encoding the one spec a start
// sends (docs/speed.md). TestAppendSpecIsJSON fills every field of the
// spec's types by reflection, at random, and compares the two: a field
// added to a spec type and not here fails it. Rare fields of their own
// kind (raw JSON: a custom seccomp profile, a task's arguments) go
// through encoding/json.
func appendSpec(dst []byte, s *Spec) ([]byte, error) {
	o := object{b: dst}
	o.begin()
	o.str("id", s.ID)
	o.key("rootfs")
	o.rootfs(&s.Rootfs)
	o.key("mapping")
	o.mapping(&s.Mapping)
	o.strs("args", s.Args)
	o.strs("env", s.Env)
	o.str("cwd", s.Cwd)
	o.boolOmit("create_cwd", s.CreateCwd)
	o.int("uid", int64(s.UID))
	o.int("gid", int64(s.GID))
	if len(s.AdditionalGIDs) > 0 {
		o.key("additional_gids")
		o.b = append(o.b, '[')
		for i, g := range s.AdditionalGIDs {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = strconv.AppendInt(o.b, int64(g), 10)
		}
		o.b = append(o.b, ']')
	}
	o.boolOmit("keep_groups", s.KeepGroups)
	o.str("hostname", s.Hostname)
	if len(s.Mounts) > 0 {
		o.key("mounts")
		o.b = append(o.b, '[')
		for i := range s.Mounts {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.mount(&s.Mounts[i])
		}
		o.b = append(o.b, ']')
	}
	o.boolOmit("host_network", s.HostNetwork)
	if s.Join != nil {
		o.key("join")
		o.join(s.Join)
	}
	o.strs("capabilities", s.Capabilities)
	o.boolOmit("no_new_privileges", s.NoNewPrivileges)
	o.bool("seccomp", s.Seccomp)
	if len(s.SeccompProfile) > 0 {
		o.raw("seccomp_profile", s.SeccompProfile)
	}
	if len(s.Rlimits) > 0 {
		o.key("rlimits")
		o.b = append(o.b, '[')
		for i, r := range s.Rlimits {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			var e object
			e.b = o.b
			e.begin()
			e.str("type", r.Type)
			e.uint("soft", r.Soft)
			e.uint("hard", r.Hard)
			o.b = e.end()
		}
		o.b = append(o.b, ']')
	}
	o.boolOmit("root_emulation", s.RootEmulation)
	if len(s.SeccompPrograms) > 0 {
		o.key("seccomp_programs")
		o.b = append(o.b, '[')
		for i, p := range s.SeccompPrograms {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = appendBytes(o.b, p)
		}
		o.b = append(o.b, ']')
	}
	o.strsOmit("masked_paths", s.MaskedPaths)
	o.intOmit("shm_size", s.ShmSize)
	o.strMap("sysctls", s.Sysctls)
	o.boolOmit("host_uts", s.HostUTS)
	o.boolOmit("host_ipc", s.HostIPC)
	o.boolOmit("host_pid", s.HostPID)
	o.boolOmit("sys_writable", s.SysWritable)
	o.strsOmit("readonly_paths", s.ReadonlyPaths)
	o.boolOmit("terminal", s.Terminal)
	o.intOmit("console_rows", int64(s.ConsoleRows))
	o.intOmit("console_cols", int64(s.ConsoleCols))
	o.boolOmit("init", s.Init)
	o.strMap("files", s.Files)
	o.boolOmit("record_stubs", s.RecordStubs)
	o.str("state_dir", s.StateDir)
	o.intOmit("console_fd", int64(s.ConsoleFd))
	o.intOmit("init_fd", int64(s.InitFd))
	if s.Task != nil {
		o.key("task")
		o.task(s.Task)
	}
	o.intOmit("stop_timeout", int64(s.StopTimeout))
	return o.end(), o.err
}

// object appends one JSON object's members to b.
type object struct {
	b    []byte
	more bool // a member was written: the next needs a comma
	err  error
}

func (o *object) begin() { o.b, o.more = append(o.b, '{'), false }

func (o *object) end() []byte { return append(o.b, '}') }

// key starts a member; its name needs no escaping.
func (o *object) key(k string) {
	if o.more {
		o.b = append(o.b, ',')
	}
	o.more = true
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *object) str(k, v string) {
	o.key(k)
	o.b = appendString(o.b, v)
}

func (o *object) strOmit(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *object) int(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *object) intOmit(k string, v int64) {
	if v != 0 {
		o.int(k, v)
	}
}

func (o *object) uint(k string, v uint64) {
	o.key(k)
	o.b = strconv.AppendUint(o.b, v, 10)
}

func (o *object) bool(k string, v bool) {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
}

func (o *object) boolOmit(k string, v bool) {
	if v {
		o.bool(k, v)
	}
}

// strs writes a list of strings; nil is null, as encoding/json writes it.
func (o *object) strs(k string, v []string) {
	o.key(k)
	if v == nil {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = append(o.b, '[')
	for i, s := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendString(o.b, s)
	}
	o.b = append(o.b, ']')
}

func (o *object) strsOmit(k string, v []string) {
	if len(v) > 0 {
		o.strs(k, v)
	}
}

// strMap writes a map of strings, keys sorted, omitted when empty.
func (o *object) strMap(k string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	o.key(k)
	o.b = append(o.b, '{')
	for i, key := range keys {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendString(o.b, key)
		o.b = append(o.b, ':')
		o.b = appendString(o.b, m[key])
	}
	o.b = append(o.b, '}')
}

// raw writes raw JSON as encoding/json does (compacted, validated, HTML
// characters escaped), through encoding/json itself.
func (o *object) raw(k string, v json.RawMessage) {
	b, err := json.Marshal(v)
	if err != nil && o.err == nil {
		o.err = err
	}
	o.key(k)
	o.b = append(o.b, b...)
}

func (o *object) rootfs(r *Rootfs) {
	e := object{b: o.b}
	e.begin()
	e.strs("layers", r.Layers)
	e.str("upper_dir", r.UpperDir)
	e.str("work_dir", r.WorkDir)
	e.str("mount_dir", r.MountDir)
	e.strOmit("driver", r.Driver)
	e.boolOmit("read_only", r.ReadOnly)
	e.boolOmit("volatile", r.Volatile)
	o.b = e.end()
}

func (o *object) mapping(m *Mapping) {
	e := object{b: o.b}
	e.begin()
	e.idMaps("uids", m.UIDs)
	e.idMaps("gids", m.GIDs)
	o.b = e.end()
}

func (o *object) idMaps(k string, v []IDMap) {
	o.key(k)
	if v == nil {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = append(o.b, '[')
	for i, m := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		e := object{b: o.b}
		e.begin()
		e.int("container_id", int64(m.ContainerID))
		e.int("host_id", int64(m.HostID))
		e.int("size", int64(m.Size))
		o.b = e.end()
	}
	o.b = append(o.b, ']')
}

func (o *object) mount(m *Mount) {
	e := object{b: o.b}
	e.begin()
	e.str("type", m.Type)
	e.strOmit("source", m.Source)
	e.strsOmit("layers", m.Layers)
	e.str("destination", m.Destination)
	e.strsOmit("options", m.Options)
	e.strOmit("scratch", m.Scratch)
	o.b = e.end()
}

func (o *object) join(j *Join) {
	e := object{b: o.b}
	e.begin()
	e.int("pid", int64(j.Pid))
	e.strs("namespaces", j.Namespaces)
	e.boolOmit("shm", j.Shm)
	o.b = e.end()
}

func (o *object) task(t *Task) {
	e := object{b: o.b, err: o.err}
	e.begin()
	e.str("name", t.Name)
	if len(t.Args) > 0 {
		e.raw("args", t.Args)
	}
	if len(t.Sources) > 0 {
		e.key("sources")
		e.b = append(e.b, '[')
		for i, src := range t.Sources {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			s := object{b: e.b}
			s.begin()
			s.strOmit("dir", src.Dir)
			s.strsOmit("layers", src.Layers)
			e.b = s.end()
		}
		e.b = append(e.b, ']')
	}
	o.b, o.err = e.end(), e.err
}

// appendBytes writes b as encoding/json writes a []byte: base64, or null.
func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string as json.Marshal does: HTML's
// <, > and & escaped, invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// DecodeSpec is json.Unmarshal into a new Spec, the init's side of
// appendSpec: what appendSpec writes is read by hand, without the
// reflection encoding/json does on first use of each type; anything else
// (a key it does not know or spells otherwise, a duplicate, a surrogate
// escape, a number that is not a plain integer, bad JSON) is handed to
// json.Unmarshal, so the result is always Unmarshal's.
// TestDecodeSpecIsJSON compares the two over random specs.
func DecodeSpec(data []byte) (*Spec, error) {
	d := decoder{data: data}
	s := &Spec{}
	if d.spec(s) && d.end() {
		return s, nil
	}
	s = &Spec{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, err
	}
	return s, nil
}

// decoder reads data from pos; each method reports false on anything it
// does not read exactly as encoding/json would.
type decoder struct {
	data []byte
	pos  int
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) consume(c byte) bool {
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *decoder) end() bool {
	d.ws()
	return d.pos == len(d.data)
}

// literal consumes the word w (true, false, null).
func (d *decoder) literal(w string) bool {
	d.ws()
	if len(d.data)-d.pos >= len(w) && string(d.data[d.pos:d.pos+len(w)]) == w {
		d.pos += len(w)
		return true
	}
	return false
}

// object reads an object, calling field for each key; a key seen twice
// is refused (encoding/json would merge maps).
func (d *decoder) object(field func(key string) bool) bool {
	if !d.consume('{') {
		return false
	}
	if d.consume('}') {
		return true
	}
	var seen []string
	for {
		key, ok := d.str()
		if !ok || slices.Contains(seen, key) || !d.consume(':') || !field(key) {
			return false
		}
		seen = append(seen, key)
		if d.consume(',') {
			continue
		}
		return d.consume('}')
	}
}

// array reads an array, calling elem for each value; null reports
// isNull.
func (d *decoder) array(elem func() bool) (isNull, ok bool) {
	if d.literal("null") {
		return true, true
	}
	if !d.consume('[') {
		return false, false
	}
	if d.consume(']') {
		return false, true
	}
	for {
		if !elem() {
			return false, false
		}
		if d.consume(',') {
			continue
		}
		return false, d.consume(']')
	}
}

// list decodes an array whose elements elem reads: nil for null, an
// empty slice for [].
func list[T any](d *decoder, elem func() (T, bool)) ([]T, bool) {
	out := []T{}
	isNull, ok := d.array(func() bool {
		v, ok := elem()
		out = append(out, v)
		return ok
	})
	if isNull {
		return nil, ok
	}
	return out, ok
}

func (d *decoder) bool() (bool, bool) {
	if d.literal("true") {
		return true, true
	}
	return false, d.literal("false")
}

// number returns a JSON integer's text: -?(0|[1-9][0-9]*), not followed
// by a fraction or an exponent.
func (d *decoder) number() (string, bool) {
	d.ws()
	start := d.pos
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	digits := d.pos
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
	}
	if d.pos == digits || (d.data[digits] == '0' && d.pos-digits > 1) {
		return "", false
	}
	if d.pos < len(d.data) && (d.data[d.pos] == '.' || d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		return "", false
	}
	return string(d.data[start:d.pos]), true
}

func (d *decoder) int(bits int) (int64, bool) {
	t, ok := d.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(t, 10, bits)
	return n, err == nil
}

func (d *decoder) uint(bits int) (uint64, bool) {
	t, ok := d.number()
	if !ok || t[0] == '-' {
		return 0, false
	}
	n, err := strconv.ParseUint(t, 10, bits)
	return n, err == nil
}

// str reads a string: valid UTF-8 and the escapes encoding/json writes;
// a surrogate escape, a control character or invalid UTF-8 is refused.
func (d *decoder) str() (string, bool) {
	if !d.consume('"') {
		return "", false
	}
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			s := string(d.data[start:d.pos])
			d.pos++
			return s, true
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			d.pos++
		default:
			r, size := utf8.DecodeRune(d.data[d.pos:])
			if r == utf8.RuneError && size == 1 {
				return "", false
			}
			d.pos += size
		}
	}
	return "", false
}

// escaped finishes a string from start that has an escape at pos.
func (d *decoder) escaped(start int) (string, bool) {
	b := append([]byte(nil), d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(b), true
		case c == '\\':
			if d.pos+1 >= len(d.data) {
				return "", false
			}
			e := d.data[d.pos+1]
			d.pos += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				if d.pos+4 > len(d.data) {
					return "", false
				}
				r, err := strconv.ParseUint(string(d.data[d.pos:d.pos+4]), 16, 32)
				if err != nil || d.data[d.pos] == '+' || d.data[d.pos] == '-' || utf16IsSurrogate(rune(r)) {
					return "", false
				}
				d.pos += 4
				b = utf8.AppendRune(b, rune(r))
			default:
				return "", false
			}
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			b = append(b, c)
			d.pos++
		default:
			r, size := utf8.DecodeRune(d.data[d.pos:])
			if r == utf8.RuneError && size == 1 {
				return "", false
			}
			b = append(b, d.data[d.pos:d.pos+size]...)
			d.pos += size
		}
	}
	return "", false
}

func utf16IsSurrogate(r rune) bool { return r >= 0xd800 && r < 0xe000 }

func (d *decoder) strs() ([]string, bool) { return list(d, d.str) }

func (d *decoder) strMap() (map[string]string, bool) {
	if d.literal("null") {
		return nil, true
	}
	m := map[string]string{}
	return m, d.object(func(k string) bool {
		v, ok := d.str()
		m[k] = v
		return ok
	})
}

// raw reads any valid JSON value as it stands, as json.RawMessage does.
func (d *decoder) raw() (json.RawMessage, bool) {
	d.ws()
	start := d.pos
	if !d.skip(0) {
		return nil, false
	}
	v := d.data[start:d.pos]
	if !json.Valid(v) {
		return nil, false
	}
	return append(json.RawMessage(nil), v...), true
}

// skip passes over one value, roughly: raw checks it with json.Valid.
func (d *decoder) skip(depth int) bool {
	if depth > 1000 {
		return false
	}
	d.ws()
	if d.pos >= len(d.data) {
		return false
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(func(string) bool { return d.skip(depth + 1) })
	case c == '[':
		_, ok := d.array(func() bool { return d.skip(depth + 1) })
		return ok
	case c == '"':
		_, ok := d.str()
		return ok
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	}
	for d.pos < len(d.data) && strings.IndexByte("+-0123456789.eE", d.data[d.pos]) >= 0 {
		d.pos++
	}
	return true
}

// bytes reads base64 as encoding/json reads a []byte, straight from the
// data (a seccomp filter is most of a spec): a string with an escape, a
// control character (base64 skips newlines, JSON refuses them) or
// anything but ASCII in it is refused.
func (d *decoder) bytes() ([]byte, bool) {
	if d.literal("null") {
		return nil, true
	}
	if !d.consume('"') {
		return nil, false
	}
	n := bytes.IndexByte(d.data[d.pos:], '"')
	if n < 0 {
		return nil, false
	}
	src := d.data[d.pos : d.pos+n]
	for _, c := range src {
		if c < 0x20 || c >= utf8.RuneSelf || c == '\\' {
			return nil, false
		}
	}
	d.pos += n + 1
	b := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	k, err := base64.StdEncoding.Decode(b, src)
	return b[:k], err == nil
}

func (d *decoder) spec(s *Spec) bool {
	return d.object(func(k string) bool {
		var ok bool
		switch k {
		case "id":
			s.ID, ok = d.str()
		case "rootfs":
			ok = d.rootfs(&s.Rootfs)
		case "mapping":
			ok = d.object(func(k string) bool {
				switch k {
				case "uids":
					s.Mapping.UIDs, ok = d.idMaps()
				case "gids":
					s.Mapping.GIDs, ok = d.idMaps()
				default:
					return false
				}
				return ok
			})
		case "args":
			s.Args, ok = d.strs()
		case "env":
			s.Env, ok = d.strs()
		case "cwd":
			s.Cwd, ok = d.str()
		case "create_cwd":
			s.CreateCwd, ok = d.bool()
		case "uid":
			s.UID, ok = d.intField()
		case "gid":
			s.GID, ok = d.intField()
		case "additional_gids":
			s.AdditionalGIDs, ok = list(d, d.intField)
		case "keep_groups":
			s.KeepGroups, ok = d.bool()
		case "hostname":
			s.Hostname, ok = d.str()
		case "mounts":
			s.Mounts, ok = d.mounts()
		case "host_network":
			s.HostNetwork, ok = d.bool()
		case "join":
			s.Join, ok = d.join()
		case "capabilities":
			s.Capabilities, ok = d.strs()
		case "no_new_privileges":
			s.NoNewPrivileges, ok = d.bool()
		case "seccomp":
			s.Seccomp, ok = d.bool()
		case "seccomp_profile":
			s.SeccompProfile, ok = d.raw()
		case "rlimits":
			s.Rlimits, ok = d.rlimits()
		case "root_emulation":
			s.RootEmulation, ok = d.bool()
		case "seccomp_programs":
			s.SeccompPrograms, ok = d.programs()
		case "masked_paths":
			s.MaskedPaths, ok = d.strs()
		case "shm_size":
			s.ShmSize, ok = d.int(64)
		case "sysctls":
			s.Sysctls, ok = d.strMap()
		case "host_uts":
			s.HostUTS, ok = d.bool()
		case "host_ipc":
			s.HostIPC, ok = d.bool()
		case "host_pid":
			s.HostPID, ok = d.bool()
		case "sys_writable":
			s.SysWritable, ok = d.bool()
		case "readonly_paths":
			s.ReadonlyPaths, ok = d.strs()
		case "terminal":
			s.Terminal, ok = d.bool()
		case "console_rows":
			var n uint64
			n, ok = d.uint(16)
			s.ConsoleRows = uint16(n)
		case "console_cols":
			var n uint64
			n, ok = d.uint(16)
			s.ConsoleCols = uint16(n)
		case "init":
			s.Init, ok = d.bool()
		case "files":
			s.Files, ok = d.strMap()
		case "record_stubs":
			s.RecordStubs, ok = d.bool()
		case "state_dir":
			s.StateDir, ok = d.str()
		case "console_fd":
			s.ConsoleFd, ok = d.intField()
		case "init_fd":
			s.InitFd, ok = d.intField()
		case "task":
			s.Task, ok = d.task()
		case "stop_timeout":
			var n int64
			n, ok = d.int(64)
			s.StopTimeout = time.Duration(n)
		}
		return ok
	})
}

func (d *decoder) intField() (int, bool) {
	n, ok := d.int(strconv.IntSize)
	return int(n), ok
}

func (d *decoder) rootfs(r *Rootfs) bool {
	return d.object(func(k string) bool {
		var ok bool
		switch k {
		case "layers":
			r.Layers, ok = d.strs()
		case "upper_dir":
			r.UpperDir, ok = d.str()
		case "work_dir":
			r.WorkDir, ok = d.str()
		case "mount_dir":
			r.MountDir, ok = d.str()
		case "driver":
			r.Driver, ok = d.str()
		case "read_only":
			r.ReadOnly, ok = d.bool()
		case "volatile":
			r.Volatile, ok = d.bool()
		}
		return ok
	})
}

func (d *decoder) idMaps() ([]IDMap, bool) {
	return list(d, func() (IDMap, bool) {
		var m IDMap
		ok := d.object(func(k string) bool {
			var ok bool
			switch k {
			case "container_id":
				m.ContainerID, ok = d.intField()
			case "host_id":
				m.HostID, ok = d.intField()
			case "size":
				m.Size, ok = d.intField()
			}
			return ok
		})
		return m, ok
	})
}

func (d *decoder) mounts() ([]Mount, bool) {
	return list(d, func() (Mount, bool) {
		var m Mount
		ok := d.object(func(k string) bool {
			var ok bool
			switch k {
			case "type":
				m.Type, ok = d.str()
			case "source":
				m.Source, ok = d.str()
			case "layers":
				m.Layers, ok = d.strs()
			case "destination":
				m.Destination, ok = d.str()
			case "options":
				m.Options, ok = d.strs()
			case "scratch":
				m.Scratch, ok = d.str()
			}
			return ok
		})
		return m, ok
	})
}

func (d *decoder) join() (*Join, bool) {
	if d.literal("null") {
		return nil, true
	}
	j := &Join{}
	return j, d.object(func(k string) bool {
		var ok bool
		switch k {
		case "pid":
			j.Pid, ok = d.intField()
		case "namespaces":
			j.Namespaces, ok = d.strs()
		case "shm":
			j.Shm, ok = d.bool()
		}
		return ok
	})
}

func (d *decoder) rlimits() ([]Rlimit, bool) {
	return list(d, func() (Rlimit, bool) {
		var r Rlimit
		ok := d.object(func(k string) bool {
			var ok bool
			switch k {
			case "type":
				r.Type, ok = d.str()
			case "soft":
				r.Soft, ok = d.uint(64)
			case "hard":
				r.Hard, ok = d.uint(64)
			}
			return ok
		})
		return r, ok
	})
}

func (d *decoder) programs() ([]bpfprog.Program, bool) {
	return list(d, func() (bpfprog.Program, bool) { return d.bytes() })
}

func (d *decoder) task() (*Task, bool) {
	if d.literal("null") {
		return nil, true
	}
	t := &Task{}
	return t, d.object(func(k string) bool {
		var ok bool
		switch k {
		case "name":
			t.Name, ok = d.str()
		case "args":
			t.Args, ok = d.raw()
		case "sources":
			t.Sources, ok = list(d, func() (TaskSource, bool) {
				var src TaskSource
				ok := d.object(func(k string) bool {
					var ok bool
					switch k {
					case "dir":
						src.Dir, ok = d.str()
					case "layers":
						src.Layers, ok = d.strs()
					}
					return ok
				})
				return src, ok
			})
		}
		return ok
	})
}
