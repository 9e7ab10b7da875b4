package apilogsreceiver

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"
	zapobserver "go.uber.org/zap/zaptest/observer"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/mapper"
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
				assert.Equal(t, mapper.BodyRecord, r.body)
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
		{
			name: "oms", endpoint: "https://oms.example.com", pageSize: 50,
			check: func(t *testing.T, cfg *Config, r *resolved) {
				assert.Equal(t, "message", cfg.Body, "the default")
				assert.Equal(t, mapper.BodyMessage, r.body)
			},
		},
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
				assert.Equal(t, "example.event", r.spec.Records.EventName)
				assert.Equal(t, []apispec.MessagePart{
					{Field: "action"},
					{Field: "actor.name", Prefix: " by "},
					{Field: "outcome", Prefix: ": ", Values: map[string]string{"0": "ok", "1": "failed"}},
				}, r.spec.Records.Message)
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
		{name: "logto_missing_secret", want: `"client_secret" is required by api logto_logs (or a jwt section)`},
		{name: "make_modules_without_scenario", want: `"scenario_id" is required by api make_module_logs (it is part of the request path)`},
		{name: "bad_start_at", want: `"start_at" must be an RFC 3339 time, a negative duration such as -24h, or "now"; got "yesterday"`},
		{name: "negative_settle", want: `"settle" must not be negative`},
		{name: "bad_severity", want: `"severity_map.20" unknown severity "LOUD" (want TRACE..FATAL4, UNSPECIFIED or 0..24)`},
		{name: "custom_broken", want: `"custom.pagination.type" must be one of page, offset, next_url, link_header, cursor, none; got "sideways"
` +
			`"custom.records.order" must be "newest_first" or "oldest_first", got "random"
` +
			`"custom.records.id_field" is required (or custom.records.id_fields, or custom.records.id: hash): records are deduplicated by id
` +
			`"custom.records.time_precision" must be positive (1s, 1ms, ...)`},
		{name: "bad_body", want: `"body" must be "message" or "record", got "map"`},
		{name: "custom_bad_message", want: `"custom.records.event_name" must be lower-case words joined by dots, such as tines.audit_log; got "Example"
` +
			`"custom.records.attributes_namespace" must not be log.record.uid or start with api_logs: the receiver sets those attributes; got "api_logs.acme"
` +
			`"custom.records.message[0]" must name exactly one of field, enriched, attribute or var
` +
			`"custom.records.message[1].var" must be one of stream; got "team_id"
` +
			`"custom.records.message[2].enriched" must be a key of enrich.attributes, and the spec enriches nothing; got "error.name"
` +
			`"custom.records.message[3].attribute" must be an attribute the receiver sets (log.record.uid, api_logs.*, not api_logs.message); the record's fields are read with field, what enrichment read with enriched; got "level"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadConfig(t, tt.name).Validate()
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

// The keepalive section of the squashed confighttp.ClientConfig decodes into
// its Keepalive, from which ToClient sets the HTTP transport.
func TestKeepaliveSectionApplies(t *testing.T) {
	cm := confmap.NewFromStringMap(map[string]any{
		"api": "tines_action_logs", "endpoint": "https://acme.tines.com", "api_key": "k", "action_ids": []any{1},
		"keepalive": map[string]any{"idle_conn_timeout": "7s", "max_idle_conns": 3},
	})
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, cm.Unmarshal(cfg))
	// confighttp v1.71 reads the section into Keepalive (v0.161 folded it
	// into top-level fields that v1.71 removed); ToClient applies it.
	require.True(t, cfg.ClientConfig.Keepalive.HasValue())
	ka := cfg.ClientConfig.Keepalive.Get()
	assert.Equal(t, 7*time.Second, ka.IdleConnTimeout)
	assert.Equal(t, 3, ka.MaxIdleConns)
	assert.Equal(t, "k", string(cfg.APIKey), "the receiver's own keys still decode")
}

// The keep-alive keys that confighttp v1.71 (collector v0.165) removed keep
// working: they are read into the keepalive section, and Start warns.
func TestRemovedKeepaliveKeysStillApply(t *testing.T) {
	base := map[string]any{"api": "tines_action_logs", "endpoint": "https://acme.tines.com", "api_key": "k", "action_ids": []any{1}}
	with := func(extra map[string]any) *Config {
		m := maps.Clone(base)
		maps.Copy(m, extra)
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		require.NoError(t, confmap.NewFromStringMap(m).Unmarshal(cfg))
		return cfg
	}
	cfg := with(map[string]any{"idle_conn_timeout": "7s", "max_idle_conns": 3, "max_idle_conns_per_host": 2})
	require.True(t, cfg.ClientConfig.Keepalive.HasValue())
	ka := cfg.ClientConfig.Keepalive.Get()
	assert.Equal(t, 7*time.Second, ka.IdleConnTimeout)
	assert.Equal(t, 3, ka.MaxIdleConns)
	assert.Equal(t, 2, ka.MaxIdleConnsPerHost)
	assert.Equal(t, []string{"idle_conn_timeout", "max_idle_conns", "max_idle_conns_per_host"}, cfg.movedKeys)

	cfg = with(map[string]any{"disable_keep_alives": true})
	assert.False(t, cfg.ClientConfig.Keepalive.HasValue(), "disable_keep_alives: true is keepalive: {enabled: false}")
	assert.Equal(t, []string{"disable_keep_alives"}, cfg.movedKeys)

	cfg = with(map[string]any{"disable_keep_alives": false})
	assert.True(t, cfg.ClientConfig.Keepalive.HasValue())

	cfg = with(nil)
	assert.Empty(t, cfg.movedKeys)
}

// loadFirstContact unmarshals one receiver of testdata/first_contact.yaml.
func loadFirstContact(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "first_contact.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(component.MustNewType("api_logs"), name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	return cfg, sub.Unmarshal(cfg)
}

// Unknown keys, durations without a unit and a start_at of the wrong type
// fail when the configuration is read, every one at once, each with its key
// and what to write instead.
func TestConfigUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{name: "typos", want: []string{
			`"actionids" is not an api_logs key; did you mean "action_ids"?`,
			`"colection_interval" is not an api_logs key; did you mean "collection_interval"?`,
			`"stroage" is not an api_logs key; did you mean "storage"?`,
		}},
		{name: "nested_typos", want: []string{
			`"rate_limit.burts" is not an api_logs key; did you mean "rate_limit.burst"?`,
			`"rate_limit.per_hour" is not an api_logs key; rate_limit takes burst, requests_per_minute, shared_budget`,
			`"rate_limit.sharedbudget" is not an api_logs key; did you mean "rate_limit.shared_budget"?`,
			`"requests_per_minute" is not an api_logs key; did you mean "rate_limit.requests_per_minute"?`,
			`"retry_on_failure.enabld" is not an api_logs key; did you mean "retry_on_failure.enabled"?`,
			`"tls.insecure_skip_verfy" is not an api_logs key; did you mean "tls.insecure_skip_verify"?`,
		}},
		{name: "custom_typos", want: []string{
			`"custom.options.workspace_id.typ" is not an api_logs key; did you mean "custom.options.workspace_id.type"?`,
			`"custom.recods" is not an api_logs key; did you mean "custom.records"?`,
			`"custom.request.mehtod" is not an api_logs key; did you mean "custom.request.method"?`,
		}},
		{name: "bare_durations", want: []string{
			`"collection_interval" must be a duration with a unit, such as 5s or 5m; got 5`,
			`"discovery_interval" must be a duration with a unit, such as 10s or 10m; got 10`,
			`"max_window" must be a duration with a unit, such as 3s or 3m; got 3`,
			`"retry_on_failure.initial_interval" must be a duration with a unit, such as 1.5s or 1.5m; got 1.5`,
			`"settle" must be a duration with a unit, such as 30s, 5m or 1h30m; got "5"`,
			`"timeout" must be a duration with a unit, such as 30s or 30m; got 30`,
		}},
		{name: "start_at_number", want: []string{
			`"start_at" must be an RFC 3339 time, a negative duration such as -24h, or "now"; got 20251201`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadFirstContact(t, tt.name)
			require.Error(t, err)
			// confmap prefixes the error of an Unmarshal method with its own
			// words; the rest is one line per problem.
			msg := err.Error()
			start := strings.Index(msg, `"`)
			require.GreaterOrEqual(t, start, 0, msg)
			msg = msg[start:]
			assert.Equal(t, strings.Join(tt.want, "\n"), msg)
		})
	}
}

// The same checks on a map, as the collector hands it over, and the keys
// that stay valid.
func TestConfigUnmarshalMap(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{"api": "tines_action_logs", "endpoint": "https://acme.tines.com", "api_key": "k", "action_ids": []any{1}}
	}
	tests := []struct {
		name string
		set  map[string]any
		want string // empty: decodes
	}{
		{name: "every documented key", set: map[string]any{
			"collection_interval":  "1m",
			"start_at":             "-1h",
			"page_size":            10,
			"settle":               "0",
			"max_pages_per_poll":   5,
			"max_concurrent_polls": 2,
			"max_window":           "1h",
			"enrich_executions":    false,
			"discovery_interval":   "5m",
			"max_body_size":        1024,
			"rate_limit":           map[string]any{"requests_per_minute": 10, "burst": 2, "shared_budget": "x"},
			"retry_on_failure":     map[string]any{"enabled": true, "initial_interval": "1s", "max_interval": "5s", "max_elapsed_time": 0},
			"severity_map":         map[string]any{"2": "ERROR"},
			"storage":              "file_storage",
			"reset_cursors":        map[string]any{"*": "a"},
			"timeout":              "10s",
			"headers":              map[string]any{"X-A": "b"},
			"tls":                  map[string]any{"insecure_skip_verify": true},
			"keepalive":            map[string]any{"idle_conn_timeout": "7s"},
			"vars":                 map[string]any{"a": "b"},
			"body":                 "record",
			"resource_attributes":  map[string]any{"server.address": map[string]any{"enabled": false}},
			"endpoint_params":      map[string]any{"audience": "https://api.example.com"},
			"jwt": map[string]any{
				"grant": "jwt_bearer", "private_key": "k", "key_id": "1", "algorithm": "ES256",
				"issuer": "i", "subject": "s", "audience": "a", "lifetime": "2m",
			},
		}},
		{name: "unknown key far from any", set: map[string]any{"zzzzzz": 1}, want: `"zzzzzz" is not an api_logs key (the README lists them under Options)`},
		{name: "keep-alive key confighttp v1.71 removed", set: map[string]any{"idle_conn_timeout": "7s"}},
		{name: "keep-alive key set both ways", set: map[string]any{"idle_conn_timeout": "7s", "keepalive": map[string]any{"idle_conn_timeout": "8s"}}, want: `"idle_conn_timeout" and keepalive.idle_conn_timeout are both set; "idle_conn_timeout" was removed in collector v0.165 (confighttp v1.71): keep only keepalive.idle_conn_timeout`},
		{name: "disable_keep_alives not a bool", set: map[string]any{"disable_keep_alives": "yes"}, want: `"disable_keep_alives" must be true or false, got yes`},
		{name: "keep-alives disabled", set: map[string]any{"keepalive": map[string]any{"enabled": false}}},
		{name: "an option of another API is a key", set: map[string]any{"team_id": 7}},
		{name: "typed option of the wrong type", set: map[string]any{"action_ids": []any{"abc"}}, want: `'action_ids[0]' expected type 'int64', got unconvertible type 'string'`},
		{name: "bare zero duration", set: map[string]any{"settle": 0}},
		{name: "duration typo", set: map[string]any{"collection_interval": "5 minutes"}, want: `"collection_interval" must be a duration with a unit, such as 30s, 5m or 1h30m; got "5 minutes"`},
		{name: "custom section typo", set: map[string]any{"custom": map[string]any{"pagination": map[string]any{"tpye": "page"}}}, want: `"custom.pagination.tpye" is not an api_logs key; did you mean "custom.pagination.type"?`},
		{name: "message part typo", set: map[string]any{"custom": map[string]any{"records": map[string]any{"message": []any{map[string]any{"feild": "x"}}}}}, want: `"custom.records.message[0].feild" is not an api_logs key; did you mean "custom.records.message[0].field"?`},
		{name: "resource attribute typo", set: map[string]any{"resource_attributes": map[string]any{"api_logs.sorce": map[string]any{"enabled": false}}}, want: `"resource_attributes.api_logs.sorce" is not an api_logs key; did you mean "resource_attributes.api_logs.source"?`},
		{name: "severity rule typo", set: map[string]any{"custom": map[string]any{"severity": map[string]any{"rules": []any{map[string]any{"feild": "x"}}}}}, want: `"custom.severity.rules[0].feild" is not an api_logs key; did you mean "custom.severity.rules[0].field"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			for k, v := range tt.set {
				m[k] = v
			}
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			err := confmap.NewFromStringMap(m).Unmarshal(cfg)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// resource_attributes switches each attribute; the others keep their
// default (on).
func TestResourceAttributesConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"api": "tines_action_logs", "endpoint": "https://acme.tines.com", "api_key": "k", "action_ids": []any{1},
		"resource_attributes": map[string]any{
			"api_logs.source": map[string]any{"enabled": false},
			"tines.action.id": map[string]any{"enabled": false},
		},
	}).Unmarshal(cfg))
	assert.False(t, cfg.ResourceAttributes.APILogsSource.Enabled)
	assert.False(t, cfg.ResourceAttributes.TinesActionID.Enabled)
	for name, on := range map[string]bool{
		"api_logs.api": cfg.ResourceAttributes.APILogsAPI.Enabled, "api_logs.stream": cfg.ResourceAttributes.APILogsStream.Enabled,
		"server.address": cfg.ResourceAttributes.ServerAddress.Enabled, "make.scenario.id": cfg.ResourceAttributes.MakeScenarioID.Enabled,
		"make.module.id": cfg.ResourceAttributes.MakeModuleID.Enabled,
	} {
		assert.True(t, on, name)
	}
}

func TestStartAtForms(t *testing.T) {
	day := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		want time.Time
		err  string
	}{
		{name: "start_at_rfc3339", want: day},
		{name: "start_at_offset", want: time.Date(2025, 12, 1, 10, 30, 0, 250e6, time.FixedZone("", 2*3600))},
		{name: "start_at_space", want: day.Add(10*time.Hour + 30*time.Minute)},
		{name: "start_at_date", want: day},
		{name: "start_at_quoted_date", want: day},
		{name: "start_at_positive", err: `"start_at" must be an RFC 3339 time, a negative duration such as -24h, or "now"; got "24h" (a start in the past is a negative duration: -24h)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadFirstContact(t, tt.name)
			require.NoError(t, err, "an unquoted timestamp decodes")
			r, err := cfg.resolve()
			if tt.err != "" {
				assert.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(r.startAt(time.Now())), "got %s", r.startAt(time.Now()))
		})
	}
}

func TestOptionsFollowTheSpec(t *testing.T) {
	tests := []struct {
		name    string
		want    string
		vars    map[string][]string
		streams []string
	}{
		{name: "foreign_options", want: `"action_ids" is not used by api tines_audit_logs (its options: operation_names, user_ids)
"team_id" is not used by api tines_audit_logs (its options: operation_names, user_ids)
"stream_ids" is not used by api tines_audit_logs (its options: operation_names, user_ids)`},
		{name: "no_options", want: `"log_key" is not used by api stackone_action_logs (it has no options of its own)`},
		{name: "custom_options", vars: map[string][]string{"workspace_id": {"9"}, "team_id": {"7"}}},
		{name: "custom_bad_options", want: `"custom.options.action_ids.type" must be int_list: the receiver reads action_ids as int_list, got "string_list"
"custom.options.timeout" is a key of the receiver itself; give the option another name
"custom.streams.key" names "item_ids", which is neither stream_ids nor an option under custom.options`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadFirstContact(t, tt.name)
			require.NoError(t, err)
			r, err := cfg.resolve()
			if tt.want != "" {
				assert.EqualError(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, apispec.Vars(tt.vars), r.vars)
			assert.Equal(t, tt.streams, r.streamIDs)
		})
	}
}

// A key only a custom spec declares is decoded by the spec's type, like the
// typed keys; a built-in API that does not read it rejects it.
func TestMoreOptions(t *testing.T) {
	cfg, err := loadFirstContact(t, "custom_options")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"workspace_id": int64(9)}, cfg.MoreOptions)

	cfg = NewFactory().CreateDefaultConfig().(*Config)
	err = confmap.NewFromStringMap(map[string]any{
		"api": "custom", "endpoint": "https://api.example.com", "api_key": "k", "workspace_id": "nine",
		"custom": map[string]any{"options": map[string]any{"workspace_id": map[string]any{"type": "int"}}},
	}).Unmarshal(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `'workspace_id' expected type 'int64', got unconvertible type 'string'`)

	cfg = NewFactory().CreateDefaultConfig().(*Config)
	cfg.API, cfg.ClientConfig.Endpoint, cfg.APIKey = "oms_action_logs", "https://oms.example.com", "k"
	cfg.MoreOptions = map[string]any{"workspace_id": int64(9), "empty": ""}
	assert.EqualError(t, cfg.Validate(), `"workspace_id" is not used by api oms_action_logs (it has no options of its own)`)
}

// A custom spec written before options existed keeps reading the built-in
// keys its templates name; keys it does not name are rejected.
func TestCustomSpecWithoutOptions(t *testing.T) {
	cfg := loadConfig(t, "custom")
	cfg.Custom.Request.Query["team"] = apispec.QueryValues{"{{team_id}}"}
	cfg.Custom.Streams.Discover = &apispec.Discover{When: []string{"organization_id"}, Request: apispec.Request{Path: "/s"}, Pagination: apispec.Pagination{Type: apispec.PaginationNone}, IDField: "id"}
	cfg.TeamID, cfg.OrganizationID, cfg.LogKey = 7, 21, "x"
	_, err := cfg.resolve()
	require.EqualError(t, err, `"log_key" is not used by api custom (its options: organization_id, team_id)`)
	cfg.LogKey = ""
	r, err := cfg.resolve()
	require.NoError(t, err)
	assert.Equal(t, "7", r.vars.Get("team_id"))
	assert.Equal(t, "21", r.vars.Get("organization_id"))
}

// Each API's missing endpoint error shows that API's form of the URL.
func TestEndpointExamples(t *testing.T) {
	tests := []struct{ api, want string }{
		{api: "tines_action_logs", want: "https://<tenant>.tines.com"},
		{api: "tines_audit_logs", want: "https://<tenant>.tines.com"},
		{api: "logto_logs", want: "https://<tenant>.logto.app"},
		{api: "oms_action_logs", want: "https://<oms domain>"},
		{api: "make_scenario_logs", want: "https://eu1.make.com"},
		{api: "make_module_logs", want: "https://eu1.make.com"},
		{api: "make_audit_logs", want: "https://eu1.make.com"},
	}
	for _, tt := range tests {
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		cfg.API = tt.api
		_, err := cfg.resolve()
		require.Error(t, err)
		assert.Contains(t, err.Error(), `"endpoint" is required: the base URL of api `+tt.api+`, e.g. `+tt.want+"\n", tt.api)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API, cfg.APIKey = "stackone_action_logs", "k"
	r, err := cfg.resolve()
	require.NoError(t, err)
	assert.Equal(t, "https://api.stackone.com", r.endpoint.String(), "the spec's default_endpoint")

	cfg.API = apispec.Custom
	_, err = cfg.resolve()
	require.ErrorContains(t, err, `"endpoint" is required: the base URL of the API, e.g. https://api.example.com (a path prefix is kept)`)
	cfg.API = ""
	_, err = cfg.resolve()
	assert.ErrorContains(t, err, `"endpoint" is required: the base URL of the API's tenant or zone`)
}

// The typed option keys are the built-in specs' options, with their types,
// and none of them is a key of the receiver itself.
func TestAPIOptionsMatchTheSpecs(t *testing.T) {
	builtin, err := apispec.BuiltinOptions()
	require.NoError(t, err)
	typ := reflect.TypeFor[APIOptions]()
	for key, i := range apiOptionFields() {
		opt, ok := builtin[key]
		if assert.True(t, ok, "APIOptions.%s (%s) is declared by no built-in spec", typ.Field(i).Name, key) {
			assert.Equal(t, optionGoType(opt.Type), typ.Field(i).Type, key)
		}
	}
	own := keysOf(reflect.TypeFor[Config]())
	for key := range builtin {
		if _, typed := apiOptionFields()[key]; !typed {
			assert.NotContains(t, own, key, "option %s is a receiver key", key)
		}
		assert.False(t, apispec.IsEngineVar(key), key)
	}
}

// A broken custom spec is reported once, with the "custom." prefix, also by
// the collector's recursive validation.
func TestCustomSpecErrorsOnce(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "custom_broken"))
	require.Error(t, err)
	assert.Equal(t, 1, strings.Count(err.Error(), "records.order"), err.Error())
}

// The defaults the engine and the HTTP client also need come from apispec.
func TestSharedDefaults(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	assert.Equal(t, apispec.DefaultRequestTimeout, cfg.ClientConfig.Timeout)
	assert.Equal(t, int64(apispec.DefaultMaxBodySize), cfg.MaxBodySize)
	assert.Equal(t, apispec.DefaultConcurrentPolls, cfg.MaxConcurrentPolls)
	spec, err := apispec.Builtin("oms_action_logs")
	require.NoError(t, err)
	spec.Pagination.MaxPageSize, spec.Pagination.DefaultPageSize = 0, 0
	cfg.API, cfg.Custom, cfg.ClientConfig.Endpoint, cfg.APIKey = apispec.Custom, spec, "https://oms.example.com", "k"
	r, err := cfg.resolve()
	require.NoError(t, err)
	assert.Equal(t, apispec.DefaultPageSize, r.pageSize)
}

func TestClosestKey(t *testing.T) {
	cands := []candidate{{"storage", "storage"}, {"collection_interval", "collection_interval"}, {"discovery_interval", "discovery_interval"}, {"api", "api"}}
	tests := []struct{ key, want string }{
		{"stroage", "storage"},
		{"Storage", "storage"},
		{"collectioninterval", "collection_interval"},
		{"colection_intervall", "collection_interval"},
		{"discovery", "discovery_interval"},
		{"apu", "api"},
		{"xyz", ""},
		{"endpoint", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, closest(tt.key, cands), tt.key)
	}
}

// Every built-in spec, pasted under `custom:`, is a valid custom spec whose
// options the receiver reads as it does for the built-in API.
func TestBuiltinSpecsAsCustom(t *testing.T) {
	for _, name := range apispec.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "..", "internal", "apispec", "builtin", name+".yaml"))
			require.NoError(t, err)
			var spec map[string]any
			require.NoError(t, yaml.Unmarshal(raw, &spec))
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			require.NoError(t, confmap.NewFromStringMap(map[string]any{"api": apispec.Custom, "custom": spec}).Unmarshal(cfg))
			require.NoError(t, cfg.Custom.ValidateAt("custom."))
			builtin, err := apispec.Builtin(name)
			require.NoError(t, err)
			assert.Equal(t, builtin.Records.Namespace(), cfg.Custom.Records.Namespace())
			opts, errs := cfg.apiOptions(cfg.Custom)
			assert.Empty(t, errs)
			if len(builtin.Options) == 0 {
				assert.Empty(t, opts)
			} else {
				assert.Equal(t, builtin.Options, opts)
			}
		})
	}
}

// A custom spec's records go under "custom" unless it names its own
// namespace; one written empty is an error, not the top level.
func TestCustomNamespace(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "internal", "apispec", "builtin", "oms_action_logs.yaml"))
	require.NoError(t, err)
	for _, tt := range []struct {
		set  any // records.attributes_namespace; nil: not written
		want string
		err  string
	}{
		{want: "custom"},
		{set: "acme", want: "acme"},
		{set: "", err: `"custom.records.attributes_namespace" must not be empty: the record's fields go in one map under this attribute (default "custom")`},
		{set: "log.record.uid", err: `"custom.records.attributes_namespace" must not be log.record.uid or start with api_logs: the receiver sets those attributes; got "log.record.uid"`},
	} {
		var spec map[string]any
		require.NoError(t, yaml.Unmarshal(raw, &spec))
		records := spec["records"].(map[string]any)
		delete(records, "attributes_namespace")
		if tt.set != nil {
			records["attributes_namespace"] = tt.set
		}
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		require.NoError(t, confmap.NewFromStringMap(map[string]any{"api": apispec.Custom, "endpoint": "https://oms.example.com", "api_key": "k", "custom": spec}).Unmarshal(cfg))
		err := cfg.Validate()
		if tt.err != "" {
			require.EqualError(t, err, tt.err, "%v", tt.set)
			continue
		}
		require.NoError(t, err, "%v", tt.set)
		assert.Equal(t, tt.want, cfg.Custom.Records.Namespace())
	}
}

// The Logto Management API's resource indicator is
// https://<tenant-id>.logto.app/api whatever host serves the tenant, and
// https://default.logto.app/api on self-hosted Logto: it is read from a Logto
// Cloud endpoint, and required (resource, or tenant_id) everywhere else.
func TestLogtoResource(t *testing.T) {
	const needResource = `"resource" is required by api logto_logs unless tenant_id is set or the endpoint's host is <tenant_id>.logto.app: ` +
		`use https://<tenant-id>.logto.app/api on Logto Cloud (with a custom domain too) or https://default.logto.app/api on self-hosted Logto`
	tests := []struct {
		name     string
		endpoint string
		resource string
		tenantID string
		tokenURL string
		want     string // the resource indicator sent
		wantTok  string // the token endpoint; "" = <endpoint>/oidc/token
		err      string
	}{
		{name: "cloud host", endpoint: "https://acme1x.logto.app", want: "https://acme1x.logto.app/api"},
		{name: "cloud host, any case", endpoint: "https://ACME1X.Logto.App", want: "https://acme1x.logto.app/api"},
		{name: "cloud host with a path prefix", endpoint: "https://acme1x.logto.app/base/", want: "https://acme1x.logto.app/api", wantTok: "https://acme1x.logto.app/base/oidc/token"},
		{name: "custom domain", endpoint: "https://auth.example.com", err: needResource},
		{name: "custom domain with tenant_id", endpoint: "https://auth.example.com", tenantID: "acme1x", want: "https://acme1x.logto.app/api"},
		{name: "custom domain with resource", endpoint: "https://auth.example.com", resource: "https://acme1x.logto.app/api", want: "https://acme1x.logto.app/api"},
		{name: "self-hosted", endpoint: "http://127.0.0.1:3001", err: needResource},
		{name: "self-hosted with resource", endpoint: "http://127.0.0.1:3001", resource: "https://default.logto.app/api", want: "https://default.logto.app/api"},
		{name: "self-hosted with tenant_id default", endpoint: "https://logto.internal.example", tenantID: "default", want: "https://default.logto.app/api"},
		{name: "resource wins over the cloud host", endpoint: "https://acme1x.logto.app", resource: "https://other.logto.app/api", want: "https://other.logto.app/api"},
		{name: "tenant_id wins over the cloud host", endpoint: "https://acme1x.logto.app", tenantID: "other", want: "https://other.logto.app/api"},
		{name: "not a cloud tenant host", endpoint: "https://a.b.logto.app", err: needResource},
		{name: "token_url", endpoint: "https://acme1x.logto.app", tokenURL: "https://login.example.com/oidc/token", want: "https://acme1x.logto.app/api", wantTok: "https://login.example.com/oidc/token"},
		{
			name: "relative resource", endpoint: "https://auth.example.com", resource: "default.logto.app/api",
			err: `"resource" must be an absolute URI without a fragment (RFC 8707), got "default.logto.app/api"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			cfg.API, cfg.ClientConfig.Endpoint, cfg.ClientID, cfg.ClientSecret = "logto_logs", tt.endpoint, "m2m-app", "s"
			cfg.Resource, cfg.TenantID, cfg.TokenURL = tt.resource, tt.tenantID, tt.tokenURL
			r, err := cfg.resolve()
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, r.resource)
			wantTok := tt.wantTok
			if wantTok == "" {
				wantTok = strings.TrimSuffix(tt.endpoint, "/") + "/oidc/token"
			}
			assert.Equal(t, wantTok, r.tokenURL)
		})
	}
}

// The OAuth2 defaults of a custom spec: resource_path under the endpoint, or
// a resource template over its options.
func TestCustomOAuth2Resource(t *testing.T) {
	spec, err := apispec.Builtin("logto_logs")
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API, cfg.Custom, cfg.ClientConfig.Endpoint, cfg.ClientID, cfg.ClientSecret = apispec.Custom, spec, "https://auth.example.com/x", "id", "s"
	spec.Auth.Resource, spec.Auth.ResourcePath = "", "/api"
	r, err := cfg.resolve()
	require.NoError(t, err)
	assert.Equal(t, "https://auth.example.com/x/api", r.resource)

	spec.Auth.Resource, spec.Auth.ResourcePath, spec.Auth.ResourceHelp = "urn:{{region}}:{{tenant_id}}", "", ""
	spec.Options["region"] = apispec.Option{Type: apispec.OptionString}
	cfg.MoreOptions = map[string]any{"region": "eu"}
	_, err = cfg.resolve()
	require.EqualError(t, err, `"resource" is required by api custom unless tenant_id is set or the endpoint's host is <tenant_id>.logto.app: the OAuth 2.0 resource indicator of the API, urn:<region>:<tenant_id>`)
	cfg.TenantID = "t1"
	r, err = cfg.resolve()
	require.NoError(t, err)
	assert.Equal(t, "urn:eu:t1", r.resource)
}

// Start warns once, naming the moved keep-alive keys, and polls as usual.
func TestMovedKeepaliveKeysAreWarnedAtStart(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"api": "tines_action_logs", "endpoint": "http://127.0.0.1:1", "api_key": "k", "action_ids": []any{1},
		"collection_interval": "1h", "disable_keep_alives": true,
	}).Unmarshal(cfg))
	core, logs := zapobserver.New(zap.WarnLevel)
	rcv, err := NewFactory().CreateLogs(context.Background(), namedSettings("old", zap.New(core)), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	shutdownOnCleanup(t, rcv)
	warned := logs.FilterMessageSnippet("keep-alive keys were removed in collector v0.165").All()
	require.Len(t, warned, 1)
	assert.Equal(t, []any{"disable_keep_alives"}, warned[0].ContextMap()["keys"])
}

// The receiver's max_window has no meaning for a spec that resumes from
// the server's position: refused by name rather than ignored.
func TestMaxWindowRefusedWithResume(t *testing.T) {
	cfg := loadConfig(t, "custom")
	delete(cfg.Custom.Request.Query, "until")
	cfg.Custom.Resume = &apispec.Resume{From: apispec.ResumeNext}
	_, err := cfg.resolve()
	require.NoError(t, err)
	cfg.MaxWindow = time.Hour
	_, err = cfg.resolve()
	require.EqualError(t, err, `"max_window" does not apply to an API that resumes from the server's position (custom.resume): its walks have no time window`)
}
