// Package proto is the generated gRPC code for instruction.proto, the wire
// form of the plugins/sdk contract. Nothing but generated code lives here;
// regenerate with `make proto`. Plugin authors never import it: plugins/sdk
// and plugins adapt it on each side.
package proto
