module github.com/hull-project/hull/builders/dockerfile/reference

go 1.26.8

require github.com/moby/buildkit v0.34.2

replace github.com/hull-project/hull/plugins/sdk => ../../../plugins/sdk

replace github.com/hull-project/hull => ../../..

require (
	github.com/hull-project/hull v0.0.0-00010101000000-000000000000
	github.com/hull-project/hull/plugins/sdk v0.0.0-00010101000000-000000000000
)

require (
	github.com/containerd/typeurl/v2 v2.3.0 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/planetscale/vtprotobuf v0.6.1-0.20240319094008-0393e58bdf10 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
