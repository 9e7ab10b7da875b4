//go:generate go tool -modfile=../../tools/go.mod mdatagen metadata.yaml

// Package apilogscoordinatorextension runs several collectors whose api_logs
// receivers name it (coordinator: api_logs_coordinator) as one cluster on
// etcd: each budget group is polled by exactly one member, cursors live in
// etcd and a former owner's writes are refused.
package apilogscoordinatorextension // import "github.com/otelcol-api-logs/otelcol-api-logs/extension/apilogscoordinatorextension"
