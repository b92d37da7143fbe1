# cdlc — build, run, test, bench, lint.
#
#   make run     build and start the whole platform on http://localhost:8080 (data under ./data)
#   make test    every test, with the race detector
#
# Both work on a fresh machine with Go, Node.js and apt: anything else they
# need (a C compiler for the race detector, the linter) is installed on the
# way. `make help` lists the targets.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build
MAKEFLAGS += --no-print-directory

GO        ?= go
BIN       := $(CURDIR)/bin
CDLC      := $(BIN)/cdlc

# Version stamped into the binary (cdlc --version, /openapi.json, the start-up log).
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
VERSION_VAR := github.com/cdlc/cdlc/internal/app.Version
LDFLAGS     ?= -s -w -X $(VERSION_VAR)=$(VERSION)

# make run
DATA_DIR  ?= ./data
HTTP_ADDR ?= :8080
RUN_FLAGS ?=

# make test: extra `go test` flags, e.g. TEST_FLAGS='-run TestOutbox -v'.
# Parallelism is Go's default (-p = number of CPUs).
TEST_FLAGS ?=

# make bench: flags for the bench program, e.g. BENCH_FLAGS='-duration=30s -json=bench.json'.
BENCH_FLAGS ?=

# The linter, pinned. 2026.2.2 (v0.8.2) supports Go 1.26.
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK         := $(BIN)/tools/staticcheck-$(STATICCHECK_VERSION)/staticcheck

# The Go files gofmt checks: tracked and new ones, not ignored ones.
GOFILES = $$(git ls-files --cached --others --exclude-standard -- '*.go' 2>/dev/null || find . -name '*.go' -not -path './web/node_modules/*')

.PHONY: proto help build web web-deps openapi screenshots chromium run test test-go test-web bench lint lint-web vet staticcheck fmt fmt-check clean cc

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: web ## build bin/cdlc with the web app embedded
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(CDLC) ./cmd/cdlc

# The web app (web/, React + Vite): `build` depends on it so that go:embed
# finds web/dist. npm packages are installed from package-lock.json when
# they are missing or older than the lock file. The build regenerates the
# API types (web/src/api/schema.d.ts) from the committed OpenAPI document.
web: web-deps ## build the web app into web/dist (API types, vite build and the JS budget check)
	cd web && npm run build

web-deps:
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20.19+ (https://nodejs.org) first" >&2; exit 1; }
	cd web && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }

# The web app's copy of the OpenAPI document and the types generated from
# it; a Go test (cmd/cdlc) fails while the copy differs from what the server
# serves. Run after changing an API, and commit web/src/api.
openapi: web-deps ## refresh web/src/api/openapi.json from the code (cdlc openapi) and regenerate its TypeScript types
	$(GO) run ./cmd/cdlc openapi > web/src/api/openapi.json.tmp
	mv web/src/api/openapi.json.tmp web/src/api/openapi.json
	cd web && npm run gen:api

run: build ## build, then serve everything on http://localhost:8080 with embedded stores under ./data
	@mkdir -p $(DATA_DIR)
	@echo "cdlc: http://localhost$(HTTP_ADDR) (data in $(DATA_DIR), Ctrl-C to stop)"
	$(CDLC) seed demo --data-dir=$(DATA_DIR)
	$(CDLC) serve --data-dir=$(DATA_DIR) --http-addr=$(HTTP_ADDR) $(RUN_FLAGS)

test: test-go test-web ## run every test (Go with -race, then the web app's)

# The race detector needs cgo, so a C compiler.
test-go: cc
	CGO_ENABLED=1 $(GO) test -race -count=1 $(TEST_FLAGS) ./...

# Vitest, then the end-to-end journey in headless Chromium (Debian's
# package, installed when missing) against a cdlc built from this tree. Its
# screenshots go to web/e2e/out/ (ignored by git): a test run leaves the
# tracked files alone.
test-web: web chromium ## the web app's tests: Vitest, then e2e in headless Chromium
	cd web && npm test

# The screenshots in docs/ are the e2e journey's, refreshed on purpose.
screenshots: web chromium ## run the e2e journey and write its screenshots to docs/screenshots (commit them)
	cd web && npm run screenshots

chromium: ## make sure a Chromium for the e2e tests is there (Debian's package; CHROMIUM=path uses another)
	@[ -n "$${CHROMIUM:-}" ] || [ -x /usr/bin/chromium ] || scripts/apt-install chromium

cc: ## make sure a C compiler is there (the race detector needs cgo)
	@command -v "$$($(GO) env CC)" >/dev/null 2>&1 || scripts/apt-install gcc libc6-dev

# The load comes from wrk and the gateway is compared with nginx: Debian's
# packages, installed when missing (nothing is done when they are there).
bench: build ## build, then run the benchmarks against bin/cdlc (BENCH_FLAGS=... passes flags)
	@scripts/apt-install wrk nginx
	$(GO) build -o $(BIN)/cdlc-bench ./bench/cmd/cdlc-bench
	$(BIN)/cdlc-bench -bin=$(CDLC) -server-target=all $(BENCH_FLAGS)

lint: vet staticcheck fmt-check lint-web ## go vet, staticcheck, gofmt, and ESLint and tsc on the web app

lint-web: web-deps
	cd web && npm run lint && npm run typecheck

vet:
	$(GO) vet ./...

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

$(STATICCHECK):
	GOBIN=$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

fmt: ## format the Go code
	gofmt -s -w $(GOFILES)

fmt-check:
	@out=$$(gofmt -s -l $(GOFILES)); \
	if [ -n "$$out" ]; then echo "gofmt: these files need \`make fmt\`:"; echo "$$out"; exit 1; fi

clean: ## remove what the build made (not ./data)
	rm -rf $(BIN) dist
	find web/dist -mindepth 1 ! -name placeholder.html -delete 2>/dev/null || true

# gRPC contracts: protoc from Debian's protobuf-compiler (the well-known
# types, google/protobuf/*.proto, from libprotobuf-dev), the Go plugins
# pinned here; the generated code is committed, so only changing a .proto
# needs this.
PROTOC_GEN_GO_VERSION      ?= v1.36.11
PROTOC_GEN_CONNECT_VERSION ?= v1.21.1
proto: ## regenerate api/gen from api/proto
	@scripts/apt-install protobuf-compiler libprotobuf-dev
	GOBIN=$(BIN)/tools $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(BIN)/tools $(GO) install connectrpc.com/connect/cmd/protoc-gen-connect-go@$(PROTOC_GEN_CONNECT_VERSION)
	PATH=$(BIN)/tools:$$PATH protoc -I api/proto --go_out=. --go_opt=module=github.com/cdlc/cdlc \
		--connect-go_out=. --connect-go_opt=module=github.com/cdlc/cdlc $$(find api/proto -name '*.proto')
