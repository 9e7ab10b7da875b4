package simulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBenchModePages(t *testing.T) {
	s, srv := newSim(t, Options{Mode: ModeBench, Seed: 1, BenchRecords: 1234, BenchActionID: "99"})
	seen := map[int64]bool{}
	next := srv.URL + "/tines/api/v1/actions/99/logs?per_page=500"
	var prev *struct {
		id int64
		at string
	}
	pages := 0
	for next != "" {
		r := get(t, next, tinesAuth...)
		require.Equal(t, 200, r.code)
		var p tinesActionPage
		r.json(t, &p)
		pages++
		assert.Equal(t, 1234, p.Meta.Count)
		assert.Equal(t, 3, p.Meta.Pages)
		for _, l := range p.ActionLogs {
			require.False(t, seen[l.ID])
			seen[l.ID] = true
			if prev != nil {
				assert.Less(t, l.ID, prev.id)
				assert.LessOrEqual(t, l.CreatedAt, prev.at)
			}
			prev = &struct {
				id int64
				at string
			}{l.ID, l.CreatedAt}
			assert.Contains(t, []int{2, 3, 4}, l.Level)
		}
		next = ""
		if p.Meta.NextPage != nil {
			next = p.Meta.NextPage.(string)
		}
	}
	assert.Equal(t, 3, pages)
	assert.Len(t, seen, 1234)
	assert.True(t, seen[1] && seen[1234])
	assert.Equal(t, int64(1234), s.Stats().BenchRecords)

	// Other actions still work, with ids after the bench range.
	s.AddRecords(APITinesActionLogs, "5", 1, time.Now())
	assert.Greater(t, mustAtoi(t, s.Records(APITinesActionLogs)[0].ID), int64(1234))
	// Odd per_page values are rendered on the fly.
	r := get(t, srv.URL+"/tines/api/v1/actions/99/logs?per_page=7&page=2", tinesAuth...)
	var p tinesActionPage
	r.json(t, &p)
	require.Len(t, p.ActionLogs, 7)
	assert.Equal(t, int64(1234-7), p.ActionLogs[0].ID)
}

// BenchmarkBenchPage measures serving one 500-record bench page in process.
func BenchmarkBenchPage(b *testing.B) {
	s, err := New(Options{Mode: ModeBench, Seed: 1, BenchRecords: 5_000_000, BenchActionID: "1"})
	require.NoError(b, err)
	defer s.Close()
	h := s.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	page := 0
	for i := 0; i < b.N; i++ {
		page = page%10000 + 1
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/tines/api/v1/actions/1/logs?per_page=500&page="+itoa(page), http.NoBody)
		req.Header.Set("Authorization", "Bearer demo-tines-key")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "records/s")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
