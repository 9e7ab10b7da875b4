package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// capAt is the page size the capping server gives whatever it is asked.
const capAt = 37

// A server that caps every page at 37 records without saying so, while the
// receiver asks for the API's maximum: a backlog of a few hundred records
// with ties arrives exactly once on every built-in API, whether the server
// echoes the page size it applied or the one it was asked for. Short pages
// end no walk unless the API's own signal, total or echoed size says so.
//
// The exception: Make says nothing but pg.limit, so a Make server that
// capped silently and echoed the limit it was asked for could not be told
// from a last page without one more request per walk; the receiver takes
// pg.limit as the limit Make applied (README, make_scenario_logs).
func TestCappedPagesEveryAPI(t *testing.T) {
	const n = 310
	for _, echoRequested := range []bool{false, true} {
		for _, c := range apiCases {
			if echoRequested && strings.HasPrefix(c.api, "make_") {
				continue
			}
			t.Run(fmt.Sprintf("%s/echo_requested=%v", c.api, echoRequested), func(t *testing.T) {
				srv := newSimServer(t, simulator.Options{CapPageSize: capAt, CapEchoRequested: echoRequested, Seed: 5})
				base := baseTime()
				p := precisionOf(t, c)
				step := max(p, 7*time.Second)
				at := base.Add(-time.Duration(n) * step)
				for i := 0; i < n; {
					k := 1 + i%3 // ties of one to three records at the API's precision
					k = min(k, n-i)
					addTo(srv, c, k, at)
					at = at.Add(step)
					i += k
				}
				clock := &fakeClock{now: base}
				requests := listRequests(srv, clock)
				size := maxPageSize(t, c.api)
				r := newRig(t, srv, c, nil, clock, withPageSize(size), withStartAt(-3*time.Hour))
				_, records, err := r.poll()
				require.NoError(t, err)
				assert.Equal(t, n, records, "one poll reads the whole backlog")
				requireExactlyOnce(t, r.want(), r.got())
				// What the records need at the page the server gives, plus one
				// when the last page is exactly full.
				assert.LessOrEqual(t, requests.Load(), int64((n+capAt-1)/capAt+1),
					"list requests for %d records at %d a page (asked for %d)", n, capAt, size)

				// Caught up: still one request per poll.
				for range 3 {
					clock.Add(15 * time.Second)
					before := requests.Load()
					_, records, err := r.poll()
					require.NoError(t, err)
					assert.Zero(t, records)
					assert.Equal(t, int64(1), requests.Load()-before, "list requests of an idle poll")
				}
			})
		}
	}
}
