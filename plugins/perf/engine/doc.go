// Package engine runs k6-style load test scripts: it compiles an ES module
// script (JavaScript, or TypeScript stripped by esbuild) on the sobek engine,
// gives every virtual user (VU) its own runtime, drives the k6 executors,
// aggregates k6's metrics into fixed-size HDR histograms, evaluates
// thresholds and hands back a summary, a per-second time series and the
// outputs of the script's handleSummary.
//
// The k6 modules (k6, k6/http, k6/metrics, k6/data, k6/execution,
// k6/encoding, k6/crypto, k6/ws, k6/net/grpc) are written here in Go from k6's public
// documentation; mockarty/* names are aliases of them.
package engine
