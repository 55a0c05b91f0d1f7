package builders

import (
	"github.com/hull-project/hull/builders/copier"
)

// contextHash is the content hash of the context paths a step declared,
// selected exactly as the copy will select them (.dockerignore included).
func (b *build) contextHash(paths []string) (string, error) {
	return copier.Hash(b.opts.ContextDir, copier.Op{Sources: paths, Ignore: b.ignore})
}
