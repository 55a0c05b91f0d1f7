package layer

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/vbatts/tar-split/tar/storage"
)

// entryCases are entries as Disassemble packs them, with the names and
// payloads that need escapes or base64.
func entryCases() []storage.Entry {
	long := bytes.Repeat([]byte{0, 1, 2, 0xff, '"', '\\', '\n'}, 30000) // a line past the reader's buffer
	var es []storage.Entry
	for i, name := range []string{"etc/passwd", "a<b>&c", `quo"te\\back`, "tab\there\nnl", "données/ファイル", "\u2028sep",
		string([]byte{'b', 'a', 'd', 0xff, 0xfe}), strings.Repeat("long/", 40000), "./dup-not"} {
		es = append(es, storage.Entry{Type: storage.SegmentType, Payload: []byte{byte(i), 'h', 'd', 'r'}})
		e := storage.Entry{Type: storage.FileType, Size: int64(i * 1000), Payload: []byte{1, 2, 3, 4, 5, 6, 7, byte(i)}}
		e.SetName(name)
		es = append(es, e)
	}
	es = append(es, storage.Entry{Type: storage.SegmentType, Payload: long},
		storage.Entry{Type: storage.SegmentType}, storage.Entry{Type: storage.FileType, Name: "empty"})
	return es
}

// TestEntryReaderMatchesJSONUnpacker: what Assemble reads is what
// tar-split's own unpacker reads, entry for entry, including the
// refusal of a path seen twice.
func TestEntryReaderMatchesJSONUnpacker(t *testing.T) {
	var buf bytes.Buffer
	p := storage.NewJSONPacker(&buf)
	for _, e := range entryCases() {
		if _, err := p.AddEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	// Lines another encoder could write: spaces, other key order, escapes.
	buf.WriteString(`{"position":99, "type":2,"payload":"aGk="}` + "\n")
	buf.WriteString(`{"payload":null,"size":3,"name":"\u0065sc","type":1,"position":100}` + "\n")
	buf.WriteString(`{"type":1,"name":"x","NAME":"y","size":0,"payload":"","position":101}` + "\n\n")
	want := readAllEntries(t, storage.NewJSONUnpacker(bytes.NewReader(buf.Bytes())))
	got := readAllEntries(t, newEntryReader(bytes.NewReader(buf.Bytes())))
	if len(got) != len(want) {
		t.Fatalf("read %d entries, tar-split reads %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("entry %d: %+v, tar-split reads %+v", i, got[i], want[i])
		}
	}

	dup := buf.String() + `{"type":1,"name":"etc/passwd","size":1,"payload":"AQ==","position":102}` + "\n"
	if _, err := readEntries(newEntryReader(strings.NewReader(dup))); !errors.Is(err, storage.ErrDuplicatePath) {
		t.Errorf("a path seen twice: %v, want ErrDuplicatePath", err)
	}
	cut := buf.String()[:buf.Len()-20]
	if _, err := readEntries(newEntryReader(strings.NewReader(cut))); err == nil {
		t.Error("read truncated metadata without an error")
	}
}

func readEntries(u storage.Unpacker) ([]storage.Entry, error) {
	var out []storage.Entry
	for {
		e, err := u.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, *e)
	}
}

func readAllEntries(t *testing.T, u storage.Unpacker) []storage.Entry {
	t.Helper()
	out, err := readEntries(u)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzDecodeEntry: a line the fast decoder takes is one encoding/json
// takes too, into the same entry.
func FuzzDecodeEntry(f *testing.F) {
	var buf bytes.Buffer
	p := storage.NewJSONPacker(&buf)
	for _, e := range entryCases()[:8] {
		p.AddEntry(e)
	}
	for _, line := range bytes.Split(buf.Bytes(), []byte("\n")) {
		f.Add(line)
	}
	f.Add([]byte(`{"type":01,"size":+5,"payload":null,"position":-0}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, ok := decodeEntry(line)
		if !ok {
			return
		}
		var want storage.Entry
		if err := json.Unmarshal(line, &want); err != nil {
			t.Fatalf("decoded %q, which encoding/json refuses: %v", line, err)
		}
		if !reflect.DeepEqual(*e, want) {
			t.Fatalf("%q: %+v, encoding/json: %+v", line, *e, want)
		}
	})
}
