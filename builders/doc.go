// Package builders is hull's build engine: it turns a parsed Dockerfile and
// a build context into an image. It owns the per-build state (stages, the
// plugin handlers, the cache, the output) and the per-stage state (base
// layers, config, the step being executed); every instruction except FROM
// and ARG is executed by an instruction plugin (plugins/sdk.Handler)
// through a Host that this package implements and polices: a plugin never
// touches a root filesystem, it asks, and every request is checked.
//
// Steps run in the same isolation as `hull run`: each RUN is a container
// whose root is an overlay of the stage's layers and a fresh upper
// directory; the upper directory becomes the step's layer (diffed to a tar
// for the blob, then adopted as the layer's unpacked directory), so a
// step's cost grows with what it changed, not with the image.
//
// What it deliberately leaves to others: parsing (builders/dockerfile),
// instruction semantics (builders/instructions and external plugins),
// copying files securely (builders/copier, run as an isolation task),
// process plumbing (plugins), and every store: it reaches images, layers
// and containers through the interfaces of its Env (env.go), which core
// implements, and returns a Result that core commits as the image.
package builders
