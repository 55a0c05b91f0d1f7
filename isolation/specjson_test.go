package isolation

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// appendSpec writes what json.Marshal writes, byte for byte, for specs
// whose every field (found by reflection, so a field added to a spec type
// is filled too) is set at random: zero, empty, nil or a value, strings
// with every character JSON escapes, invalid UTF-8, raw JSON with spaces
// and HTML characters, and raw JSON that is not JSON (both must fail). It
// fails when a field was never set or never left zero over the runs, and
// on a field of a kind it cannot fill.
func TestAppendSpecIsJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, uint64(len(t.Name()))))
	f := &filler{rng: rng, set: map[string]int{}, zero: map[string]int{}}
	for i := 0; i < 3000; i++ {
		var s Spec
		f.fill(t, reflect.ValueOf(&s).Elem(), "Spec")
		want, wantErr := json.Marshal(&s)
		got, err := appendSpec([]byte("m"), &s)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("run %d: appendSpec error %v, json.Marshal error %v", i, err, wantErr)
		}
		if err != nil {
			continue
		}
		if !bytes.Equal(got[1:], want) || got[0] != 'm' {
			t.Fatalf("run %d: appendSpec differs from json.Marshal at byte %d:\n got %s\nwant %s", i, firstDiff(got[1:], want), got[1:], want)
		}
	}
	for _, path := range fieldPaths(reflect.TypeOf(Spec{}), "Spec") {
		if f.set[path] == 0 || f.zero[path] == 0 {
			t.Errorf("%s: set %d times, zero %d times: the test does not reach it", path, f.set[path], f.zero[path])
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

var rawMessageType = reflect.TypeOf(json.RawMessage{})

// filler sets values at random and counts, per field path, how often a
// field was left zero and how often not.
type filler struct {
	rng       *rand.Rand
	set, zero map[string]int
}

func (f *filler) fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	if v.Type() == rawMessageType {
		v.SetBytes(f.rawJSON())
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			field := v.Type().Field(i)
			if !field.IsExported() {
				continue
			}
			p := path + "." + field.Name
			if f.rng.IntN(3) > 0 {
				f.fill(t, v.Field(i), p)
			}
			if v.Field(i).IsZero() {
				f.zero[p]++
			} else {
				f.set[p]++
			}
		}
	case reflect.Pointer:
		if f.rng.IntN(2) == 0 {
			v.Set(reflect.New(v.Type().Elem()))
			f.fill(t, v.Elem(), path)
		}
	case reflect.Slice:
		switch f.rng.IntN(4) {
		case 0: // nil
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			n := 1 + f.rng.IntN(3)
			if v.Type().Elem().Kind() == reflect.Uint8 {
				n = f.rng.IntN(40)
			}
			v.Set(reflect.MakeSlice(v.Type(), n, n))
			for i := range n {
				f.fill(t, v.Index(i), path+"[]")
			}
		}
	case reflect.Map:
		switch f.rng.IntN(4) {
		case 0: // nil
		case 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			v.Set(reflect.MakeMap(v.Type()))
			for range 1 + f.rng.IntN(4) {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				f.fill(t, k, path+"{}")
				f.fill(t, e, path+"{}")
				v.SetMapIndex(k, e)
			}
		}
	case reflect.String:
		v.SetString(f.str())
	case reflect.Bool:
		v.SetBool(f.rng.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(f.number())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.number()))
	default:
		t.Fatalf("%s: a field of kind %s: teach appendSpec and this test to write it", path, v.Kind())
	}
}

func (f *filler) number() int64 {
	switch f.rng.IntN(4) {
	case 0:
		return 0
	case 1:
		return int64(f.rng.IntN(70000))
	case 2:
		return -int64(f.rng.IntN(70000))
	}
	return int64(f.rng.Uint64())
}

// pieces of strings: plain text, everything JSON escapes (quotes,
// backslashes, controls, HTML's characters, U+2028/9), multi-byte
// characters, DEL, and invalid or cut-off UTF-8.
var pieces = []string{"", "a", "/usr/bin", "PATH=/bin", " ", "\"", "\\", "\b", "\f", "\n", "\r", "\t", "\x00", "\x01", "\x1f",
	"<", ">", "&", "\u2028", "\u2029", "é", "日本", "😀", "\x7f", "\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "%", "'"}

func (f *filler) str() string {
	var b strings.Builder
	for range f.rng.IntN(6) {
		b.WriteString(pieces[f.rng.IntN(len(pieces))])
	}
	return b.String()
}

// rawJSON is valid JSON laid out with spaces and unescaped HTML
// characters, now and then empty, nil or not JSON at all.
func (f *filler) rawJSON() json.RawMessage {
	switch f.rng.IntN(8) {
	case 0:
		return nil
	case 1:
		return json.RawMessage{}
	case 2:
		return json.RawMessage(`{"a": [1, 2`)
	}
	v := map[string]any{f.str(): []any{f.str(), f.number(), true, nil, map[string]any{"<k>": f.str()}}}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent(" ", "\t ")
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// fieldPaths lists the exported fields of t and of the struct types it
// holds, as the filler names them.
func fieldPaths(t reflect.Type, path string) []string {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice:
		if t != rawMessageType {
			return fieldPaths(t.Elem(), path+map[bool]string{true: "[]", false: ""}[t.Kind() == reflect.Slice])
		}
	case reflect.Struct:
		var out []string
		for i := range t.NumField() {
			field := t.Field(i)
			if field.IsExported() {
				p := path + "." + field.Name
				out = append(out, p)
				out = append(out, fieldPaths(field.Type, p)...)
			}
		}
		return out
	}
	return nil
}

// DecodeSpec gives what json.Unmarshal gives, for random specs as
// json.Marshal writes them (each read by hand, never handed over) and for
// inputs it hands to encoding/json: keys it does not know or spells
// otherwise, duplicates, surrogate escapes, numbers that are not plain
// integers, nulls, bad JSON.
func TestDecodeSpecIsJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, uint64(len(t.Name()))))
	f := &filler{rng: rng, set: map[string]int{}, zero: map[string]int{}}
	for i := 0; i < 3000; i++ {
		var s Spec
		f.fill(t, reflect.ValueOf(&s).Elem(), "Spec")
		data, err := json.Marshal(&s)
		if err != nil {
			continue // raw JSON that is not JSON
		}
		// Keys of invalid UTF-8 may come out alike (U+FFFD): such a
		// map is handed to encoding/json, which merges them.
		d := decoder{data: data}
		if !d.spec(&Spec{}) || !d.end() {
			if !keysCollide(s.Sysctls) && !keysCollide(s.Files) {
				t.Fatalf("run %d: the hand-written decoder refused json.Marshal's output:\n%s", i, data)
			}
		}
		got, err := DecodeSpec(data)
		var want Spec
		if err != nil || json.Unmarshal(data, &want) != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("run %d: decoded\n%#v\njson.Unmarshal\n%#v\nfrom %s", i, got, want, data)
		}
	}
	for _, in := range []string{
		`{"id":"a","ID":"b"}`, `{"Id":"b"}`, `{"id":"a","id":"b"}`, `{"files":{"a":"1"},"files":{"b":"2"}}`,
		`{"id":"\ud83d\ude00"}`, `{"id":"\ud800"}`, `{"id":"a\u00e9\u2028\"\\\/\b\f\n\r\t"}`, `{"id":"` + "\xff" + `"}`,
		`{"uid":01}`, `{"uid":1.0}`, `{"uid":1e2}`, `{"uid":-0}`, `{"uid":99999999999999999999}`, `{"console_rows":70000}`,
		`{"console_rows":-1}`, `{"rlimits":[{"soft":-1}]}`, `{"uid":null,"args":null,"join":null,"rootfs":null,"id":null}`,
		`{"seccomp_profile":null}`, `{"seccomp_profile": { "a" : [1, 2.5e3, "x<"] } }`, `{"seccomp_profile":{"a":01}}`,
		`{"task":{"args":"s","sources":[{"dir":"d"}]}}`, `{"seccomp_programs":["AAEC","!!"]}`, `{"seccomp_programs":[""]}`,
		`{"seccomp_programs":["QUJD\u0052"]}`, `{"seccomp_programs":["AAE="]}`, `{"seccomp_programs":["AAE"]}`, `{"seccomp_programs":["AA` + "\n" + `E="]}`,
		`{"seccomp_programs":["AAE=`, `{"seccomp_programs":[null,"QUJD"]}`,
		` { "id" : "a" , "args" : [ "x" ] } `, `{"id":"a"} x`, `{"id":"a"`, ``, `[]`, `{"unknown":1}`, `{"detach":true,"Detach":true}`,
		`{"mounts":[{"type":"bind","bogus":1}]}`, `{"sysctls":{"a":null}}`, `{"additional_gids":[1,null]}`, `{"id":"` + "\x01" + `"}`,
	} {
		got, err := DecodeSpec([]byte(in))
		var want Spec
		wantErr := json.Unmarshal([]byte(in), &want)
		if (err == nil) != (wantErr == nil) || (err == nil && !reflect.DeepEqual(got, &want)) {
			t.Errorf("DecodeSpec(%s) = %#v, %v; json.Unmarshal: %#v, %v", in, got, err, want, wantErr)
		}
	}
}

// keysCollide reports whether two keys of m are written alike.
func keysCollide(m map[string]string) bool {
	seen := map[string]bool{}
	for k := range m {
		w := string(appendString(nil, k))
		if seen[w] {
			return true
		}
		seen[w] = true
	}
	return false
}
