// Package e2e runs the collector binary against the simulator and an OTLP sink.
// The tests need the built collector: APILOGS_COLLECTOR=<path to otelcol-api-logs>
// (`make unit` sets it); without it they are skipped.
package e2e
