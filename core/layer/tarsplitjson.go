package layer

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"unicode/utf8"

	"github.com/vbatts/tar-split/tar/storage"
)

// entryReader reads tar-split metadata as storage.NewJSONUnpacker does
// (one JSON storage.Entry a line, a file's path at most once), decoding
// the lines json.Encoder writes for it, {"type":1,"name":"…","size":…,
// "payload":"…","position":…}, without reflection: Assemble reads one
// or two such lines for every entry of a layer, and encoding/json was
// the most of its time after the file contents. A line of any other
// shape (an escape in a string, a key it does not know, spaces) is
// decoded by encoding/json, so the result is the same for every input.
type entryReader struct {
	r    *bufio.Reader
	seen map[string]struct{}
	long []byte // a line longer than r's buffer
}

func newEntryReader(r io.Reader) *entryReader {
	return &entryReader{r: bufio.NewReaderSize(r, 64<<10), seen: map[string]struct{}{}}
}

// Next returns the next entry, or io.EOF after the last.
func (er *entryReader) Next() (*storage.Entry, error) {
	line, err := er.line()
	if err != nil {
		return nil, err
	}
	e, ok := decodeEntry(line)
	if !ok {
		e = &storage.Entry{}
		if err := json.Unmarshal(line, e); err != nil {
			return nil, err
		}
	}
	if e.Type == storage.FileType {
		name := filepath.Clean(e.GetName())
		if _, dup := er.seen[name]; dup {
			return nil, storage.ErrDuplicatePath
		}
		er.seen[name] = struct{}{}
	}
	return e, nil
}

// line returns the next non-empty line, without its newline.
func (er *entryReader) line() ([]byte, error) {
	for {
		line, err := er.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			er.long = append(er.long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = er.r.ReadSlice('\n')
				er.long = append(er.long, line...)
			}
			line = er.long
		}
		if err == io.EOF && len(bytes.TrimSpace(line)) != 0 {
			err = io.ErrUnexpectedEOF // a line cut short: the file is truncated
		}
		if err != nil {
			return nil, err
		}
		if line = bytes.TrimRight(line, "\n"); len(bytes.TrimSpace(line)) != 0 {
			return line, nil
		}
	}
}

// decodeEntry decodes a line as json.Encoder writes an Entry; ok is false
// for any line of another shape.
func decodeEntry(line []byte) (e *storage.Entry, ok bool) {
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return nil, false
	}
	e = &storage.Entry{}
	p := line[1 : len(line)-1]
	for len(p) > 0 {
		key, rest, ok := quoted(p)
		if !ok || len(rest) == 0 || rest[0] != ':' {
			return nil, false
		}
		p = rest[1:]
		var val []byte
		str := len(p) > 0 && p[0] == '"'
		if str {
			val, p, ok = quoted(p)
		} else {
			end := bytes.IndexByte(p, ',')
			if end < 0 {
				end = len(p)
			}
			val, p, ok = p[:end], p[end:], true
		}
		if !ok || !setField(e, string(key), val, str) {
			return nil, false
		}
		if len(p) > 0 {
			if p[0] != ',' || len(p) == 1 {
				return nil, false
			}
			p = p[1:]
		}
	}
	return e, true
}

// quoted splits a JSON string without escapes off the start of p.
func quoted(p []byte) (s, rest []byte, ok bool) {
	if len(p) == 0 || p[0] != '"' {
		return nil, nil, false
	}
	end := bytes.IndexByte(p[1:], '"')
	if end < 0 {
		return nil, nil, false
	}
	s = p[1 : 1+end]
	if bytes.IndexByte(s, '\\') >= 0 || !utf8.Valid(s) {
		return nil, nil, false
	}
	for _, c := range s {
		if c < 0x20 {
			return nil, nil, false
		}
	}
	return s, p[2+end:], true
}

// setField sets e's field key from val, a string's contents when str.
func setField(e *storage.Entry, key string, val []byte, str bool) bool {
	if !str && key != "payload" && key != "name_raw" && !isInteger(val) {
		return false
	}
	var err error
	switch {
	case key == "type" && !str:
		var n int64
		n, err = strconv.ParseInt(string(val), 10, 32)
		e.Type = storage.Type(n)
	case key == "name" && str:
		e.Name = string(val)
	case key == "size" && !str:
		e.Size, err = strconv.ParseInt(string(val), 10, 64)
	case key == "position" && !str:
		var n int64
		n, err = strconv.ParseInt(string(val), 10, 64)
		e.Position = int(n)
	case (key == "payload" || key == "name_raw") && str:
		b := make([]byte, base64.StdEncoding.DecodedLen(len(val)))
		var n int
		n, err = base64.StdEncoding.Decode(b, val)
		if key == "payload" {
			e.Payload = b[:n]
		} else {
			e.NameRaw = b[:n]
		}
	case (key == "payload" || key == "name_raw") && string(val) == "null":
	default:
		return false
	}
	return err == nil
}

// isInteger reports whether b is a JSON integer: -?(0|[1-9][0-9]*).
func isInteger(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || (b[0] == '0' && len(b) > 1) {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
