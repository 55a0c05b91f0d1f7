package builders

import (
	"bytes"
	"strings"
	"testing"
)

func TestExcerptMarksTheInstruction(t *testing.T) {
	df := []byte("FROM busybox\nRUN a \\\n  b\nCMD x\n")
	got := excerpt("Dockerfile", df, 2, 3)
	want := "Dockerfile:2-3\n--------------------\n   1 |     FROM busybox\n   2 | >>> RUN a \\\n   3 | >>>   b\n   4 |     CMD x\n--------------------\n"
	if got != want {
		t.Fatalf("excerpt =\n%s\nwant\n%s", got, want)
	}
	if got := excerpt("Dockerfile", df, 9, 9); got != "" {
		t.Errorf("excerpt of a line past the end = %q", got)
	}
}

func TestStepWriterKeepsPrefixOnCarriageReturns(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, "plain")
	w := p.writer(3)
	w.Write([]byte("Reading 0%\rReading 50%\rReading done\r\nnext\n\nlast"))
	w.Flush()
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("got %d lines, want 6:\n%s", len(lines), out.String())
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "#3 ") || strings.Contains(l, "\r") {
			t.Errorf("line %d %q: want the step prefix and no carriage return", i, l)
		}
	}
	if tail := p.tail(3); len(tail) != 6 || !strings.HasSuffix(tail[5], " last") {
		t.Errorf("tail = %q", tail)
	}
}
