package main

import (
	"github.com/mockarty-oss/mockarty/plugins/fuzzer/engine"
	"github.com/mockarty-oss/mockarty/sdk/outbound"
)

// sources are the transports of the non-HTTP sources, made for one run or
// replay under its network policy; each connects on first use.
type sources struct {
	grpc *engine.GRPC
	all  engine.Transports
}

func transports(pol outbound.Policy) *sources {
	dial := pol.Dialer()
	g := engine.NewGRPC(dial)
	return &sources{grpc: g, all: engine.Transports{"grpc": g, "grpcs": g}}
}

// close frees the connections.
func (s *sources) close() { s.grpc.Close() }
