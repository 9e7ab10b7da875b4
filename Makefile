# otelcol-api-logs. `make test` is the test command CI runs; `make run` is the demo.
SHELL        := /bin/bash
GO           ?= go
TOOLS        := $(GO) tool -modfile=$(CURDIR)/tools/go.mod
BUILD_DIR    := $(CURDIR)/_build
COLLECTOR    := $(BUILD_DIR)/otelcol-api-logs
APISIM       := $(BUILD_DIR)/apisim
CHECK        := $(BUILD_DIR)/apilogs-check
# The demo's simulator address. Empty: the address of the previous `make run`, kept in
# _data/apisim.addr beside the cursors (they are kept per endpoint), or a free port when there is
# none or it is taken. Set (e.g. 127.0.0.1:8088): that address, and `make run` stops if it is taken.
APISIM_ADDR  ?=
# The brief fuzz in `make test` counts executions, not seconds, so that a
# loaded machine runs the same work instead of timing out; `make fuzz` runs longer.
FUZZTIME     ?= 3000x
CHAOS_ARGS   ?=
# The chaos run's rounds: Logto tie groups larger than a page in a stable order (ties) and in a new
# order on every request (shuffled-ties, groups up to 250), then capped pages; tie groups and capped
# pages cannot share a round (a group read in capped pages takes hundreds of reads when shuffled),
# nor can the two tie orders; unfinished Make runs go in every round.
CHAOS_ROUNDS := ties+pending,shuffled-ties+pending,cap+pending
BENCH_ARGS   ?=
# VictoriaLogs, the log store of the end-to-end tests and `make run-store`: installed with go install
# into _build (about 30 s the first time). VICTORIALOGS_ADDR: like APISIM_ADDR, empty for a free port.
VICTORIALOGS_VERSION := v1.52.1
VICTORIALOGS := $(BUILD_DIR)/victorialogs-$(VICTORIALOGS_VERSION)/victoria-logs
VICTORIALOGS_ADDR ?=
# etcd, the coordination store of the high-availability tests (api_logs_coordinator): built from
# tools/etcd (go install refuses go.etcd.io/etcd/server/v3 for its replace directives), about 30 s the first time.
ETCD_VERSION := v3.6.16
ETCD         := $(BUILD_DIR)/etcd-$(ETCD_VERSION)/etcd
# Prometheus and promtool (Debian's prometheus package, 2.42; .ci/run installs it) for the tests of
# deploy/prometheus and deploy/grafana: skipped when absent, unless APILOGS_REQUIRE_PROMETHEUS=1.
PROMETHEUS   ?= /usr/bin/prometheus
PROMTOOL     ?= /usr/bin/promtool
export GOFLAGS ?= -buildvcs=false

.PHONY: all build collector apisim apilogs-check victorialogs etcd run run-store screenshot alerts test unit e2e chaos chaos-short fuzz fuzz-short bench bench-micro generate lint clean

all: build

## build: the collector (ocb), the one-shot check and the demo API simulator into _build/
build: collector apisim apilogs-check

collector: $(COLLECTOR)

# ocb regenerates and compiles the distribution whenever the receiver or the manifest changes
# (internal/testing, the test equipment, is not part of the collector). ocb generates the sources
# in _build and fetches the modules; the compile is ocb's own `go build` (v0.165: -trimpath,
# -ldflags="-s -w", CGO_ENABLED=0), run here with -v so that the long first compile shows its
# progress: ocb prints "Compiling" and nothing else until it is done, and its --verbose only adds
# the go commands' arguments.
$(COLLECTOR): builder-config.yaml go.mod go.sum $(shell find receiver extension internal -path internal/testing -prune -o \( -name '*.go' -o -name '*.yaml' \) -print | grep -v _test.go)
	@echo "Building the collector with ocb (tools/go.mod): fetch and compile ocb, generate the sources, fetch the modules, compile."
	@echo "The first build takes 2.5 to 6 minutes (2.5 measured on 2 idle CPUs, 5.4 on 2 busy ones): about a minute for ocb"
	@echo "and the modules, then the compile, reported every 100 packages. Later builds reuse the Go caches and take seconds."
	$(TOOLS) builder --config builder-config.yaml --skip-compilation
	@set -o pipefail; cd $(BUILD_DIR); \
	total=$$($(GO) list -deps . | wc -l) || exit 1; \
	echo "Compiling: $$total packages, those already in the Go build cache are reused"; \
	CGO_ENABLED=0 $(GO) build -v -trimpath -o $(notdir $(COLLECTOR)) -ldflags='-s -w' . 2>&1 | \
	awk -v total=$$total '/^[^ :]+$$/ { if (++n % 100 == 0) { printf "  compiled %d of %d packages\n", n, total; fflush() } next } \
	  { print; fflush() } END { if (n) printf "  compiled %d of %d packages\n", n, total }'
	@echo "Built $(COLLECTOR)"

apisim:
	$(GO) build -o $(APISIM) ./internal/testing/cmd/apisim

## apilogs-check: the one-shot check of a receiver (docs/custom-apis.md#check-a-spec-before-deploying) into _build/
apilogs-check:
	$(GO) build -o $(CHECK) ./cmd/apilogs-check

## victorialogs: install VictoriaLogs $(VICTORIALOGS_VERSION) into _build (go install; the log-store tests and run-store use it)
victorialogs: $(VICTORIALOGS)

$(VICTORIALOGS):
	@echo "Installing VictoriaLogs $(VICTORIALOGS_VERSION) with go install into $(dir $@) (about 30 s the first time)"
	GOBIN=$(dir $@) $(GO) install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@$(VICTORIALOGS_VERSION)

## etcd: build the etcd server $(ETCD_VERSION) into _build (from tools/etcd; the coordinator's tests use it)
etcd: $(ETCD)

$(ETCD): tools/etcd/go.mod tools/etcd/go.sum
	@echo "Building etcd $(ETCD_VERSION) from tools/etcd into $(dir $@) (about 30 s the first time)"
	cd tools/etcd && $(GO) build -o $@ go.etcd.io/etcd/server/v3

## run: the demo: the simulator (on a free port, see APISIM_ADDR) and the collector with config.yaml,
## its metrics and health check on free ports too (Ctrl-C stops both); stops if the simulator does not start
## run-store: the demo into a log store: VictoriaLogs beside the simulator (a free port, see VICTORIALOGS_ADDR;
## data in _data/victorialogs) and the collector with config-store.yaml over config.yaml; prints the
## address of VictoriaLogs' web UI; Ctrl-C stops all three
run-store: $(VICTORIALOGS)
run run-store: build
	@ports=$$($(APISIM) -free-ports 3) || { echo "make $@: found no free ports for the collector's metrics and health check" >&2; exit 1; }; \
	set -- $$ports; \
	mkdir -p _data && tmp=$$(mktemp -d) || exit 1; \
	if [ -n "$(APISIM_ADDR)" ]; then simaddr="-addr $(APISIM_ADDR)"; \
	else prev=$$(cat _data/apisim.addr 2>/dev/null); simaddr="-addr $${prev:-127.0.0.1:0} -or-free-port"; fi; \
	$(APISIM) $$simaddr -url-file $$tmp/url & sim=$$!; vl=; \
	trap 'kill $$sim $$vl 2>/dev/null; wait $$sim $$vl 2>/dev/null; rm -rf $$tmp' EXIT; \
	trap 'exit 0' INT TERM; \
	for i in $$(seq 50); do [ -s $$tmp/url ] || ! kill -0 $$sim 2>/dev/null && break; sleep 0.1; done; \
	if [ ! -s $$tmp/url ]; then \
	  echo "make $@: the simulator did not start (see above; waited up to 5 s), so the collector was not started" >&2; exit 1; \
	fi; \
	url=$$(cat $$tmp/url); \
	if [ -z "$(APISIM_ADDR)" ]; then \
	  if [ -n "$$prev" ] && [ "$$prev" != "$${url#http://}" ]; then \
	    echo "make $@: $$prev was taken, so the simulator moved; the cursors in _data are kept per endpoint, so this run starts again from start_at"; \
	  fi; \
	  echo "$${url#http://}" > _data/apisim.addr; \
	fi; \
	configs="--config config.yaml"; vladdr=; stops=both; \
	if [ "$@" = run-store ]; then \
	  vladdr=$${VICTORIALOGS_ADDR:-127.0.0.1:$$3}; \
	  $(VICTORIALOGS) -storageDataPath _data/victorialogs -httpListenAddr $$vladdr -loggerLevel WARN & vl=$$!; \
	  for i in $$(seq 100); do (: </dev/tcp/$${vladdr%:*}/$${vladdr##*:}) 2>/dev/null || ! kill -0 $$vl 2>/dev/null && break; sleep 0.1; done; \
	  if ! (: </dev/tcp/$${vladdr%:*}/$${vladdr##*:}) 2>/dev/null; then \
	    echo "make $@: VictoriaLogs did not start on $$vladdr (see above; waited up to 10 s), so the collector was not started" >&2; exit 1; \
	  fi; \
	  configs="$$configs --config config-store.yaml"; stops="all three"; \
	  echo "make $@: VictoriaLogs http://$$vladdr (data in _data/victorialogs), its web UI:"; \
	  echo "  http://$$vladdr/select/vmui/"; \
	  echo "  the records of the last 3 hours by API: http://$$vladdr/select/vmui/#/?query=*&g0.relative_time=last_3_hours&groupBy=api_logs.api&limit=1000"; \
	fi; \
	echo "make $@: simulator $$url, collector metrics 127.0.0.1:$$1, health check 127.0.0.1:$$2; Ctrl-C stops $$stops"; \
	APISIM_URL=$$url VICTORIALOGS_URL=http://$$vladdr METRICS_PORT=$$1 HEALTH_CHECK_ENDPOINT=127.0.0.1:$$2 $(COLLECTOR) $$configs

## screenshot: docs/images/victorialogs.png, VictoriaLogs' web UI as the UI test sees it, and
## docs/images/prometheus-dashboard.png, Prometheus' graphs of the dashboard's queries while a stream fails (headless Chromium)
screenshot: build $(VICTORIALOGS)
	APILOGS_COLLECTOR=$(COLLECTOR) APILOGS_VICTORIALOGS=$(VICTORIALOGS) APILOGS_REQUIRE_CHROMIUM=1 \
	  APILOGS_SCREENSHOT=$(CURDIR)/docs/images/victorialogs.png \
	  $(GO) test -count=1 -run '^TestVictoriaLogsUI$$' -v ./internal/testing/e2e/
	APILOGS_COLLECTOR=$(COLLECTOR) APILOGS_PROMETHEUS=$(PROMETHEUS) APILOGS_REQUIRE_PROMETHEUS=1 APILOGS_REQUIRE_CHROMIUM=1 \
	  APILOGS_ALERTS_SCREENSHOT=$(CURDIR)/docs/images/prometheus-dashboard.png \
	  $(GO) test -count=1 -run '^TestAlertStreamFailing$$' -v ./internal/testing/e2e/

## alerts: promtool check rules and test rules on deploy/prometheus (also part of `make test`)
alerts:
	$(PROMTOOL) check rules deploy/prometheus/alerts.yaml
	cd deploy/prometheus && $(PROMTOOL) test rules alerts_test.yaml

## test: every test: unit and end-to-end with -race, the short chaos run, a brief fuzz of every target
test: build unit chaos-short fuzz-short

# The log-store tests run against $(VICTORIALOGS); the UI test also needs Chromium (Debian's chromium
# package): without it the test is skipped, unless APILOGS_REQUIRE_CHROMIUM=1 (.ci/run sets it). The
# alerting tests run $(PROMETHEUS) and $(PROMTOOL) alike (APILOGS_REQUIRE_PROMETHEUS=1); the
# coordinator's tests run $(ETCD). The e2e package takes about 16.5 minutes with -race on the 2-core CI
# machine; the timeout only catches a hang, with room for a loaded machine.
unit: $(VICTORIALOGS) $(ETCD)
	APILOGS_COLLECTOR=$(COLLECTOR) APILOGS_VICTORIALOGS=$(VICTORIALOGS) APILOGS_ETCD=$(ETCD) \
	  APILOGS_PROMETHEUS=$(PROMETHEUS) APILOGS_PROMTOOL=$(PROMTOOL) \
	  $(GO) test -race -count=1 -timeout 35m ./...

## chaos: the long loss/duplicate run (restarts and SIGKILLs) against the simulator, in three rounds
## (Logto tie groups larger than a page in a stable order; groups of up to 250 in a new order on
## every request; pages capped below page_size on every API; all with Make runs listed before they
## finish), then the HA round (three collectors on $(ETCD), owners killed, paused and stopped at
## random for 2 minutes; the seed is printed, -ha-seed in CHAOS_ARGS runs a sequence again),
## about 10 minutes
chaos: build $(ETCD)
	$(GO) run ./internal/testing/cmd/chaos -collector $(COLLECTOR) -duration 6m -restarts 6 -kills 6 -rounds $(CHAOS_ROUNDS) \
	  -ha 2m -etcd $(ETCD) $(CHAOS_ARGS)

# The short run of make test: the same rounds, one restart and one kill each, a tie group every 2 s
# (a round has about 13 s of creation), Make runs pending for at most 4 list answers (a run pending
# for 10 holds each catch-up 10 s), about 90 seconds.
# Its HA version is the end-to-end TestHAChaosRound (in `make unit`): the HA round here would add
# close to a minute (etcd, three collectors, the catch-up and the idle count).
chaos-short: build
	$(GO) run ./internal/testing/cmd/chaos -collector $(COLLECTOR) -duration 40s -restarts 3 -kills 3 -rounds $(CHAOS_ROUNDS) -tie-group-every 2s -make-pending 0,1,2,4 $(CHAOS_ARGS)

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
	cd extension/apilogscoordinatorextension && $(GO) generate ./...

## lint: gofmt, then golangci-lint (tools/go.mod) with .golangci.yml, the collector core's linter set
## (govet included); not part of `make test` or CI yet
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(TOOLS) golangci-lint run ./...

clean:
	rm -rf _build _data
