package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// countingObserver counts refused next links and dropped cursor ids.
type countingObserver struct {
	nopObserver
	mu      sync.Mutex
	refused int
	dropped atomic.Int64
}

func (o *countingObserver) CursorIDsDropped(_ string, n int) { o.dropped.Add(int64(n)) }

func (o *countingObserver) RefusedNextLink(string) {
	o.mu.Lock()
	o.refused++
	o.mu.Unlock()
}

func (o *countingObserver) refusedLinks() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refused
}

// statusRecorder keeps the last status of every stream.
type statusRecorder struct {
	mu   sync.Mutex
	last map[string]error
}

func (s *statusRecorder) StreamStatus(stream string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		s.last = map[string]error{}
	}
	s.last[stream] = err
}

func (s *statusRecorder) StreamRemoved(stream string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.last, stream)
}

func (s *statusRecorder) of(stream string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[stream]
}

func nextURLPagination(s *Settings, _ *httpclientConfig) { s.Spec.Pagination.Type = "next_url" }

func (s *simServer) totalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.requests {
		n += c
	}
	return n
}

// A next link on the endpoint's own host but with userinfo is refused like a
// foreign one, by the client's own check, before the page that carried it
// is delivered: it is counted, never requested, never stored, and the
// stream goes on as soon as the API stops sending it.
func TestUserinfoNextLinkIsRefusedBeforeDelivery(t *testing.T) {
	srv, c, _, clock := tinesBacklog(t, simulator.Options{}, 12)
	require.NoError(t, srv.sim.SetFault(simulator.Fault{Kind: simulator.FaultUserinfoNext, API: c.api}))
	r := newRig(t, srv, c, nil, clock, withPageSize(5), nextURLPagination)
	obs := &countingObserver{}
	r.src.deps.Observer = obs

	for i := range 2 {
		_, _, err := r.poll()
		require.ErrorContains(t, err, "refused a next-page link")
		require.ErrorContains(t, err, "with userinfo")
		assert.NotContains(t, err.Error(), "link-pass")
		assert.Equal(t, i+1, obs.refusedLinks())
		assert.Equal(t, i+1, srv.totalRequests(), "only the first page is requested, never the link")
	}
	assert.Empty(t, r.got(), "the page that carried the link is not delivered")
	if st := r.stored(); st != nil && st.Walk != nil {
		assert.NotContains(t, st.Walk.Next.URL, "@")
	}

	srv.sim.ClearFaults()
	for range 5 {
		_, _, err := r.poll()
		require.NoError(t, err)
	}
	requireExactlyOnce(t, r.want(), r.got())
	if st := r.stored(); st.Walk != nil {
		assert.NotContains(t, st.Walk.Next.URL, "@")
	}
}

// A checkpoint written before the check existed may hold such a link: it
// would fail every poll for good. The walk goes on from its first page
// instead, and delivers nothing twice.
func TestStoredUserinfoLinkDoesNotWedgeTheStream(t *testing.T) {
	srv, c, _, clock := tinesBacklog(t, simulator.Options{}, 12)
	store := cursor.NewStore(nil)
	first := newRig(t, srv, c, store, clock, withPageSize(5), withMaxPages(1), nextURLPagination)
	_, records, err := first.poll()
	require.NoError(t, err)
	require.Equal(t, 5, records)
	state := first.stored()
	require.NotNil(t, state.Walk)
	u, err := url.Parse(state.Walk.Next.URL)
	require.NoError(t, err)
	u.User = url.UserPassword("user", "pw")
	state.Walk.Next.URL = u.String()
	require.NoError(t, store.Save(context.Background(), first.st.key, state))

	core, logs := observer.New(zapcore.InfoLevel)
	second := newLoggingRig(t, srv, c, store, clock, zap.New(core), withPageSize(5), nextURLPagination)
	for range 5 {
		_, _, err = second.poll()
		require.NoError(t, err)
	}
	requireExactlyOnce(t, first.want(), first.got(), second.got())
	warned := logs.FilterMessageSnippet("next-page link to another origin or with userinfo").All()
	require.Len(t, warned, 1)
	assert.Contains(t, warned[0].ContextMap()["link_origin"], "with userinfo")
	assert.NotContains(t, warned[0].ContextMap()["link_origin"], "pw")
}

// A cursor far ahead of the clock stops a stream: it says so once, with the
// reason and the time it reads again, the status says it too, and both
// clear when the clock gets there.
func TestFutureCursorStallsLoudly(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	c := caseOf(t, simulator.APITinesAuditLogs)
	base := baseTime()
	clock := &fakeClock{now: base}
	store := cursor.NewStore(nil)
	core, logs := observer.New(zapcore.InfoLevel)
	r := newLoggingRig(t, srv, c, store, clock, zap.New(core))
	status := &statusRecorder{}
	r.src.deps.Status = status
	future := base.Add(48 * time.Hour)
	require.NoError(t, store.Save(context.Background(), r.st.key,
		&cursor.State{Version: cursor.Version, Identity: r.st.identity, Key: future.UnixNano()}))

	for range 3 {
		r.st.poll(t.Context(), r.w)
		clock.Add(time.Hour)
	}
	stalled := logs.FilterMessageSnippet("Stream stalled").All()
	require.Len(t, stalled, 1, "once per stall, not once per poll")
	assert.Equal(t, zapcore.WarnLevel, stalled[0].Level)
	fields := stalled[0].ContextMap()
	resume := future.Add(2 * time.Second) // the second after the cursor has closed
	assert.Equal(t, resume.UTC(), fields["resume_at"])
	assert.Contains(t, fields["reason"], "ahead of the clock")
	assert.Contains(t, fields["reason"], "reset_cursors")
	var se *StreamError
	require.ErrorAs(t, status.of(c.stream), &se)
	assert.Equal(t, resume, se.Until)
	assert.Contains(t, se.Error(), "stalled until "+resume.UTC().Format(time.RFC3339))
	assert.False(t, httpclient.IsPermanent(status.of(c.stream)))
	assert.Zero(t, srv.totalRequests(), "nothing to read before the cursor")

	clock.Set(resume)
	r.st.poll(t.Context(), r.w)
	assert.Equal(t, 1, logs.FilterMessageSnippet("Stream resumed after a stall").Len())
	require.NoError(t, status.of(c.stream))
	assert.Equal(t, 1, srv.totalRequests())
}

// A 200 that says the server's window is spent until a reset a day away
// hands the stream back to the scheduler at once, and the stream says at
// warn level that it stalls, why, and until when; so does its status.
func TestExhaustedQuotaWithAFarResetStallsLoudly(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	c := caseOf(t, simulator.APITinesAuditLogs)
	h := srv.sim.Handler()
	srv.serve = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", "86400")
		h.ServeHTTP(w, r)
	}
	clock := &fakeClock{now: baseTime()}
	core, logs := observer.New(zapcore.InfoLevel)
	r := newLoggingRig(t, srv, c, nil, clock, zap.New(core))
	status := &statusRecorder{}
	r.src.deps.Status = status

	r.st.poll(t.Context(), r.w)
	require.NoError(t, status.of(c.stream))
	require.Zero(t, logs.FilterMessageSnippet("Stream stalled").Len())

	clock.Add(time.Minute)
	started := time.Now()
	r.st.poll(t.Context(), r.w)
	assert.Less(t, time.Since(started), 10*time.Second, "no worker is parked until the reset")
	assert.Equal(t, 1, srv.totalRequests(), "nothing is sent before the reset")
	stalled := logs.FilterMessageSnippet("Stream stalled").All()
	require.Len(t, stalled, 1)
	assert.Equal(t, zapcore.WarnLevel, stalled[0].Level)
	resume, ok := stalled[0].ContextMap()["resume_at"].(time.Time)
	require.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), resume, time.Minute)
	assert.Contains(t, stalled[0].ContextMap()["reason"], "rate limit")
	assert.Zero(t, logs.FilterMessageSnippet("Poll failed").Len(), "a stall is not logged as a failure")
	assert.Equal(t, resume, r.st.notBefore.UTC(), "the scheduler waits until then")
	var se *StreamError
	require.ErrorAs(t, status.of(c.stream), &se)
	assert.Contains(t, se.Error(), "rate limited by the API")
	assert.Equal(t, resume, se.Until.UTC())
}

// A 429 whose wait exceeds the retry budget says when the stream retries:
// an error with retry_at for a short wait, a stall warning for a long one.
func TestThrottledPollSaysWhenItRetries(t *testing.T) {
	for _, tc := range []struct {
		retryAfter string
		stall      bool
	}{
		{retryAfter: "5400"},               // 1.5 h: within three intervals of 1 h
		{retryAfter: "36000", stall: true}, // 10 h
	} {
		t.Run(tc.retryAfter, func(t *testing.T) {
			srv := newSimServer(t, simulator.Options{})
			c := caseOf(t, simulator.APITinesAuditLogs)
			srv.serve = func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", tc.retryAfter)
				w.WriteHeader(http.StatusTooManyRequests)
			}
			clock := &fakeClock{now: time.Now()}
			core, logs := observer.New(zapcore.InfoLevel)
			r := newLoggingRig(t, srv, c, nil, clock, zap.New(core))
			r.st.poll(t.Context(), r.w)

			failed := logs.FilterMessageSnippet("Poll failed").All()
			stalled := logs.FilterMessageSnippet("Stream stalled").All()
			if tc.stall {
				require.Empty(t, failed)
				require.Len(t, stalled, 1)
				assert.Equal(t, r.st.notBefore.UTC(), stalled[0].ContextMap()["resume_at"])
				return
			}
			require.Empty(t, stalled)
			require.Len(t, failed, 1)
			assert.NotContains(t, failed[0].Message, "next interval")
			assert.Equal(t, r.st.notBefore.UTC(), failed[0].ContextMap()["retry_at"])
			assert.WithinDuration(t, time.Now().Add(90*time.Minute), r.st.notBefore, time.Minute)
		})
	}
}

// The status of a failing stream names the configured request and the class
// of the failure, never what the API answered.
func TestStreamStatusCarriesNoResponseContent(t *testing.T) {
	const canary = "CANARY-in-the-body-0123456789"
	srv := newSimServer(t, simulator.Options{})
	c := caseOf(t, simulator.APITinesAuditLogs)
	for _, tc := range []struct {
		name  string
		serve http.HandlerFunc
		class string
	}{
		{"500", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":"` + canary + `"}`))
		}, "GET /tines/api/v1/audit_logs: status 500"},
		{"records path", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"` + canary + `":[]}`))
		}, "GET /tines/api/v1/audit_logs: records path not found"},
		{"not json", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"a":` + canary))
		}, "GET /tines/api/v1/audit_logs: response is not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.mu.Lock()
			srv.serve = tc.serve
			srv.mu.Unlock()
			core, logs := observer.New(zapcore.InfoLevel)
			r := newLoggingRig(t, srv, c, nil, &fakeClock{now: time.Now()}, zap.New(core))
			status := &statusRecorder{}
			r.src.deps.Status = status
			r.st.poll(t.Context(), r.w)
			err := status.of(c.stream)
			require.Error(t, err)
			assert.Equal(t, tc.class, err.Error())
			assert.NotContains(t, err.Error(), canary)
			require.Equal(t, 1, logs.FilterMessageSnippet("Poll failed").Len(), "the log line has the details")
		})
	}
}

// A server that keeps returning new ids at one timestamp cannot grow the
// checkpoint past its budget: after 40 pages of 500 new ids each at the same
// second, the stored cursor is under 1 MiB and the ids it could not keep are
// counted.
func TestEndlessIDsAtOneTimestampKeepTheCheckpointSmall(t *testing.T) {
	c := caseOf(t, simulator.APITinesAuditLogs)
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	var served atomic.Int64
	srv.serve = func(w http.ResponseWriter, r *http.Request) {
		n := served.Add(1)
		var b strings.Builder
		b.WriteString(`{"audit_logs":[`)
		for i := range 500 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"%s-%d-%d","created_at":%q,"operation_name":"Login"}`,
				strings.Repeat("x", 40), n, i, base.Add(-time.Minute).Format(time.RFC3339))
		}
		fmt.Fprintf(&b, `],"meta":{"next_page":"%s?page=%d","per_page":500}}`, r.URL.Path, n+1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(b.String()))
	}
	obs := &countingObserver{}
	r := newRig(t, srv, c, nil, &fakeClock{now: base}, withPageSize(500), withMaxPages(40))
	r.src.deps.Observer = obs
	_, records, err := r.poll()
	require.NoError(t, err)
	assert.Equal(t, 40*500, records, "every record is delivered")
	raw, err := cursor.Marshal(r.stored())
	require.NoError(t, err)
	assert.Less(t, len(raw), 1<<20, "checkpoint of %d bytes", len(raw))
	assert.Positive(t, obs.dropped.Load(), "the ids past the budget are counted")
	assert.Equal(t, int64(40), served.Load(), "one request per page")
}
