package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
)

// idFeed is an events feed polled "after the last id", oldest first, that
// lists the record it continues after again (inclusive): the last_id shape
// of resume. One request can be held open, to kill the collector while a
// page is in flight.
type idFeed struct {
	mu     sync.Mutex
	times  []time.Time
	asked  []string // after_id of every request, in order ("" for none)
	holdAt string   // after_id whose request is held until release
	held   chan struct{}
	free   chan struct{}
}

func newIDFeed(n int, from time.Time) *idFeed {
	f := &idFeed{held: make(chan struct{}), free: make(chan struct{})}
	f.add(n, from)
	return f
}

func (f *idFeed) add(n int, from time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range n {
		f.times = append(f.times, from.Add(time.Duration(i)*time.Millisecond))
	}
}

func (f *idFeed) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after := q.Get("after_id")
	f.mu.Lock()
	f.asked = append(f.asked, after)
	hold := after != "" && after == f.holdAt
	if hold {
		f.holdAt = ""
	}
	f.mu.Unlock()
	if hold {
		close(f.held)
		<-f.free
		http.Error(w, "released", http.StatusServiceUnavailable)
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	f.mu.Lock()
	defer f.mu.Unlock()
	from := 0
	if after != "" {
		from, _ = strconv.Atoi(strings.TrimPrefix(after, "e"))
	}
	var recs []string
	for i := from; i < min(from+limit, len(f.times)); i++ {
		recs = append(recs, fmt.Sprintf(`{"id":"e%d","ts":%q,"msg":"event %d"}`, i, f.times[i].UTC().Format(time.RFC3339Nano), i))
	}
	_, _ = fmt.Fprintf(w, `{"data":[%s]}`, strings.Join(recs, ","))
}

func (f *idFeed) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

func (f *idFeed) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.times)
}

// delivered counts each feed id the sink received.
func delivered(t *testing.T, got map[string]int) map[string]int {
	t.Helper()
	out := make(map[string]int, len(got))
	for key, n := range got {
		_, id, ok := strings.Cut(key, "/")
		require.True(t, ok, key)
		out[id] += n
	}
	return out
}

// A custom spec with resume.from last_id through the built collector: a
// SIGKILL with a page in flight repeats at most that page, a SIGTERM
// nothing, every record arrives; an idle poll is one request from the
// stored id.
func TestResumeFromLastIDThroughKillsAndRestarts(t *testing.T) {
	feed := newIDFeed(300, time.Now().Add(-10*time.Minute))
	feed.holdAt = "e198" // the third page (inclusive: the second ends at e198): two pages delivered, the third in flight
	srv := httptest.NewServer(http.HandlerFunc(feed.serve))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-feed.free:
		default:
			close(feed.free)
		}
	})
	sink := startSink(t)
	h := newHarness(t, chaosrun.Config{
		SinkURL: sink.Endpoint(), PageSize: 100,
		Receivers: []chaosrun.Receiver{{ID: "feed", API: "custom", Settings: []string{
			"api: custom",
			"endpoint: " + srv.URL,
			"api_key: feed-key-5c1d",
			"custom:",
			"  request:",
			"    path: /events",
			`    query: {after_id: "{{last_id}}", limit: "{{page_size}}"}`,
			"  pagination: {type: none}",
			"  resume: {from: last_id}",
			"  records: {path: data, order: oldest_first, id_field: id, time_field: ts, time_format: rfc3339, time_precision: 1ms}",
			"  auth: {type: bearer}",
		}}},
	})
	all := func(n int) func() string {
		return func() string {
			if got := len(delivered(t, sink.Received("custom"))); got < n {
				return fmt.Sprintf("%d of %d records delivered", got, n)
			}
			return ""
		}
	}

	h.start()
	select {
	case <-feed.held:
	case <-time.After(60 * time.Second):
		t.Fatalf("the third page was never asked for; requests: %v", feed.requests())
	}
	h.col.Kill()
	close(feed.free)
	assert.Equal(t, []string{"", "e99", "e198"}, feed.requests(), "the first request, then after each page's last id")

	h.start()
	waitFor(t, 60*time.Second, all(300))
	counts := delivered(t, sink.Received("custom"))
	twice := 0
	for id, n := range counts {
		require.LessOrEqual(t, n, 2, id)
		if n == 2 {
			twice++
			k, _ := strconv.Atoi(strings.TrimPrefix(id, "e"))
			assert.True(t, k >= 99 && k <= 198, "only the page in flight comes twice, not %s", id)
		}
	}
	assert.LessOrEqual(t, twice, 99, "at most the page in flight (its first record is the first page's last)")
	t.Logf("the kill with the third page asked for: %d records delivered twice", twice)

	// Idle: every request continues after the last id, one per poll.
	waitFor(t, 30*time.Second, func() string {
		if r := feed.requests(); r[len(r)-1] != "e299" {
			return "not caught up yet: last request after " + r[len(r)-1]
		}
		return ""
	})
	before, since := len(feed.requests()), time.Now()
	time.Sleep(3 * time.Second) // a window of idle polls: only an upper bound is asserted
	idle := feed.requests()[before:]
	t.Logf("idle: %d requests in %s", len(idle), time.Since(since).Round(time.Millisecond))
	assert.LessOrEqual(t, len(idle), int(time.Since(since)/time.Second)+1, "one request per idle poll (1 s interval)")
	require.NotEmpty(t, idle)
	for _, after := range idle {
		assert.Equal(t, "e299", after)
	}

	feed.add(20, time.Now())
	waitFor(t, 30*time.Second, all(320))
	h.stop()
	feed.add(15, time.Now())
	mark := len(feed.requests())
	h.start()
	waitFor(t, 30*time.Second, all(335))
	h.stop()
	resumed := feed.requests()[mark:]
	require.GreaterOrEqual(t, len(resumed), 2)
	assert.Equal(t, []string{"e319", "e334"}, resumed[:2], "a restart resumes after the stored id: the 15 new records, then the last one alone")
	for _, after := range resumed[2:] {
		assert.Equal(t, "e334", after)
	}
	final := delivered(t, sink.Received("custom"))
	assert.Len(t, final, feed.len())
	for id, n := range final {
		if n > 1 {
			assert.Equal(t, counts[id], n, "%s: delivered again after the kill's page", id)
		}
	}
	assert.NotContains(t, h.col.Log(), "refused the stored position")
}
