# Gatehouse. `make run` starts a zero-setup dev server; `make test` runs
# every test on SQLite and PostgreSQL (see .ci/with-postgres).
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/gatehouse-dev/gatehouse/internal/cli.Version=$(VERSION)
TESTFLAGS ?= -race -count=1 -timeout 20m

.PHONY: run build test test-short vet fmt fuzz bench

run:
	$(GO) run ./cmd/gatehouse serve --dev

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/gatehouse ./cmd/gatehouse

test:
	./.ci/with-postgres $(GO) test $(TESTFLAGS) ./...

# Benchmarks on SQLite and PostgreSQL; writes docs/benchmarks.md. Run it on
# a quiet machine: the load generator shares the cores with the server.
BENCHFLAGS ?=
bench:
	./.ci/with-postgres $(GO) run ./cmd/gatehouse-bench $(BENCHFLAGS)

# SQLite only, no race detector: the quick loop while editing.
test-short:
	$(GO) test -count=1 ./...

# gofmt, go vet and staticcheck (run from the module proxy at a pinned
# version; it is a tool, not a dependency of the binary).
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
vet:
	@test -z "$$(gofmt -l cmd internal pkg examples web)" || { gofmt -l cmd internal pkg examples web; echo "gofmt: files above need formatting (make fmt)"; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fmt:
	gofmt -w cmd internal pkg examples web

# Run each fuzz target for a while; found inputs land in testdata/fuzz.
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./internal/config -run '^$$' -fuzz FuzzLoadFile -fuzztime $(FUZZTIME)
	$(GO) test ./internal/clients -run '^$$' -fuzz FuzzSecretExpiry -fuzztime $(FUZZTIME)
	$(GO) test ./internal/admin -run '^$$' -fuzz FuzzManagementBodies -fuzztime $(FUZZTIME)
	$(GO) test ./internal/oauth -run '^$$' -fuzz FuzzVerifyAccessToken -fuzztime $(FUZZTIME)
	$(GO) test ./internal/app -run '^$$' -fuzz FuzzProtocolForms -fuzztime $(FUZZTIME)
