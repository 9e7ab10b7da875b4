package cursor

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// pageSizes are the sizes of the reads of a group of n records served p at
// a time, its pages in turn: p, ..., p, the remainder, then again.
func pageSizes(n, p, reads int) []int {
	pages := (n + p - 1) / p
	out := make([]int, reads)
	for j := range out {
		out[j] = p
		if j%pages == pages-1 {
			out[j] = n - (pages-1)*p
		}
	}
	return out
}

// unionBound is n × prod(1 - s_j/n), computed read by read: an upper bound
// of the chance that reads of these sizes, each a uniformly random subset
// of the n, leave a record unseen.
func unionBound(n int, sizes []int) float64 {
	q := float64(n)
	for _, s := range sizes {
		q *= 1 - float64(s)/float64(n)
	}
	return q
}

// missChance is the exact chance that reads of these sizes, each a
// uniformly random subset of the n records, leave one unseen, by
// inclusion-exclusion over the k records that are all missed:
// sum (-1)^(k+1) C(n,k) prod_j C(n-k, s_j)/C(n, s_j). The terms fall
// fast, so the sum stops once they are negligible.
func missChance(n int, sizes []int) float64 {
	sum := 0.0
	for k := 1; k <= n; k++ {
		logTerm, _ := math.Lgamma(float64(n + 1))
		a, _ := math.Lgamma(float64(k + 1))
		b, _ := math.Lgamma(float64(n - k + 1))
		logTerm -= a + b
		for _, s := range sizes {
			if s > n-k {
				return sum // k records cannot all be missed by a read of s
			}
			// C(n-k, s)/C(n, s) = prod_{i<k} (n-s-i)/(n-i)
			for i := range k {
				logTerm += math.Log(float64(n-s-i)) - math.Log(float64(n-i))
			}
		}
		term := math.Exp(logTerm)
		if k%2 == 1 {
			sum += term
		} else {
			sum -= term
		}
		if term < 1e-30 {
			break
		}
	}
	return sum
}

// TieReadBound is the fewest reads of a group's pages in turn that leave
// some record unseen with a chance below one in a billion when every read
// is a fresh random order; it always allows one pass over the pages (a
// group in a stable order), and the exact chance of a miss in that many
// reads (inclusion-exclusion) is below one in a billion too.
func TestTieReadBound(t *testing.T) {
	for _, c := range []struct{ n, p, want int }{
		{1, 100, 1},
		{90, 100, 1},
		{100, 100, 1}, // one page holds the group
		{101, 100, 11},
		{120, 100, 26},
		{150, 100, 35},
		{200, 100, 38},
		{250, 100, 64},
		{1200, 100, 320},
		{10000, 100, 2979},
		{250, 20, 328},
		{250, 13, 511},
		{40, 3, 329},
		{0, 100, 1},
		{5, 0, 101}, // no group; a page size of 0 counts as 1
	} {
		assert.Equal(t, c.want, TieReadBound(c.n, c.p), "n=%d p=%d", c.n, c.p)
	}
	for _, p := range []int{100, 20, 13} {
		for _, n := range append(seq(90, 250), 1200) {
			r := TieReadBound(n, p)
			pages := (n + p - 1) / p
			assert.GreaterOrEqual(t, r, pages, "n=%d p=%d: one pass over the pages", n, p)
			if pages == 1 {
				assert.Equal(t, 1, r, "n=%d p=%d", n, p)
				continue
			}
			sizes := pageSizes(n, p, r)
			assert.Less(t, unionBound(n, sizes), TieMissOdds, "n=%d p=%d: %d reads", n, p, r)
			assert.GreaterOrEqual(t, unionBound(n, sizes[:r-1]), TieMissOdds, "n=%d p=%d: %d reads are not the fewest", n, p, r)
			if p == 100 && n <= 250 {
				exact := missChance(n, sizes)
				assert.Less(t, exact, TieMissOdds, "n=%d p=%d: exact chance of a miss", n, p)
				assert.Positive(t, exact, "n=%d p=%d", n, p)
				assert.LessOrEqual(t, exact, unionBound(n, sizes), "n=%d p=%d: the union bound bounds the exact chance", n, p)
			}
		}
	}
}

func seq(from, to int) []int {
	out := make([]int, 0, to-from+1)
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// A walk stored by the previous version in the middle of a tie group (19
// reads done, no tie_page: that version stopped at 20 reads) loads and
// reads the group on, to TieReadBound, until the count is seen.
func TestTieGroupResumesFromThePreviousFormat(t *testing.T) {
	m := NewMachine(spec(func(s *apispec.Spec) {
		s.Records.UnstableTies = true
		s.Pagination.MaxPageSize = 3
	}), 3, 0, 0)
	raw := fmt.Sprintf(`{"version":1,"identity":"id","key":%d,"walk":{"windowed":true,"start":%d,"end":%d,`+
		`"upper":%d,"tie":true,"tie_reads":19,"next":{"page":2,"read":3},"edge":%d,"edge_ids":["c","b","a"],"has_edge":true,"pages":21},"updated_at":1}`,
		at(0), at(-1), at(10), at(5), at(5))
	st, err := Unmarshal([]byte(raw))
	require.NoError(t, err)
	c := Resume(st)
	assert.Equal(t, Request{Position: Position{Page: 2, Read: 3}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, m.Request(c))

	again := &decode.Page{Records: recs("a@5"), Total: 4, HasTotal: true, Size: 3}
	out, err := m.Process(c, again, false)
	require.NoError(t, err)
	assert.Zero(t, out.TieMissing, "the 20th read of a group of 4 is within TieReadBound(4, 3) = 27")
	assert.False(t, out.Done)
	m.Apply(c, out)
	assert.Equal(t, 20, c.State.Walk.TieReads)
	assert.Equal(t, Request{Position: Position{Page: 1}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, m.Request(c))

	last := &decode.Page{Records: recs("b@5", "d@5", "a@5"), Total: 4, HasTotal: true, Size: 3}
	out, err = m.Process(c, last, false)
	require.NoError(t, err)
	assert.Equal(t, "d", ids(last, out.Deliver))
	m.Apply(c, out)
	assert.False(t, c.State.Walk.Tie, "all four seen: on below the second")
	assert.Zero(t, c.State.Walk.TieReads)
	assert.Zero(t, c.State.Walk.TiePage)
}
