//go:generate go tool -modfile=../../tools/go.mod mdatagen metadata.yaml

// Package apilogsreceiver polls the log APIs of SaaS and self-hosted products
// and emits their records as OpenTelemetry logs, checkpointing each stream's
// cursor in a storage extension only after the pipeline accepted the records.
package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"
