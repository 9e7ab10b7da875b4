package apilogsreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(component.MustNewType("api_logs"), name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestConfigValid(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		streams  []string
		pageSize int
		vars     map[string]string
		listVars map[string][]string
		check    func(t *testing.T, cfg *Config, r *resolved)
	}{
		{
			name: "tines_actions", endpoint: "https://acme.tines.com", streams: []string{"1001", "1002"}, pageSize: 100,
			check: func(t *testing.T, cfg *Config, r *resolved) {
				assert.Equal(t, 30*time.Second, cfg.CollectionInterval)
				now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
				assert.Equal(t, now.Add(-2*time.Hour), r.startAt(now))
			},
		},
		{
			name: "tines_audit", endpoint: "https://acme.tines.com", pageSize: 500,
			listVars: map[string][]string{"operation_names": {"login", "story_create"}, "user_ids": {"5", "6"}},
			check: func(t *testing.T, cfg *Config, r *resolved) {
				assert.Equal(t, 10*time.Second, cfg.Settle)
				assert.Equal(t, time.Minute, cfg.CollectionInterval, "default interval")
				now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
				assert.Equal(t, now.Add(-24*time.Hour), r.startAt(now), "default start_at is -24h")
			},
		},
		{
			name: "stackone", endpoint: "https://api.stackone.com", pageSize: 100,
			check: func(t *testing.T, _ *Config, r *resolved) {
				assert.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), r.startAt(time.Now()))
			},
		},
		{
			name: "logto", endpoint: "https://acme.logto.app", pageSize: 100, vars: map[string]string{"log_key": "ExchangeTokenBy.ClientCredentials"},
			check: func(t *testing.T, _ *Config, r *resolved) {
				now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
				assert.Equal(t, now, r.startAt(now))
			},
		},
		{name: "oms", endpoint: "https://oms.example.com", pageSize: 50},
		{
			name: "make_scenarios", endpoint: "https://eu1.make.com", streams: []string{"7001"}, pageSize: 100,
			check: func(t *testing.T, cfg *Config, _ *resolved) {
				assert.Equal(t, map[string]string{"2": "ERROR"}, cfg.SeverityMap)
				assert.True(t, cfg.EnrichExecutions, "enrichment is on by default")
			},
		},
		{name: "make_team", endpoint: "https://eu1.make.com", pageSize: 100, vars: map[string]string{"team_id": "7"}},
		{name: "make_modules", endpoint: "https://eu1.make.com", streams: []string{"1", "2"}, pageSize: 100, vars: map[string]string{"scenario_id": "7001"}},
		{
			name: "make_audit", endpoint: "https://eu1.make.com", pageSize: 1000, vars: map[string]string{"organization_id": "21"},
			check: func(t *testing.T, cfg *Config, _ *resolved) {
				assert.Equal(t, RateLimitConfig{RequestsPerMinute: 30, Burst: 2}, cfg.RateLimit)
			},
		},
		{
			name: "custom", endpoint: "https://api.example.com/v2", streams: []string{"a", "b"}, pageSize: 200,
			check: func(t *testing.T, cfg *Config, r *resolved) {
				require.NotNil(t, r.spec)
				assert.Equal(t, "events", r.spec.Records.Path)
				assert.Equal(t, time.Second, r.spec.Records.TimePrecision)
				assert.Same(t, cfg.Custom, r.spec)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loadConfig(t, tt.name)
			require.NoError(t, cfg.Validate())
			r, err := cfg.resolve()
			require.NoError(t, err)
			assert.Equal(t, tt.endpoint, r.endpoint.String())
			if tt.streams == nil {
				assert.Empty(t, r.streamIDs)
			} else {
				assert.Equal(t, tt.streams, r.streamIDs)
			}
			assert.Equal(t, tt.pageSize, r.pageSize)
			for k, v := range tt.vars {
				assert.Equal(t, v, r.vars.Get(k), k)
			}
			for k, v := range tt.listVars {
				assert.Equal(t, v, r.vars[k], k)
			}
			if tt.check != nil {
				tt.check(t, cfg, r)
			}
		})
	}
}

func TestConfigInvalid(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{name: "missing_api", want: `"api" is required: one of logto_logs, make_audit_logs, make_module_logs, make_scenario_logs, oms_action_logs, stackone_action_logs, tines_action_logs, tines_audit_logs, custom`},
		{name: "unknown_api", want: `"api" unknown api "tines_everything" (known: logto_logs, make_audit_logs, make_module_logs, make_scenario_logs, oms_action_logs, stackone_action_logs, tines_action_logs, tines_audit_logs, custom)`},
		{name: "bad_endpoint", want: `"endpoint" must be an http or https URL with a host, got "ftp://oms.example.com"`},
		{name: "endpoint_with_credentials", want: `"endpoint" must not carry credentials or a query; use api_key and the API's options`},
		{name: "page_size_too_large", want: `"page_size" must be between 1 and 100 for api oms_action_logs, got 101`},
		{name: "missing_api_key", want: `"api_key" is required by api tines_audit_logs`},
		{name: "missing_action_ids", want: `"action_ids" is required by api tines_action_logs: list at least one id`},
		{name: "logto_missing_secret", want: `"client_secret" is required by api logto_logs`},
		{name: "make_modules_without_scenario", want: `"scenario_id" is required by api make_module_logs (it is part of the request path)`},
		{name: "bad_start_at", want: `"start_at" must be an RFC 3339 time, a negative duration such as -24h, or "now"; got "yesterday"`},
		{name: "negative_settle", want: `"settle" must not be negative`},
		{name: "bad_severity", want: `"severity_map.20" unknown severity "LOUD" (want TRACE..FATAL4, UNSPECIFIED or 0..24)`},
		{name: "custom_broken", want: `"custom.pagination.type" must be one of page, offset, next_url, link_header, cursor, none; got "sideways"
` +
			`"custom.records.order" must be "newest_first" or "oldest_first", got "random"
` +
			`"custom.records.id_field" is required: records are deduplicated by id
` +
			`"custom.records.time_precision" must be positive (1s, 1ms, ...)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadConfig(t, tt.name).Validate()
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

// ClientConfig is a named squashed field; its own Unmarshal must still run so
// that the keepalive section reaches the HTTP transport.
func TestKeepaliveSectionApplies(t *testing.T) {
	cm := confmap.NewFromStringMap(map[string]any{
		"api": "tines_action_logs", "endpoint": "https://acme.tines.com", "api_key": "k", "action_ids": []any{1},
		"keepalive": map[string]any{"idle_conn_timeout": "7s", "max_idle_conns": 3},
	})
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, cm.Unmarshal(cfg))
	// confighttp v0.161 folds the keepalive section into the deprecated
	// fields, the only place its values can be read after Unmarshal.
	assert.Equal(t, 7*time.Second, cfg.ClientConfig.IdleConnTimeout) //nolint:staticcheck // see above
	assert.Equal(t, 3, cfg.ClientConfig.MaxIdleConns)                //nolint:staticcheck // see above
	assert.False(t, cfg.ClientConfig.DisableKeepAlives)              //nolint:staticcheck // see above
	assert.Equal(t, "k", string(cfg.APIKey), "the receiver's own keys still decode")
}
