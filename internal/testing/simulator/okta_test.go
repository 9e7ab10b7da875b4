package simulator

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

var oktaAuth = []string{"Authorization", "SSWS demo-okta-token"}

type oktaEvent struct {
	UUID      string    `json:"uuid"`
	Published time.Time `json:"published"`
	EventType string    `json:"eventType"`
	Severity  string    `json:"severity"`
}

// oktaPage GETs url and returns its events and next link ("" when none).
func oktaPage(t *testing.T, u string) ([]oktaEvent, string) {
	t.Helper()
	r := get(t, u, oktaAuth...)
	require.Equal(t, http.StatusOK, r.code, string(r.body))
	var evs []oktaEvent
	r.json(t, &evs)
	self := false
	for _, l := range r.header.Values("Link") {
		self = self || strings.HasSuffix(l, `rel="self"`)
	}
	require.True(t, self, "every answer has a rel=self link: %v", r.header.Values("Link"))
	next, _ := decode.NextLink(r.header)
	return evs, next
}

func TestOktaPollingHasANextLinkOnEveryPage(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Millisecond)
	for i := range 250 {
		s.AddRecords(APIOktaSystemLog, "", 1, t0.Add(time.Duration(i/3)*time.Second)) // ties of three
	}
	u := srv.URL + "/okta/api/v1/logs?sortOrder=ASCENDING&limit=100&since=" + url.QueryEscape(t0.Add(-time.Minute).Format(time.RFC3339))
	var got []string
	var sizes []int
	for range 4 {
		evs, next := oktaPage(t, u)
		require.NotEmpty(t, next, "a polling request always has a next link")
		sizes = append(sizes, len(evs))
		for _, e := range evs {
			got = append(got, e.UUID)
		}
		u = next
	}
	assert.Equal(t, []int{100, 100, 50, 0}, sizes)
	want := s.Records(APIOktaSystemLog)
	require.Len(t, got, 250)
	for i, r := range want {
		assert.Equal(t, r.ID, got[i])
	}
	// The empty page's next link is the same position: new events come on it.
	evs, next := oktaPage(t, u)
	assert.Empty(t, evs)
	assert.Equal(t, u, next)
	s.AddRecords(APIOktaSystemLog, "", 3, time.Now())
	evs, next = oktaPage(t, u)
	assert.Len(t, evs, 3)
	assert.NotEqual(t, u, next)
	assert.Equal(t, int64(6), s.Stats().Requests[APIOktaSystemLog]["200"])
}

func TestOktaPollingSinceIsPersistenceTimeAndLateEventsComeAfter(t *testing.T) {
	o := quietOpts()
	o.Public.OktaLateBy, o.Public.OktaLateEvery = 2*time.Minute, 3
	s, srv := newSim(t, o)
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	for i := range 6 {
		s.AddRecords(APIOktaSystemLog, "", 1, t0.Add(time.Duration(i)*time.Second))
	}
	since := url.QueryEscape(t0.Add(-time.Second).Format(time.RFC3339Nano))
	evs, _ := oktaPage(t, srv.URL+"/okta/api/v1/logs?limit=100&since="+since)
	require.Len(t, evs, 6, "the late events were persisted after since though published before it")
	// Persistence order: the 3rd and 6th were published 2 minutes earlier.
	assert.True(t, evs[2].Published.Before(evs[1].Published))
	assert.Equal(t, t0.Add(2*time.Second-2*time.Minute).UTC(), evs[2].Published.UTC())
	// A bounded request by published time, made before a late event is
	// persisted, misses it: the delay the docs warn about.
	until := time.Now()
	window := "&since=" + url.QueryEscape(t0.Add(-3*time.Minute).Format(time.RFC3339Nano)) + "&until=" + url.QueryEscape(until.Format(time.RFC3339Nano))
	before, next := oktaPage(t, srv.URL+"/okta/api/v1/logs?limit=100"+window)
	require.Len(t, before, 6)
	assert.Empty(t, next, "a bounded request's last page has no next link")
	s.AddRecords(APIOktaSystemLog, "", 3, until.Add(time.Second)) // the third is late: published before until
	after, _ := oktaPage(t, srv.URL+"/okta/api/v1/logs?limit=100"+window)
	assert.Len(t, after, 7, "the same window later holds the late event")
}

func TestOktaBoundedPagesEndAndOrderByPublished(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i := range 25 {
		s.AddRecords(APIOktaSystemLog, "", 1, t0.Add(time.Duration(25-i)*time.Second)) // persisted newest first
	}
	q := "?limit=10&since=" + url.QueryEscape(t0.Format(time.RFC3339)) + "&until=" + url.QueryEscape(t0.Add(time.Hour).Format(time.RFC3339))
	u := srv.URL + "/okta/api/v1/logs" + q
	var pub []time.Time
	pages := 0
	for u != "" {
		evs, next := oktaPage(t, u)
		for _, e := range evs {
			pub = append(pub, e.Published)
		}
		u = next
		pages++
	}
	assert.Equal(t, 3, pages)
	require.Len(t, pub, 25)
	for i := 1; i < len(pub); i++ {
		assert.True(t, pub[i].After(pub[i-1]), "bounded requests are ordered by published")
	}
	evs, _ := oktaPage(t, srv.URL+"/okta/api/v1/logs"+q+"&sortOrder=DESCENDING")
	assert.Equal(t, pub[24], evs[0].Published)
}

func TestOktaAuthAndErrors(t *testing.T) {
	_, srv := newSim(t, quietOpts())
	var e struct {
		ErrorCode, ErrorSummary string
	}
	r := get(t, srv.URL+"/okta/api/v1/logs")
	require.Equal(t, http.StatusUnauthorized, r.code)
	r.json(t, &e)
	assert.Equal(t, "E0000011", e.ErrorCode)
	r = get(t, srv.URL+"/okta/api/v1/logs", "Authorization", "SSWS wrong")
	assert.Equal(t, http.StatusUnauthorized, r.code)
	assert.Equal(t, http.StatusOK, get(t, srv.URL+"/okta/api/v1/logs", "Authorization", "Bearer demo-okta-token").code)
	r = get(t, srv.URL+"/okta/api/v1/logs?since=yesterday", oktaAuth...)
	require.Equal(t, http.StatusBadRequest, r.code)
	r.json(t, &e)
	assert.Equal(t, "E0000001", e.ErrorCode)
	assert.Equal(t, http.StatusBadRequest, get(t, srv.URL+"/okta/api/v1/logs?after=%21", oktaAuth...).code)
}

func TestOktaRateLimitHeadersAnd429WithoutRetryAfter(t *testing.T) {
	o := quietOpts()
	o.Public.OktaRatePerMinute = 3
	s, srv := newSim(t, o)
	start := time.Now()
	var left []string
	for range 3 {
		r := get(t, srv.URL+"/okta/api/v1/logs", oktaAuth...)
		require.Equal(t, http.StatusOK, r.code)
		assert.Equal(t, "3", r.header.Get("X-Rate-Limit-Limit"))
		left = append(left, r.header.Get("X-Rate-Limit-Remaining"))
	}
	assert.Equal(t, []string{"2", "1", "0"}, left)
	r := get(t, srv.URL+"/okta/api/v1/logs", oktaAuth...)
	require.Equal(t, http.StatusTooManyRequests, r.code)
	var e struct{ ErrorCode string }
	r.json(t, &e)
	assert.Equal(t, "E0000047", e.ErrorCode)
	assert.Empty(t, r.header.Get("Retry-After"), "Okta says when to come back in X-Rate-Limit-Reset only")
	reset, err := strconv.ParseInt(r.header.Get("X-Rate-Limit-Reset"), 10, 64)
	require.NoError(t, err)
	assert.InDelta(t, start.Add(time.Minute).Unix(), reset, 2, "UTC epoch seconds of the window's end")
	assert.Equal(t, int64(1), s.Stats().Requests[APIOktaSystemLog]["429"])
}
