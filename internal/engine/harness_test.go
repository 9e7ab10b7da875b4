package engine

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/mapper"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// apiCase describes how to reach one built-in API of the simulator.
type apiCase struct {
	api       string
	prefix    string            // vendor prefix of the simulator
	stream    string            // the engine's stream id
	simStream string            // the simulator's stream name
	vars      map[string]string // config values the templates need
	// uid turns a simulator record id into the receiver's log.record.uid
	// comparison key (Make module logs are keyed by imtId, which ends with
	// the execution id the simulator reports).
	uid func(string) string
}

var apiCases = []apiCase{
	{api: simulator.APITinesActionLogs, prefix: "/tines", stream: "1001", simStream: "1001"},
	{api: simulator.APITinesAuditLogs, prefix: "/tines", stream: defaultStream},
	{api: simulator.APIStackOneActionLogs, prefix: "/stackone", stream: defaultStream},
	{api: simulator.APILogtoLogs, prefix: "/logto", stream: defaultStream},
	{api: simulator.APIOMSActionLogs, prefix: "/oms", stream: defaultStream},
	{api: simulator.APIMakeScenarioLogs, prefix: "/make", stream: "7001", simStream: "7001"},
	{
		api: simulator.APIMakeModuleLogs, prefix: "/make", stream: "1", simStream: "7001/1", vars: map[string]string{"scenario_id": "7001"},
		uid: func(id string) string { return id[strings.LastIndex(id, ".")+1:] },
	},
	{api: simulator.APIMakeAuditLogs, prefix: "/make", stream: defaultStream, simStream: "21", vars: map[string]string{"organization_id": "21"}},
}

func caseOf(t *testing.T, api string) apiCase {
	for _, c := range apiCases {
		if c.api == api {
			return c
		}
	}
	t.Fatalf("no case for %s", api)
	return apiCase{}
}

// fakeClock is the engine's Now, moved by the test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// recordingConsumer stores what it accepts and fails on demand.
type recordingConsumer struct {
	mu       sync.Mutex
	sink     consumertest.LogsSink
	calls    int
	failFrom int   // fail every call numbered >= failFrom (1-based); 0 = never
	err      error // returned when failing
}

func (c *recordingConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *recordingConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c.mu.Lock()
	c.calls++
	fail := c.failFrom > 0 && c.calls >= c.failFrom
	err := c.err
	c.mu.Unlock()
	if fail {
		return err
	}
	return c.sink.ConsumeLogs(ctx, ld)
}

func (c *recordingConsumer) failWith(from int, err error) {
	c.mu.Lock()
	c.calls, c.failFrom, c.err = 0, from, err
	c.mu.Unlock()
}

func (c *recordingConsumer) heal() { c.failWith(0, nil) }

// uids returns every log.record.uid accepted so far, in delivery order.
func (c *recordingConsumer) uids() []string {
	var out []string
	for _, ld := range c.sink.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					v, _ := lrs.At(k).Attributes().Get(mapper.AttrUID)
					out = append(out, v.AsString())
				}
			}
		}
	}
	return out
}

// logRecords returns every accepted record.
// fieldOf is a value of a delivered record's namespace map (the attribute
// ns: every built-in API writes its record's fields, and what enrichment
// read, there), at a dotted path; an empty value when there is none.
func fieldOf(lr plog.LogRecord, ns, path string) pcommon.Value {
	v, ok := lr.Attributes().Get(ns)
	for _, k := range strings.Split(path, ".") {
		if !ok || v.Type() != pcommon.ValueTypeMap {
			return pcommon.NewValueEmpty()
		}
		v, ok = v.Map().Get(k)
	}
	if !ok {
		return pcommon.NewValueEmpty()
	}
	return v
}

// present reports whether fieldOf found a value.
func present(v pcommon.Value) bool {
	return v.Type() != pcommon.ValueTypeEmpty
}

func (c *recordingConsumer) logRecords() []plog.LogRecord {
	var out []plog.LogRecord
	for _, ld := range c.sink.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					out = append(out, lrs.At(k))
				}
			}
		}
	}
	return out
}

// simServer serves a simulator through httptest with a hook that runs
// before every vendor request (not the control API).
type simServer struct {
	sim  *simulator.Simulator
	srv  *httptest.Server
	mu   sync.Mutex
	hook func(r *http.Request)
	// serve, when set, answers vendor requests instead of the simulator.
	serve http.HandlerFunc
	// requests counts vendor requests by path.
	requests map[string]int
}

func newSimServer(t *testing.T, opts simulator.Options) *simServer {
	t.Helper()
	opts.Paused = true
	if opts.InitialRecords == 0 {
		opts.InitialRecords = -1
	}
	sim, err := simulator.New(opts)
	require.NoError(t, err)
	s := &simServer{sim: sim, requests: map[string]int{}}
	h := sim.Handler()
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/_sim/") {
			s.mu.Lock()
			s.requests[r.URL.Path]++
			hook, serve := s.hook, s.serve
			s.mu.Unlock()
			if hook != nil {
				hook(r)
			}
			if serve != nil {
				serve(w, r)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		s.srv.Close()
		require.NoError(t, sim.Close())
	})
	return s
}

func (s *simServer) setHook(h func(r *http.Request)) {
	s.mu.Lock()
	s.hook = h
	s.mu.Unlock()
}

// expected returns the uids the simulator created for a case's stream.
func (s *simServer) expected(c apiCase) []string {
	var out []string
	for _, r := range s.sim.Records(c.api) {
		if r.Stream == c.simStream {
			out = append(out, r.ID)
		}
	}
	return out
}

// rig is one engine source wired to a simulator, a store and a consumer.
type rig struct {
	t        *testing.T
	c        apiCase
	srv      *simServer
	store    *cursor.Store
	consumer *recordingConsumer
	clock    *fakeClock
	src      *Source
	st       *stream
	w        *worker
	settings Settings
}

type rigOption func(*Settings, *httpclientConfig)

type httpclientConfig = httpclient.Config

func withPageSize(n int) rigOption {
	return func(s *Settings, _ *httpclient.Config) { s.PageSize = n }
}

func withMaxPages(n int) rigOption {
	return func(s *Settings, _ *httpclient.Config) { s.MaxPagesPerPoll = n }
}

func endpointOf(srv *simServer, c apiCase) *url.URL {
	u, _ := url.Parse(srv.srv.URL + c.prefix)
	return u
}

func authFor(t *testing.T, spec *apispec.Spec, endpoint *url.URL) httpclient.Authenticator {
	t.Helper()
	keys := simulator.DefaultKeys()
	switch {
	case strings.HasSuffix(endpoint.Path, "/tines"):
		return httpclient.Bearer(configopaque.String(keys.Tines))
	case strings.HasSuffix(endpoint.Path, "/stackone"):
		return httpclient.Basic("demo-stackone-key", "")
	case strings.HasSuffix(endpoint.Path, "/oms"):
		return httpclient.Scheme("Token", "demo-oms-key")
	case strings.HasSuffix(endpoint.Path, "/make"):
		return httpclient.Scheme("Token", "demo-make-key")
	case strings.HasSuffix(endpoint.Path, "/logto"):
		a, err := httpclient.OAuth2ClientCredentials(httpclient.OAuth2Config{
			TokenURL: endpoint.String() + spec.Auth.TokenPath, ClientID: keys.LogtoClientID,
			ClientSecret: "demo-logto-secret", Resource: simulator.LogtoResource, Scopes: spec.Auth.Scopes,
		}, nil)
		require.NoError(t, err)
		return a
	}
	t.Fatalf("no credentials for %s", endpoint)
	return nil
}

// newRig builds a source for c; store may be shared with an earlier rig.
func newRig(t *testing.T, srv *simServer, c apiCase, store *cursor.Store, clock *fakeClock, opts ...rigOption) *rig {
	t.Helper()
	return newLoggingRig(t, srv, c, store, clock, zap.NewNop(), opts...)
}

// newLoggingRig is newRig with the source logging to logger.
func newLoggingRig(t *testing.T, srv *simServer, c apiCase, store *cursor.Store, clock *fakeClock, logger *zap.Logger, opts ...rigOption) *rig {
	t.Helper()
	spec, err := apispec.Builtin(c.api)
	require.NoError(t, err)
	endpoint := endpointOf(srv, c)
	origin, _ := url.Parse(srv.srv.URL)
	vars := apispec.Vars{}
	for k, v := range c.vars {
		vars.Set(k, v)
	}
	set := Settings{
		SourceID: "api_logs/test",
		API:      c.api,
		Spec:     spec,
		Endpoint: endpoint,
		Vars:     vars,
		Interval: time.Hour,
		StartAt:  func(now time.Time) time.Time { return now.Add(-2 * time.Hour) },
		PageSize: 5,
		Now:      clock.Now,
		Workers:  1,
	}
	if spec.Streams.Key != "" {
		set.StreamIDs = []string{c.stream}
	}
	hc := httpclient.Config{Origin: origin, Auth: authFor(t, spec, endpoint), Retry: configretry.BackOffConfig{Enabled: false}}
	for _, o := range opts {
		o(&set, &hc)
	}
	client, err := httpclient.New(nil, hc)
	require.NoError(t, err)
	if store == nil {
		store = cursor.NewStore(nil)
	}
	cons := &recordingConsumer{}
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: component.MustNewID("api_logs"), Transport: "http",
		ReceiverCreateSettings: receivertest.NewNopSettings(component.MustNewType("api_logs")),
	})
	require.NoError(t, err)
	src, err := New(set, Deps{Client: client, Store: store, Consumer: cons, ObsRep: obs, Logger: logger})
	require.NoError(t, err)
	w, err := src.newWorker()
	require.NoError(t, err)
	return &rig{t: t, c: c, srv: srv, store: store, consumer: cons, clock: clock, src: src, st: newStream(src, c.stream), w: w, settings: set}
}

// poll runs one poll of the rig's stream synchronously.
func (r *rig) poll() (pages, records int, err error) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pages, records, err = r.st.pollOnce(ctx, r.w)
	return pages, records, err
}

// mustPoll polls until the stream is caught up (bounded).
func (r *rig) drain() {
	r.t.Helper()
	for range 50 {
		pages, _, err := r.poll()
		require.NoError(r.t, err)
		if m := r.src.machine; pages == 0 || !m.Behind(r.st.cur, m.ClosedEnd(r.clock.Now())) && r.st.cur.State.Walk == nil {
			return
		}
	}
	r.t.Fatal("stream did not catch up in 50 polls")
}

// stored reads the persisted cursor of the rig's stream.
func (r *rig) stored() *cursor.State {
	r.t.Helper()
	raw, err := r.store.Load(context.Background(), r.st.key)
	require.NoError(r.t, err)
	if raw == nil {
		return nil
	}
	st, err := cursor.Unmarshal(raw)
	require.NoError(r.t, err)
	return st
}

// want maps simulator ids to the comparison key of delivered uids.
func (r *rig) want() []string {
	ids := r.srv.expected(r.c)
	return ids
}

// got returns delivered uids converted to simulator ids.
func (r *rig) got() []string {
	uids := r.consumer.uids()
	if r.c.uid == nil {
		return uids
	}
	out := make([]string, len(uids))
	for i, u := range uids {
		out[i] = r.c.uid(u)
	}
	return out
}

// requireExactlyOnce checks that every created record arrived exactly once
// across all the consumers.
func requireExactlyOnce(t *testing.T, want []string, got ...[]string) {
	t.Helper()
	count := map[string]int{}
	for _, g := range got {
		for _, id := range g {
			count[id]++
		}
	}
	var dups, missing []string
	for id, n := range count {
		if n > 1 {
			dups = append(dups, id)
		}
	}
	for _, id := range want {
		if count[id] == 0 {
			missing = append(missing, id)
		}
		delete(count, id)
	}
	var extra []string
	for id := range count {
		extra = append(extra, id)
	}
	require.Empty(t, dups, "delivered more than once")
	require.Empty(t, missing, "never delivered")
	require.Empty(t, extra, "delivered but never created")
}

var errPipeline = errors.New("pipeline unavailable")

// base is a whole second well in the past, so the simulator's own clock
// never matters and the fake clock decides which windows are closed.
func baseTime() time.Time {
	return time.Now().Add(-30 * time.Minute).Truncate(time.Second)
}
