// Package e2e runs the collector binary against the simulator and an OTLP sink
// or a real log store. The tests need the built collector:
// APILOGS_COLLECTOR=<path to otelcol-api-logs> (`make unit` sets it); without
// it they are skipped. The log-store tests also need VictoriaLogs
// (APILOGS_VICTORIALOGS, which `make unit` installs and sets) and the UI test
// Chromium (/usr/bin/chromium or APILOGS_CHROMIUM; skipped without it unless
// APILOGS_REQUIRE_CHROMIUM=1, as in CI). The alerting tests need Debian's
// prometheus (APILOGS_PROMETHEUS, default /usr/bin/prometheus; skipped without
// it unless APILOGS_REQUIRE_PROMETHEUS=1, as in CI).
package e2e
