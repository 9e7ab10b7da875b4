package simulator

import (
	"fmt"
	"math/rand"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TieGroups adds one group of Min..Max records at a single millisecond to a
// Logto stream every Every of the generator's clock, and only to the APIs
// it names; Logto counts the whole group in Total-Number.
func TestTieGroups(t *testing.T) {
	o := quietOpts()
	o.Mode = ModeChaos
	o.TieGroups = TieGroups{APIs: []string{APILogtoLogs}, Every: 5 * time.Second, Min: 101, Max: 130}
	s, srv := newSim(t, o)
	rng := rand.New(rand.NewSource(1))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	logto, tines := s.stores[APILogtoLogs], s.stores[APITinesAuditLogs]
	for i := range 11 {
		now := t0.Add(time.Duration(i) * time.Second)
		s.tieGroup(logto, s.stream(APILogtoLogs, ""), now, rng)
		s.tieGroup(tines, s.stream(APITinesAuditLogs, ""), now, rng)
	}
	// The first call sets the clock; groups at 5 s and 10 s.
	refs := s.Records(APILogtoLogs)
	require.NotEmpty(t, refs)
	assert.Empty(t, s.Records(APITinesAuditLogs), "an API not named gets no groups")
	perMs := map[int64]int{}
	for _, r := range refs {
		perMs[r.Time.UnixMilli()]++
	}
	require.Len(t, perMs, 2)
	auth := []string{"Authorization", "Bearer " + logtoToken(t, srv.URL)}
	for _, sec := range []int{5, 10} {
		ms := t0.Add(time.Duration(sec) * time.Second).UnixMilli()
		n := perMs[ms]
		assert.GreaterOrEqual(t, n, 101)
		assert.LessOrEqual(t, n, 130)
		r := get(t, fmt.Sprintf("%s/logto/api/logs?page_size=100&start_time=%d&end_time=%d", srv.URL, ms, ms), auth...)
		assert.Equal(t, strconv.Itoa(n), r.header.Get("Total-Number"))
	}
	assert.Equal(t, ModeStats{TieGroups: 2, TieGroupRecords: int64(len(refs)), LogtoTieReads: 2}, s.Stats().Modes, "each millisecond read alone is a tie read")
}

// A Logto request for one millisecond is counted as a tie read: from T to T
// where the bounds are inclusive (1.42), from T-1 to T+1 where they are
// exclusive (1.40-1.41); a wider window, one bound alone or a refused
// request is not.
func TestLogtoTieReadsCounted(t *testing.T) {
	for _, v140 := range []bool{false, true} {
		o := quietOpts()
		o.Logto140 = v140
		s, srv := newSim(t, o)
		auth := []string{"Authorization", "Bearer " + logtoToken(t, srv.URL)}
		ms := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		list := func(query string) { get(t, srv.URL+"/logto/api/logs?page_size=100"+query, auth...) }
		list(fmt.Sprintf("&start_time=%d&end_time=%d", ms, ms))     // 1.40: refused (400)
		list(fmt.Sprintf("&start_time=%d&end_time=%d", ms-1, ms+1)) // 1.42: three milliseconds
		list(fmt.Sprintf("&start_time=%d&end_time=%d", ms-5, ms+5))
		list(fmt.Sprintf("&start_time=%d", ms))
		assert.Equal(t, int64(1), s.Stats().Modes.LogtoTieReads, "Logto140=%v", v140)
	}
}

func TestTieGroupsValidated(t *testing.T) {
	_, err := New(Options{TieGroups: TieGroups{APIs: []string{APILogtoLogs}, Every: time.Second, Min: 50, Max: 10}})
	require.ErrorContains(t, err, "tie groups of 50 to 10 records")
}
