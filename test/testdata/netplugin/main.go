// Command netplugin is the integration suite's misbehaving network plugin.
// It plays the part named by the name it is installed under
// (DIR/network/NAME):
//
//	crash      panics outside its handler during Setup ("panic: boom")
//	badresult  answers Setup with a name server that would inject a line
//	           into /etc/resolv.conf
//
// It is built by `make integration` (or by the suite itself) and never
// installed anywhere else.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hull-project/hull/plugins/sdk/netsdk"
)

func main() { netsdk.Serve(part(filepath.Base(os.Args[0]))) }

type part string

func (p part) Setup(context.Context, netsdk.Request) (netsdk.Result, error) {
	switch p {
	case "crash":
		go panic("boom") // outside the handler: the whole process dies
		select {}
	case "badresult":
		return netsdk.Result{Interface: "lo", DNS: []string{"10.0.0.1\nnameserver 6.6.6.6"}}, nil
	}
	return netsdk.Result{}, fmt.Errorf("netplugin: no part %q", string(p))
}

func (part) Teardown(context.Context, string) error { return nil }
