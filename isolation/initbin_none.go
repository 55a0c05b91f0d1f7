//go:build !hullinit

package isolation

// initBinary is empty without the hullinit build tag: hull then
// re-executes itself as the container init.
var initBinary []byte
