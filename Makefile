# otelcol-api-logs. `make test` is the test command CI runs; `make run` is the demo.
SHELL        := /bin/bash
GO           ?= go
TOOLS        := $(GO) tool -modfile=$(CURDIR)/tools/go.mod
BUILD_DIR    := $(CURDIR)/_build
COLLECTOR    := $(BUILD_DIR)/otelcol-api-logs
APISIM       := $(BUILD_DIR)/apisim
APISIM_ADDR  ?= 127.0.0.1:8088
# The brief fuzz in `make test` counts executions, not seconds, so that a
# loaded machine runs the same work instead of timing out; `make fuzz` runs longer.
FUZZTIME     ?= 3000x
CHAOS_ARGS   ?=
BENCH_ARGS   ?=
export GOFLAGS ?= -buildvcs=false

.PHONY: all build collector apisim run test unit e2e chaos chaos-short fuzz fuzz-short bench bench-micro generate lint clean

all: build

## build: the collector (ocb) and the demo API simulator into _build/
build: collector apisim

collector: $(COLLECTOR)

# ocb regenerates and compiles the distribution whenever the receiver or the manifest changes
# (internal/testing, the test equipment, is not part of the collector).
$(COLLECTOR): builder-config.yaml go.mod go.sum $(shell find receiver internal -path internal/testing -prune -o \( -name '*.go' -o -name '*.yaml' \) -print | grep -v _test.go)
	$(TOOLS) builder --config builder-config.yaml

apisim:
	$(GO) build -o $(APISIM) ./internal/testing/cmd/apisim

## run: the demo: the simulator on $(APISIM_ADDR) and the collector with config.yaml (Ctrl-C stops both)
run: build
	@$(APISIM) -addr $(APISIM_ADDR) & sim=$$!; \
	trap 'kill $$sim 2>/dev/null; wait $$sim 2>/dev/null' EXIT INT TERM; \
	sleep 0.5; \
	APISIM_URL=http://$(APISIM_ADDR) $(COLLECTOR) --config config.yaml

## test: every test: unit and end-to-end with -race, the short chaos run, a brief fuzz of every target
test: build unit chaos-short fuzz-short

unit:
	APILOGS_COLLECTOR=$(COLLECTOR) $(GO) test -race -count=1 -timeout 20m ./...

## chaos: the long loss/duplicate run (restarts and SIGKILLs) against the simulator
chaos: build
	$(GO) run ./internal/testing/cmd/chaos -collector $(COLLECTOR) -duration 5m -restarts 6 -kills 6 $(CHAOS_ARGS)

chaos-short: build
	$(GO) run ./internal/testing/cmd/chaos -collector $(COLLECTOR) -duration 60s -restarts 2 -kills 2 $(CHAOS_ARGS)

## fuzz: run every fuzz target for FUZZTIME each (fuzz-short: 3000 executions; fuzz: 60s); every
## target runs even when one fails, and the failures are listed at the end
fuzz: FUZZTIME = 60s
fuzz-short fuzz:
	@failed=""; for pkg in $$($(GO) list ./internal/...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 100x $$pkg || failed="$$failed $$pkg.$$t"; \
	  done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz targets failed:$$failed"; exit 1; fi

## bench: end to end: the collector polls 1,000,000 simulated records; OTLP/JSON baseline; peak RSS; the request economy of every API (-economy)
bench: build
	$(GO) run ./internal/testing/cmd/benchrun -collector $(COLLECTOR) $(BENCH_ARGS)

## bench-micro: decode+map per API, in ns/record and allocs/record
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/mapper/ ./internal/decode/

## generate: regenerate the mdatagen code
generate:
	cd receiver/apilogsreceiver && $(GO) generate ./...

## lint: gofmt, then golangci-lint (tools/go.mod) with .golangci.yml, the collector core's linter set
## (govet included); not part of `make test` or CI yet
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(TOOLS) golangci-lint run ./...

clean:
	rm -rf _build _data
