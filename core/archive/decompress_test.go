package archive

import (
	"bytes"
	"io"
	"os/exec"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func TestDecompressKinds(t *testing.T) {
	plain := bytes.Repeat([]byte("a tar archive, say\n"), 100)
	compressed := map[string][]byte{"": plain}
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	compressed["gzip"] = gz.Bytes()
	var zs bytes.Buffer
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(plain)
	zw.Close()
	compressed["zstd"] = zs.Bytes()
	var xb bytes.Buffer
	xw, _ := xz.NewWriter(&xb)
	xw.Write(plain)
	xw.Close()
	compressed["xz"] = xb.Bytes()
	if bz, err := exec.LookPath("bzip2"); err == nil {
		cmd := exec.Command(bz, "-c")
		cmd.Stdin = bytes.NewReader(plain)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		compressed["bzip2"] = out
	}
	for want, data := range compressed {
		r, kind, done, err := decompress(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%q: %v", want, err)
		}
		got, err := io.ReadAll(r)
		done()
		if err != nil || kind != want || !bytes.Equal(got, plain) {
			t.Errorf("%q: kind %q, %d bytes, err %v", want, kind, len(got), err)
		}
	}
}
