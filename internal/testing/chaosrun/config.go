package chaosrun

import (
	"cmp"
	"fmt"
	"os"
	"strings"
)

// Config is a collector configuration: the receivers, file_storage, health_check
// and an otlp_http exporter without a sending queue, so that a page is
// checkpointed only after the sink answered.
type Config struct {
	Receivers  []Receiver
	StorageDir string
	SinkURL    string
	HealthAddr string // host:port of the health_check extension

	CollectionInterval string // default 1s
	StartAt            string // default -24h
	PageSize           int    // 0: the API's default
	Settle             string // empty: none
	Timeout            string // receiver HTTP timeout; empty: default
	// RequestsPerMinute overrides every API's client-side budget (0: the documented limits).
	RequestsPerMinute int
	// RetryOnFailure sets short retry intervals for failing API requests.
	RetryOnFailure bool
	LogLevel       string // default info
	// Coordinator, when set, runs the receivers under an api_logs_coordinator
	// extension (cursors in etcd) instead of file_storage.
	Coordinator *Coordinator
}

// Coordinator is the api_logs_coordinator extension of a Config.
type Coordinator struct {
	Endpoints []string
	MemberID  string
	LeaseTTL  string // default 2s
}

// Render returns the YAML.
func (c Config) Render() string {
	interval := or(c.CollectionInterval, "1s")
	startAt := or(c.StartAt, "-24h")
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("extensions:")
	w("  file_storage:")
	w("    directory: %s", c.StorageDir)
	w("    create_directory: true")
	extensions := "file_storage, health_check"
	cursors := "storage: file_storage"
	if co := c.Coordinator; co != nil {
		w("  api_logs_coordinator:")
		w("    endpoints: [%s]", strings.Join(co.Endpoints, ", "))
		w("    member_id: %s", co.MemberID)
		w("    lease_ttl: %s", or(co.LeaseTTL, "2s"))
		extensions += ", api_logs_coordinator"
		cursors = "coordinator: api_logs_coordinator"
	}
	w("  health_check:")
	w("    endpoint: %s", c.HealthAddr)
	w("receivers:")
	ids := make([]string, 0, len(c.Receivers))
	for _, r := range c.Receivers {
		ids = append(ids, "api_logs/"+r.ID)
		w("  api_logs/%s:", r.ID)
		for _, s := range r.Settings {
			w("    %s", s)
		}
		w("    collection_interval: %s", interval)
		w("    start_at: %q", startAt)
		w("    %s", cursors)
		if ps := cmp.Or(r.PageSize, c.PageSize); ps > 0 {
			w("    page_size: %d", ps)
		}
		if c.Settle != "" {
			w("    settle: %s", c.Settle)
		}
		if c.Timeout != "" {
			w("    timeout: %s", c.Timeout)
		}
		if rpm := cmp.Or(r.RequestsPerMinute, c.RequestsPerMinute); rpm > 0 {
			w("    rate_limit: {requests_per_minute: %d, burst: %d}", rpm, max(1, rpm/60))
		}
		if c.RetryOnFailure {
			w("    retry_on_failure: {enabled: true, initial_interval: 100ms, max_interval: 1s, max_elapsed_time: 0s}")
		}
	}
	w("exporters:")
	w("  otlp_http:")
	w("    endpoint: %s", c.SinkURL)
	w("    sending_queue:")
	w("      enabled: false")
	w("    retry_on_failure:")
	w("      enabled: true")
	w("      initial_interval: 100ms")
	w("      max_interval: 1s")
	w("service:")
	w("  telemetry:")
	w("    metrics:")
	w("      level: none")
	w("    logs:")
	w("      level: %s", or(c.LogLevel, "info"))
	w("  extensions: [%s]", extensions)
	w("  pipelines:")
	w("    logs:")
	w("      receivers: [%s]", strings.Join(ids, ", "))
	w("      exporters: [otlp_http]")
	return b.String()
}

// Write renders the configuration into path.
func (c Config) Write(path string) error {
	return os.WriteFile(path, []byte(c.Render()), 0o600)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
