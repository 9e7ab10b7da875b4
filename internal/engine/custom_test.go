package engine

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// customAPI is an httptest server for an `api: custom` spec: it records
// every request's query string and answers with serve.
type customAPI struct {
	srv     *httptest.Server
	mu      sync.Mutex
	queries []string
	accepts []string // the Accept header of each request
}

func newCustomAPI(t *testing.T, serve func(w http.ResponseWriter, r *http.Request)) *customAPI {
	t.Helper()
	a := &customAPI{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.queries = append(a.queries, r.URL.RawQuery)
		a.accepts = append(a.accepts, r.Header.Get("Accept"))
		a.mu.Unlock()
		serve(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *customAPI) accepted() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.accepts...)
}

func (a *customAPI) sent() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.queries...)
}

// newCustomRig builds a source for a custom spec (YAML) against api.
func newCustomRig(t *testing.T, specYAML string, api *customAPI, clock *fakeClock, pageSize int, opts ...func(*httpclient.Config)) *rig {
	t.Helper()
	return newCustomRigOn(t, specYAML, api, clock, pageSize, cursor.NewStore(nil), nil, opts...)
}

// newCustomRigOn is newCustomRig on store (a restart shares it), with
// settings and dependencies changed by edit when it is not nil.
func newCustomRigOn(t *testing.T, specYAML string, api *customAPI, clock *fakeClock, pageSize int, store *cursor.Store,
	edit func(*Settings, *Deps), opts ...func(*httpclient.Config),
) *rig {
	t.Helper()
	spec, err := apispec.Parse([]byte(specYAML))
	require.NoError(t, err)
	require.NoError(t, spec.ValidateAt("custom."))
	endpoint, err := url.Parse(api.srv.URL)
	require.NoError(t, err)
	set := Settings{
		SourceID: "api_logs/custom", API: "custom", Spec: spec, Endpoint: endpoint, Vars: apispec.Vars{},
		Interval: time.Hour, StartAt: func(now time.Time) time.Time { return now.Add(-2 * time.Hour) },
		PageSize: pageSize, Now: clock.Now, Workers: 1,
	}
	hc := httpclient.Config{Origin: endpoint, Retry: configretry.BackOffConfig{Enabled: false}}
	for _, o := range opts {
		o(&hc)
	}
	set.MaxBodySize = hc.MaxBodySize
	client, err := httpclient.New(nil, hc)
	require.NoError(t, err)
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: component.MustNewID("api_logs"), Transport: "http",
		ReceiverCreateSettings: receivertest.NewNopSettings(component.MustNewType("api_logs")),
	})
	require.NoError(t, err)
	cons := &recordingConsumer{}
	deps := Deps{Client: client, Store: store, Consumer: cons, ObsRep: obs, Logger: zap.NewNop()}
	if edit != nil {
		edit(&set, &deps)
	}
	src, err := New(set, deps)
	require.NoError(t, err)
	w, err := src.newWorker()
	require.NoError(t, err)
	return &rig{t: t, c: apiCase{stream: defaultStream}, store: store, consumer: cons, clock: clock, src: src, st: newStream(src, defaultStream), w: w, settings: set}
}

const cursorSpec = `
request:
  path: /events
  query:
    limit: "{{page_size}}"
    cursor: "{{cursor}}"
    "filter[created_at][]": ["gte:{{window_start}}", "lte:{{window_end}}"]
time_filter: {format: rfc3339}
pagination:
  type: cursor
  next_path: meta.next_cursor
%s
records:
  path: data
  order: newest_first
  id_field: id
  time_field: created_at
  time_format: rfc3339
  time_precision: 1s
`

// cursorPages serves n records newest first, pageSize a page, behind an
// opaque cursor; like the APIs of issue #20 it hands out a cursor on its
// last page too, and says meta.has_more: false there.
func cursorPages(base time.Time, n, pageSize int) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		from := 0
		if c := r.URL.Query().Get("cursor"); c != "" {
			_, _ = fmt.Sscanf(c, "c%d", &from)
		}
		var recs []string
		for i := from; i < min(from+pageSize, n); i++ {
			at := base.Add(time.Duration(n-1-i) * time.Second).UTC().Format(time.RFC3339)
			recs = append(recs, fmt.Sprintf(`{"id":"r%d","created_at":%q}`, n-1-i, at))
		}
		next := from + pageSize
		_, _ = fmt.Fprintf(w, `{"data":[%s],"meta":{"next_cursor":"c%d","has_more":%t}}`, strings.Join(recs, ","), next, next < n)
	}
}

// One query key with a list of templates is sent repeated, in the order
// written; the others as before, sorted by name.
func TestCustomQueryRepeatsAKeyInOrder(t *testing.T) {
	base := baseTime()
	clock := &fakeClock{now: base.Add(time.Hour)}
	api := newCustomAPI(t, cursorPages(base, 3, 5))
	r := newCustomRig(t, fmt.Sprintf(cursorSpec, ""), api, clock, 5)
	_, records, err := r.poll()
	require.NoError(t, err)
	assert.Equal(t, 3, records)
	sent := api.sent()
	require.NotEmpty(t, sent)
	// The window: from StartAt (now-2h) less one unit of time_precision,
	// the overlap that makes inclusive and exclusive filters both work, to
	// the last closed second.
	start := clock.Now().Add(-2*time.Hour - time.Second).UTC().Format(time.RFC3339)
	end := clock.Now().Add(-time.Second).UTC().Format(time.RFC3339)
	q, err := url.ParseQuery(sent[0])
	require.NoError(t, err)
	assert.Equal(t, "filter%5Bcreated_at%5D%5B%5D=gte%3A"+url.QueryEscape(start)+
		"&filter%5Bcreated_at%5D%5B%5D=lte%3A"+url.QueryEscape(end)+"&limit=5", sent[0])
	assert.Equal(t, []string{"gte:" + start, "lte:" + end}, q["filter[created_at][]"])
}

// A cursor walk whose API hands out a cursor on its last page ends on
// has_more_path's false: 3 requests for 7 records in pages of 3, where the
// same walk without it asks a 4th time for an empty page.
func TestCustomHasMorePathSavesTheLastRequest(t *testing.T) {
	for _, tc := range []struct {
		name     string
		extra    string
		requests int
	}{
		{"without has_more_path", "", 4},
		{"with has_more_path", "  has_more_path: meta.has_more", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := baseTime()
			clock := &fakeClock{now: base.Add(time.Hour)}
			api := newCustomAPI(t, cursorPages(base, 7, 3))
			r := newCustomRig(t, fmt.Sprintf(cursorSpec, tc.extra), api, clock, 3)
			_, records, err := r.poll()
			require.NoError(t, err)
			assert.Equal(t, 7, records)
			assert.Len(t, r.consumer.uids(), 7)
			assert.Len(t, api.sent(), tc.requests)
			assert.Nil(t, r.stored().Walk, "the walk is over")
		})
	}
}
