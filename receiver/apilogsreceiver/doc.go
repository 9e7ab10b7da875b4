//go:generate go tool -modfile=../../tools/go.mod mdatagen metadata.yaml

// Package apilogsreceiver polls the log APIs of SaaS and self-hosted products
// and emits their records as OpenTelemetry logs, checkpointing each stream's
// cursor in a storage extension only after the pipeline accepted the records.
//
// The files, one job each:
//   - factory.go: the component factory and its default config.
//   - config.go: Config, Validate and its resolution against the API spec.
//   - config_values.go: single values of the config (start_at, the endpoint
//     help, URL joins, id lists).
//   - config_options.go: the API-specific options (streams, variables).
//   - config_unmarshal.go: strict keys with a suggestion, the moved keys.
//   - receiver.go: Start and Shutdown, the thin shell around the engine.
//   - budgets.go: request budgets shared by the receivers of one vendor.
//   - status.go: component status, reported on change.
//   - telemetry.go: the component metrics.
package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"
