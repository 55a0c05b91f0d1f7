module github.com/hull-project/hull/builders/dockerfile/reference

go 1.26.8

require github.com/moby/buildkit v0.34.2

replace github.com/hull-project/hull/plugins/sdk => ../../../plugins/sdk

require github.com/hull-project/hull/plugins/sdk v0.0.0-00010101000000-000000000000

require github.com/pkg/errors v0.9.1 // indirect
