package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/coord"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/engine"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/reqtrace"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadata"
)

// logsReceiver is one API source: a thin shell that resolves the config,
// storage and HTTP client in Start and hands them to the engine.
type logsReceiver struct {
	cfg      *Config
	set      receiver.Settings
	next     consumer.Logs
	obsrep   *receiverhelper.ObsReport
	telem    *metadata.TelemetryBuilder
	source   *engine.Source
	store    *cursor.Store
	status   *statusReporter
	resolved *resolved
	budgets  *budgets
	budget   string // the key of the budget joined in Start; "" before
	// budgetRate is the rate of that budget when it was joined (0: no limit).
	budgetRate float64
	// limiter is that budget's limiter, drained at each takeover.
	limiter *httpclient.Limiter

	// engineSettings and engineDeps (without Store) build a source: in
	// Start, or each time the coordinator hands this collector the unit.
	engineSettings engine.Settings
	engineDeps     engine.Deps
	// With a coordinator: leave ends the participation; the tenure's source
	// and store are owned (and guarded) by the handler.
	leave coord.Leave
	// importFrom is the storage extension's client of the one-time
	// migration (coordinator and storage both set); nil otherwise.
	importFrom storage.Client
	// With a leader elector: the current term's source.
	leader *leaderTerm
	// tracer writes the request trace (trace set); closed in Shutdown.
	tracer *reqtrace.Tracer
	// oauth is the refresh-token grant's authenticator (auth
	// oauth2_refresh_token), given the store of rotated tokens in Start.
	oauth *httpclient.OAuth2
	// oauthLog is the redacted logger of the refresh-token store.
	oauthLog *zap.Logger
	// obs records the receiver's metrics (set in prepare).
	obs *observer
}

func newLogsReceiver(set receiver.Settings, cfg *Config, next consumer.Logs, shared *budgets) (*logsReceiver, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	obsrep, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "http",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	return &logsReceiver{cfg: cfg, set: set, next: next, obsrep: obsrep, resolved: r, budgets: shared}, nil
}

// Start resolves the storage extension and the HTTP client and launches the
// engine in the background; it does no request to the API.
func (lr *logsReceiver) Start(ctx context.Context, host component.Host) error {
	cfg, r, log := lr.cfg, lr.resolved, lr.set.Logger
	err := lr.prepare(ctx, host, nil)
	if err != nil {
		return err
	}
	storage := "none (cursors in memory)"
	if cfg.Coordinator != nil {
		if cfg.Storage != nil {
			// The one-time migration: read-only, see importingClient.
			if lr.importFrom, err = lr.storageClient(ctx, host); err != nil {
				return err
			}
		}
		if err := lr.joinCoordinator(host); err != nil {
			return err
		}
		storage = "etcd (coordinator " + cfg.Coordinator.String() + ")"
		if cfg.Storage != nil {
			storage += ", importing cursors etcd lacks from " + cfg.Storage.String()
		}
	} else {
		storageClient, err := lr.storageClient(ctx, host)
		if err != nil {
			return err
		}
		lr.store = cursor.NewStore(storageClient)
		if cfg.Storage != nil {
			storage = cfg.Storage.String()
		}
		if err := lr.keepRefreshTokens(); err != nil {
			return err
		}
	}
	if cfg.K8sLeaderElector != nil {
		if err := lr.joinLeaderElector(host); err != nil {
			return err
		}
	} else if cfg.Coordinator == nil {
		source, err := lr.newSource(lr.store, lr.next)
		if err != nil {
			return err
		}
		lr.source = source
		// The polls outlive Start's context, which ends when Start returns; they
		// run on their own until Shutdown.
		source.Start() //nolint:contextcheck // see above
	}
	streams := r.streamIDs
	if len(streams) == 0 && r.spec.Streams.Key == "" {
		streams = []string{"default"}
	}
	if len(cfg.movedKeys) > 0 {
		log.Warn("These keep-alive keys were removed in collector v0.165 (confighttp v1.71) and were read into the keepalive section; write them there",
			zap.Strings("keys", cfg.movedKeys), zap.String("instead", "keepalive: {enabled, idle_conn_timeout, max_idle_conns, max_idle_conns_per_host}"))
	}
	log.Info("Polling", zap.String("api", cfg.API), zap.String("endpoint_host", r.endpoint.Host),
		zap.Strings("streams", streams), zap.Bool("discovering_streams", len(streams) == 0),
		zap.String("storage", storage), zap.Float64("requests_per_minute", lr.budgetRate),
		zap.Duration("collection_interval", cfg.CollectionInterval))
	return nil
}

// prepare builds what a source needs: the HTTP client (its transport
// wrapped by wrap when set), the credentials, the request budget and the
// engine's settings and deps (without Store and Consumer).
func (lr *logsReceiver) prepare(ctx context.Context, host component.Host, wrap func(http.RoundTripper) http.RoundTripper) error {
	cfg, r, log := lr.cfg, lr.resolved, lr.set.Logger
	telem, err := metadata.NewTelemetryBuilder(lr.set.TelemetrySettings)
	if err != nil {
		return err
	}
	lr.telem = telem
	obs, err := newObserver(telem, lr.set.ID.String(), perStreamLevel(ctx, lr.set.MeterProvider))
	if err != nil {
		return err
	}
	lr.obs = obs

	// One redactor for the source: it knows every credential of the
	// config, the header values the authenticator sends and the OAuth
	// tokens as they come, and everything the client, the engine, the
	// status report and the request trace say of an API's answers goes
	// through it.
	red := lr.redactor()
	log = red.Logger(log)
	if wrap, err = lr.openTrace(red, wrap); err != nil {
		return err
	}
	client, err := cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), lr.set.TelemetrySettings)
	if err != nil {
		return fmt.Errorf("http client: %w", err)
	}
	if wrap != nil {
		client.Transport = wrap(client.Transport)
	}
	auth, err := lr.authenticator(r, client, red)
	if err != nil {
		return err
	}
	api, err := httpclient.New(client, httpclient.Config{
		Origin:      r.endpoint,
		Auth:        auth,
		Limiter:     lr.joinBudget(),
		Retry:       cfg.BackOff,
		MaxBodySize: cfg.MaxBodySize,
		Logger:      log,
		Observer:    obs,
		Redactor:    red,
	})
	if err != nil {
		return err
	}
	if r.endpoint.Scheme == "http" && !isLoopback(r.endpoint.Hostname()) {
		log.Warn("The endpoint uses plain http: credentials and logs cross the network unencrypted", zap.String("endpoint", r.endpoint.Redacted()))
	}

	lr.status = newStatusReporter(host, lr.set.ID.String())
	lr.engineSettings = engine.Settings{
		SourceID:          lr.set.ID.String(),
		API:               cfg.API,
		Spec:              r.spec,
		Endpoint:          r.endpoint,
		Vars:              r.vars,
		StreamIDs:         r.streamIDs,
		ResetLabels:       cfg.ResetCursors,
		Interval:          cfg.CollectionInterval,
		StartAt:           r.startAt,
		PageSize:          r.pageSize,
		Settle:            cfg.Settle,
		MaxPagesPerPoll:   cfg.MaxPagesPerPoll,
		MaxWindow:         cfg.MaxWindow,
		MaxPending:        cfg.MaxPending,
		Workers:           cfg.MaxConcurrentPolls,
		Enrich:            cfg.EnrichExecutions,
		DiscoveryEvery:    cfg.DiscoveryInterval,
		SeverityOverrides: cfg.SeverityMap,
		Body:              r.body,
		MaxBodySize:       cfg.MaxBodySize,
	}
	lr.engineDeps = engine.Deps{
		Client:   api,
		Consumer: lr.next,
		ObsRep:   lr.obsrep,
		Logger:   lr.set.Logger, // the engine redacts its own lines
		Observer: obs,
		Status:   lr.status,
		Redactor: red,
		Resource: resourceFunc(cfg.ResourceAttributes, lr.set.ID.String(), cfg.API, r.endpoint.Hostname(), r.spec.Streams.Attribute),
	}
	return nil
}

// Shutdown stops the polls and closes the storage; it is safe without Start
// and bounded whatever the pipeline does (engine.Source.Stop): in-flight
// requests are cancelled at once, pages already in ConsumeLogs get a short
// grace to be accepted and checkpointed, then their context is cancelled
// too (they are read again after a restart). The store is closed last and
// refuses any write from a poll stuck in a consumer that ignores its
// context, so nothing is written after Shutdown returns.
func (lr *logsReceiver) Shutdown(ctx context.Context) error {
	var errs []error
	if lr.status != nil {
		lr.status.stop()
	}
	if lr.leave != nil {
		// Stops the unit's polling after its last checkpoint, then
		// releases the unit so that another collector takes it at once.
		errs = append(errs, lr.leave(ctx))
		lr.leave = nil
	}
	if lr.importFrom != nil {
		errs = append(errs, lr.importFrom.Close(ctx))
		lr.importFrom = nil
	}
	if lr.leader != nil {
		errs = append(errs, lr.leader.end(ctx, true))
	}
	if lr.source != nil {
		errs = append(errs, lr.source.Stop(ctx))
		lr.set.Logger.Info("Stopped polling")
	}
	if lr.store != nil {
		errs = append(errs, lr.store.Close(ctx))
	}
	// After the polls: no exchange is in flight.
	errs = append(errs, lr.closeTrace())
	if lr.telem != nil {
		lr.telem.Shutdown()
	}
	if lr.budget != "" {
		lr.budgets.leave(lr.budget, lr.set.ID.String())
		lr.budget = ""
	}
	return errors.Join(errs...)
}

// newSource builds the engine's source with a cursor store and a consumer.
func (lr *logsReceiver) newSource(store *cursor.Store, next consumer.Logs) (*engine.Source, error) {
	deps := lr.engineDeps
	deps.Store, deps.Consumer = store, next
	return engine.New(lr.engineSettings, deps)
}

// joinBudget returns the limiter of the request budget this receiver spends,
// shared with the collector's other receivers that spend the same one.
func (lr *logsReceiver) joinBudget() *httpclient.Limiter {
	cfg, spec, log := lr.cfg, lr.resolved.spec, lr.set.Logger
	perMinute := cfg.RateLimit.RequestsPerMinute
	if perMinute == 0 {
		perMinute = spec.RequestsPerMinute
	}
	if mx := spec.MaxRequestsPerMinute; mx > 0 && perMinute > mx {
		log.Warn("rate_limit.requests_per_minute is above the highest limit the vendor documents; expect 429 answers",
			zap.Float64("requests_per_minute", perMinute), zap.Float64("documented_limit", mx), zap.String("api", cfg.API))
	}
	id := lr.set.ID.String()
	lr.budget = budgetKey(cfg, lr.resolved, id)
	limiter, others, rate := lr.budgets.join(lr.budget, id, perMinute, cfg.RateLimit.Burst)
	lr.budgetRate, lr.limiter = rate, limiter
	if len(others) > 0 {
		log.Info("Sharing one request budget with other receivers that spend the same vendor budget",
			zap.Strings("with", others), zap.Float64("requests_per_minute", rate))
	}
	return limiter
}

// storageClient opens the configured storage extension, or returns nil for
// in-memory state with a warning.
func (lr *logsReceiver) storageClient(ctx context.Context, host component.Host) (storage.Client, error) {
	if lr.cfg.Storage == nil {
		lr.set.Logger.Warn("No storage extension configured: cursors live in memory and a restart reads from start_at again")
		return nil, nil
	}
	ext, ok := host.GetExtensions()[*lr.cfg.Storage]
	if !ok {
		return nil, fmt.Errorf("\"storage\": extension %q not found; add it under extensions and service.extensions", lr.cfg.Storage.String())
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("\"storage\": extension %q is not a storage extension", lr.cfg.Storage.String())
	}
	return se.GetClient(ctx, component.KindReceiver, lr.set.ID, "")
}

// redactor knows the credentials of the config; the authenticator adds the
// header values it sends (Bearer, Token, Basic base64(user:password)) and
// OAuth access tokens as they are obtained.
func (lr *logsReceiver) redactor() *httpclient.Redactor {
	cfg := lr.cfg
	secrets := []string{
		string(cfg.APIKey), string(cfg.Password), string(cfg.ClientSecret),
		string(cfg.RefreshToken), string(cfg.TokenEncryptionKey),
	}
	for _, h := range cfg.ClientConfig.Headers {
		if credentialHeader(h.Name) {
			secrets = append(secrets, string(h.Value))
		}
	}
	return httpclient.NewRedactor(secrets...)
}

// credentialHeader tells the headers of confighttp's `headers` whose values
// are credentials by their name.
func credentialHeader(name string) bool {
	name = strings.ToLower(name)
	for _, w := range []string{"auth", "key", "token", "secret", "cookie", "session", "signature", "password"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// authenticator builds the credentials of the API's auth kind.
func (lr *logsReceiver) authenticator(r *resolved, client *http.Client, red *httpclient.Redactor) (httpclient.Authenticator, error) {
	cfg, a := lr.cfg, r.spec.Auth
	switch a.Type {
	case apispec.AuthBearer:
		if cfg.AuthScheme != "" {
			return httpclient.Scheme(cfg.AuthScheme, cfg.APIKey), nil
		}
		return httpclient.Bearer(cfg.APIKey), nil
	case apispec.AuthScheme:
		scheme := a.Scheme
		if cfg.AuthScheme != "" {
			scheme = cfg.AuthScheme
		}
		return httpclient.Scheme(scheme, cfg.APIKey), nil
	case apispec.AuthBasic:
		if cfg.Username != "" {
			return httpclient.Basic(configopaque.String(cfg.Username), cfg.Password), nil
		}
		return httpclient.Basic(cfg.APIKey, ""), nil
	case apispec.AuthHeader:
		return httpclient.Header(a.Header, cfg.APIKey), nil
	case apispec.AuthOAuth2, apispec.AuthOAuth2Refresh:
		// Token endpoint and resource indicator: resolved with the
		// configuration (resolveOAuth2).
		scopes := cfg.Scopes
		if len(scopes) == 0 {
			scopes = a.Scopes
		}
		oauth, err := httpclient.OAuth2ClientCredentials(httpclient.OAuth2Config{
			TokenURL:       r.tokenURL,
			ClientID:       cfg.ClientID,
			ClientSecret:   cfg.ClientSecret,
			Resource:       r.resource,
			Scopes:         scopes,
			EndpointParams: r.endpointParams,
			Assertion:      cfg.JWT.assertion(),
			RefreshToken:   cfg.RefreshToken,
			Owner:          lr.set.ID.String(),
			Redactor:       red,
		}, client)
		if err != nil {
			return nil, err
		}
		if a.Type == apispec.AuthOAuth2Refresh {
			lr.oauth, lr.oauthLog = oauth, red.Logger(lr.set.Logger)
		}
		return oauth, nil
	}
	return nil, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
