package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/mapper"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadata"
)

// Config is one API source. Its streams (Tines actions, Make scenarios, ...)
// share the HTTP client, the credentials and the request budget.
type Config struct {
	// ClientConfig holds endpoint, tls, timeout, headers, proxy_url, compression and auth.
	// A named field, not an embedded one: ClientConfig has its own Unmarshal,
	// which an embedded field would promote over the whole Config.
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`

	// API names a built-in API or "custom".
	API string `mapstructure:"api"`
	// Custom describes the API when API is "custom"; it has the same shape as
	// the built-in specs.
	Custom *apispec.Spec `mapstructure:"custom"`

	// Credentials.
	APIKey       configopaque.String `mapstructure:"api_key"`
	AuthScheme   string              `mapstructure:"auth_scheme"`
	Username     string              `mapstructure:"username"`
	Password     configopaque.String `mapstructure:"password"`
	ClientID     string              `mapstructure:"client_id"`
	ClientSecret configopaque.String `mapstructure:"client_secret"`
	TokenURL     string              `mapstructure:"token_url"`
	Resource     string              `mapstructure:"resource"`
	Scopes       []string            `mapstructure:"scopes"`
	// EndpointParams are extra token-request form parameters (audience);
	// not secrets. JWT signs RFC 7523 assertions (config_auth.go).
	EndpointParams map[string]string `mapstructure:"endpoint_params"`
	JWT            *JWTConfig        `mapstructure:"jwt"`

	// APIOptions are the keys an API declares in its spec's options table
	// (action_ids, team_id, log_key, ...).
	APIOptions `mapstructure:",squash"`
	// MoreOptions holds the values of the options a spec declares that
	// APIOptions has no field for (a new vendor's key, a key a custom spec
	// declares), decoded by the type the spec gives: int64, []int64, string
	// or []string.
	MoreOptions map[string]any `mapstructure:"-"`
	// movedKeys are the keep-alive keys confighttp v1.71 removed that
	// Unmarshal moved into the keepalive section; Start warns about them.
	movedKeys []string
	// StreamIDs are the streams of a custom API without streams.key; Vars
	// are values for any other {{name}} placeholder.
	StreamIDs []string          `mapstructure:"stream_ids"`
	Vars      map[string]string `mapstructure:"vars"`

	// Polling.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	StartAt            string        `mapstructure:"start_at"`
	PageSize           int           `mapstructure:"page_size"`
	Settle             time.Duration `mapstructure:"settle"`
	MaxPagesPerPoll    int           `mapstructure:"max_pages_per_poll"`
	MaxConcurrentPolls int           `mapstructure:"max_concurrent_polls"`
	MaxWindow          time.Duration `mapstructure:"max_window"`
	MaxPending         time.Duration `mapstructure:"max_pending"`
	EnrichExecutions   bool          `mapstructure:"enrich_executions"`
	DiscoveryInterval  time.Duration `mapstructure:"discovery_interval"`

	// Safety.
	MaxBodySize int64                     `mapstructure:"max_body_size"`
	RateLimit   RateLimitConfig           `mapstructure:"rate_limit"`
	BackOff     configretry.BackOffConfig `mapstructure:"retry_on_failure"`

	// Output.
	SeverityMap map[string]string `mapstructure:"severity_map"`
	// Body is the log body of an API that writes a message (every built-in
	// one; a custom one with records.message): "message", the message with
	// the vendor record's fields in one map attribute under the API's
	// namespace (tines, make, ...), or "record", the vendor record as a
	// map with the message in the attribute api_logs.message (the shape
	// before messages existed).
	Body string `mapstructure:"body"`
	// ResourceAttributes switches each resource attribute of the emitted
	// logs on or off (metadata.yaml resource_attributes; all on by default).
	ResourceAttributes metadata.ResourceAttributesConfig `mapstructure:"resource_attributes"`

	// Checkpoints.
	Storage *component.ID `mapstructure:"storage"`
	// Coordinator names an api_logs_coordinator extension: several
	// collectors poll as one, each budget group on one of them, with the
	// cursors in etcd. With storage beside it, storage is only read: the
	// one-time migration imports a stream's stored cursor into etcd when
	// etcd has none.
	Coordinator *component.ID `mapstructure:"coordinator"`
	// K8sLeaderElector names a leader-election extension (contrib's
	// k8s_leader_elector, or any with its SetCallBackFuncs): the receiver
	// polls only while that extension says this collector leads.
	K8sLeaderElector *component.ID     `mapstructure:"k8s_leader_elector"`
	ResetCursors     map[string]string `mapstructure:"reset_cursors"`

	// Trace writes each request and answer, redacted, to a rotating file
	// (off when absent; trace.go).
	Trace *TraceConfig `mapstructure:"trace"`

	_ struct{}
}

// APIOptions are typed homes for the option keys the built-in specs declare
// (`options:` in internal/apispec/builtin/*.yaml). Which API reads which key,
// and whether it is the list of streams or a template variable, is the
// spec's data: a field here only gives a key its Go type and its place in
// the documentation. A new API whose spec reuses these keys needs no change
// here, and a key with no field here still works (Config.MoreOptions).
type APIOptions struct {
	ActionIDs      []int64  `mapstructure:"action_ids"`
	ScenarioIDs    []int64  `mapstructure:"scenario_ids"`
	ScenarioID     int64    `mapstructure:"scenario_id"`
	ModuleIDs      []int64  `mapstructure:"module_ids"`
	TeamID         int64    `mapstructure:"team_id"`
	OrganizationID int64    `mapstructure:"organization_id"`
	OperationNames []string `mapstructure:"operation_names"`
	UserIDs        []int64  `mapstructure:"user_ids"`
	LogKey         string   `mapstructure:"log_key"`
	UserID         string   `mapstructure:"user_id"`
	ApplicationID  string   `mapstructure:"application_id"`
	TenantID       string   `mapstructure:"tenant_id"`
}

// RateLimitConfig is the client-side request budget shared by all streams of
// the source, and by the other receivers that spend the same vendor budget.
// Zero requests_per_minute means the API's documented limit.
type RateLimitConfig struct {
	RequestsPerMinute float64 `mapstructure:"requests_per_minute"`
	Burst             int     `mapstructure:"burst"`
	// SharedBudget names a budget that receivers share whatever their host
	// or credential (for example two Make tokens of one organization).
	SharedBudget string `mapstructure:"shared_budget"`
}

// Defaults of the receiver's own keys. Those the engine and the HTTP client
// need too (page size, body size, concurrency, timeout) are apispec's.
const (
	defaultInterval = time.Minute
	defaultStartAt  = "-24h"
	// defaultSettle covers records that become visible a little after their
	// own timestamp (a database commit, a clock a second off).
	defaultSettle   = 2 * time.Second
	defaultMaxPages = 10000
)

// resolved is what Validate checks and the receiver runs with.
type resolved struct {
	spec      *apispec.Spec
	endpoint  *url.URL
	streamIDs []string
	vars      apispec.Vars
	pageSize  int
	startAt   func(time.Time) time.Time
	// OAuth2: the token endpoint and the resource indicator ("" sends
	// none).
	tokenURL       string
	resource       string
	endpointParams map[string]string
	body           mapper.Body
}

// Validate reports every problem of the configuration at once, each naming
// its YAML key. The storage extension is only looked up at Start: the
// collector shows a component no extension while it validates.
func (cfg *Config) Validate() error {
	_, err := cfg.resolve()
	return err
}

// resolve checks the configuration and turns it into what the engine needs.
func (cfg *Config) resolve() (*resolved, error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%q %s", key, fmt.Sprintf(format, args...)))
	}
	r := &resolved{vars: apispec.Vars{}}

	switch cfg.API {
	case "":
		bad("api", "is required: one of %s, %s", strings.Join(apispec.BuiltinNames(), ", "), apispec.Custom)
	case apispec.Custom:
		if cfg.Custom == nil {
			bad("custom", "is required when api is %q", apispec.Custom)
		} else if err := cfg.Custom.ValidateAt("custom."); err != nil {
			errs = append(errs, err)
		} else if _, err := decode.New(cfg.Custom.Records, cfg.Custom.Pagination); err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", "custom.records", err))
		} else if _, err := mapper.New(cfg.Custom, nil); err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", "custom.severity", err))
		} else {
			r.spec = cfg.Custom
		}
	default:
		if cfg.Custom != nil {
			bad("custom", "is only used with api %q (api is %q)", apispec.Custom, cfg.API)
		}
		spec, err := apispec.Builtin(cfg.API)
		if err != nil {
			bad("api", "%v", err)
		} else {
			r.spec = spec
		}
	}

	// The spec that describes the endpoint: a custom spec with other
	// problems still knows its own.
	hints := r.spec
	if hints == nil && cfg.API == apispec.Custom {
		hints = cfg.Custom
	}
	endpoint := cfg.ClientConfig.Endpoint
	if endpoint == "" && hints != nil {
		endpoint = hints.DefaultEndpoint
	}
	if endpoint == "" {
		bad("endpoint", "is required: %s", endpointHelp(cfg.API, hints))
	} else if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("endpoint", "must be an http or https URL with a host, got %q", endpoint)
	} else if u.User != nil || u.RawQuery != "" {
		bad("endpoint", "must not carry credentials or a query; use api_key and the API's options")
	} else {
		r.endpoint = u
	}

	if cfg.CollectionInterval < time.Second {
		bad("collection_interval", "must be at least 1s, got %s", cfg.CollectionInterval)
	}
	if f, err := parseStartAt(cfg.StartAt); err != nil {
		bad("start_at", "%v", err)
	} else {
		r.startAt = f
	}
	for _, kv := range []struct {
		key string
		v   int64
	}{{"max_pages_per_poll", int64(cfg.MaxPagesPerPoll)}, {"max_body_size", cfg.MaxBodySize}, {"max_concurrent_polls", int64(cfg.MaxConcurrentPolls)}, {"rate_limit.burst", int64(cfg.RateLimit.Burst)}} {
		if kv.v < 0 {
			bad(kv.key, "must not be negative")
		}
	}
	if cfg.Settle < 0 {
		bad("settle", "must not be negative")
	}
	if cfg.MaxWindow < 0 {
		bad("max_window", "must not be negative")
	}
	if cfg.MaxWindow > 0 && r.spec != nil && r.spec.Resume != nil {
		bad("max_window", "does not apply to an API that resumes from the server's position (custom.resume): its walks have no time window")
	}
	if cfg.MaxPending < 0 {
		bad("max_pending", "must not be negative")
	}
	if cfg.RateLimit.RequestsPerMinute < 0 {
		bad("rate_limit.requests_per_minute", "must not be negative")
	}
	if b, err := mapper.ParseBody(cfg.Body); err != nil {
		bad("body", "%v", err)
	} else {
		r.body = b
	}
	for raw, name := range cfg.SeverityMap {
		if _, err := mapper.ParseSeverity(name); err != nil {
			bad("severity_map."+raw, "%v", err)
		}
	}

	if cfg.Coordinator != nil && cfg.K8sLeaderElector != nil {
		bad("k8s_leader_elector", "and \"coordinator\" cannot be set together: the coordinator elects an owner per budget group itself")
	}

	errs = append(errs, cfg.Trace.validate()...)
	if r.spec != nil {
		errs = append(errs, cfg.resolveSpecOptions(r)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// resolveSpecOptions checks what depends on the API: page size, credentials,
// the API's options (streams and template variables).
func (cfg *Config) resolveSpecOptions(r *resolved) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%q %s", key, fmt.Sprintf(format, args...)))
	}
	spec := r.spec
	maxSize := spec.Pagination.MaxPageSize
	r.pageSize = cfg.PageSize
	if r.pageSize == 0 {
		r.pageSize = cmp.Or(maxSize, spec.Pagination.DefaultPageSize, apispec.DefaultPageSize)
	}
	if r.pageSize < 1 || (maxSize > 0 && r.pageSize > maxSize) {
		bad("page_size", "must be between 1 and %d for api %s, got %d", maxSize, cfg.API, cfg.PageSize)
	}

	switch spec.Auth.Type {
	case apispec.AuthBearer, apispec.AuthScheme, apispec.AuthHeader:
		if cfg.APIKey == "" {
			bad("api_key", "is required by api %s", cfg.API)
		}
	case apispec.AuthBasic:
		if cfg.APIKey == "" && cfg.Username == "" {
			bad("api_key", "is required by api %s (or username and password)", cfg.API)
		}
	case apispec.AuthOAuth2:
		errs = append(errs, cfg.checkOAuth2()...)
	}
	if cfg.AuthScheme != "" && spec.Auth.Type != apispec.AuthScheme && spec.Auth.Type != apispec.AuthBearer {
		bad("auth_scheme", "only applies to APIs that send \"Authorization: <scheme> <key>\"; api %s uses %s", cfg.API, spec.Auth.Type)
	}
	if spec.Auth.Type != apispec.AuthOAuth2 {
		errs = append(errs, cfg.checkNotOAuth2(spec.Auth.Type)...)
	}

	errs = append(errs, cfg.resolveOptions(r)...)
	if r.endpoint != nil {
		errs = append(errs, cfg.resolveEndpointVars(r)...)
		if spec.Auth.Type == apispec.AuthOAuth2 {
			errs = append(errs, cfg.resolveOAuth2(r)...)
		}
	}

	t, _ := apispec.ParseTemplate(spec.Request.Path)
	for _, name := range t.Names() {
		if !apispec.IsEngineVar(name) && r.vars.Get(name) == "" {
			bad(name, "is required by api %s (it is part of the request path)", cfg.API)
		}
	}
	return errs
}

// resolveEndpointVars gives the placeholders of the spec's endpoint_host
// the values the endpoint's host holds ({{tenant_id}} of
// https://<tenant-id>.logto.app), where the configuration sets none.
func (cfg *Config) resolveEndpointVars(r *resolved) []error {
	if r.spec.EndpointHost == "" {
		return nil
	}
	p, err := apispec.CompileHostPattern(r.spec.EndpointHost)
	if err != nil {
		return []error{fmt.Errorf("%q %w", "endpoint_host", err)} // not reached: ValidateAt refuses such a spec
	}
	found, ok := p.Match(r.endpoint.Hostname())
	if !ok {
		return nil
	}
	for name, vals := range found {
		if r.vars.Get(name) == "" {
			r.vars[name] = vals
		}
	}
	return nil
}

// resolveOAuth2 decides the token endpoint and the resource indicator:
// token_url, else the spec's token_path under the endpoint; resource, else
// the spec's resource template (Logto: https://{{tenant_id}}.logto.app/api),
// else its resource_path under the endpoint.
func (cfg *Config) resolveOAuth2(r *resolved) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%q %s", key, fmt.Sprintf(format, args...)))
	}
	a := r.spec.Auth
	errs = append(errs, cfg.resolveEndpointParams(r)...)
	r.tokenURL = cfg.TokenURL
	if r.tokenURL == "" {
		r.tokenURL = joinURL(r.endpoint, a.TokenPath)
	}
	switch {
	case cfg.Resource != "":
		if u, err := url.Parse(cfg.Resource); err != nil || !u.IsAbs() || u.Fragment != "" {
			bad("resource", "must be an absolute URI without a fragment (RFC 8707), got %q", cfg.Resource)
		}
		r.resource = cfg.Resource
	case a.Resource != "":
		t, err := apispec.ParseTemplate(a.Resource)
		if err != nil {
			return append(errs, fmt.Errorf("%q %w", "auth.resource", err)) // not reached: ValidateAt refuses such a spec
		}
		var missing []string
		for _, name := range t.Names() {
			if r.vars.Get(name) == "" && !slices.Contains(missing, name) {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			unless := missing[0] + " is set"
			if len(missing) > 1 {
				unless = strings.Join(missing, " and ") + " are set"
			}
			if h := r.spec.EndpointHost; h != "" {
				unless += " or the endpoint's host is " + placeholdersAsAngles(h)
			}
			help := a.ResourceHelp
			if help == "" {
				help = "the OAuth 2.0 resource indicator of the API, " + placeholdersAsAngles(a.Resource)
			}
			bad("resource", "is required by api %s unless %s: %s", cfg.API, unless, help)
			break
		}
		r.resource = t.Render(r.vars, nil)
	case a.ResourcePath != "":
		r.resource = joinURL(r.endpoint, a.ResourcePath)
	}
	return errs
}
