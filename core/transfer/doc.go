// Package transfer holds the plain data of moving images in and out of
// hull's store: the options and results of pull, push, login, save and
// load, and the Progress contract they report to. Core and the CLI name
// these; the packages that do the moving (core/registry through
// go-containerregistry, core/archive) alias them.
//
// It deliberately links no network, TLS or archive code: the default hull
// of `make build` names these types on its hot paths (run's pull policy,
// build's FROM) while the work itself runs in the full hull it embeds
// (core/appbin, docs/speed.md), so that every `hull run` and `hull ps`
// does without the package init of net/http, crypto/tls and
// go-containerregistry.
package transfer
