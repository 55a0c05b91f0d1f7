package plugins

import (
	"context"
	"testing"
)

// BenchmarkLaunch is launch + handshake + Info + Kill of one process.
func BenchmarkLaunch(b *testing.B) {
	for b.Loop() {
		c, err := Start(testOptions(command("hello")))
		if err != nil {
			b.Fatal(err)
		}
		c.Kill()
	}
}

// BenchmarkExecute is one Execute that makes three Host callbacks (Log,
// Run, WriteFile) on a running plugin.
func BenchmarkExecute(b *testing.B) {
	c, err := Start(testOptions(command("hello")))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Kill()
	req, host := helloRequest("bench"), &fakeHost{}
	for b.Loop() {
		if _, err := c.Execute(context.Background(), req, host); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCacheInputs is one plain call with no callback.
func BenchmarkCacheInputs(b *testing.B) {
	c, err := Start(testOptions(command("hello")))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Kill()
	req := helloRequest("bench")
	for b.Loop() {
		if _, err := c.CacheInputs(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
