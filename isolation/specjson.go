package isolation

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
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
