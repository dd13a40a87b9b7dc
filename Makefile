# Mockarty: a multi-protocol mock server. `make run` starts the host on the
# embedded SQLite store; `make test` runs the whole suite.
GO       ?= go
BIN      := $(CURDIR)/bin
RELEASE  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.releaseID=$(RELEASE)
PLUGINS  := $(patsubst plugins/%/go.mod,%,$(wildcard plugins/*/go.mod))
MODULES  := host sdk bench $(addprefix plugins/,$(PLUGINS))
TESTFLAGS ?= -race -count=1 -timeout 20m

.PHONY: all build run test lint fmt vet bench bench-stubs clean

all: build

build:
	@mkdir -p $(BIN)
	cd host && $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/mockarty ./cmd/mockarty
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

lint: fmt vet

fmt:
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

bench:
	@for m in $(MODULES); do (cd $$m && $(GO) test -run '^$$' -bench . -benchmem ./...) || exit 1; done

# End-to-end: /stubs against a bare Fiber handler with wrk (docs/benchmarks.md).
bench-stubs:
	bench/stubs.sh 10s

clean:
	rm -rf $(BIN)
