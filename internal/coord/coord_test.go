package coord

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func units(n int) []string {
	u := make([]string, n)
	for i := range u {
		u[i] = fmt.Sprintf("unit-%d", i)
	}
	return u
}

func assign(us, members []string) map[string]string {
	a := make(map[string]string, len(us))
	for _, u := range us {
		a[u] = Preferred(u, members)
	}
	return a
}

// TestPreferredSpreadsUnits: 300 units over 3 members, each gets a share
// within 20% of a third.
func TestPreferredSpreadsUnits(t *testing.T) {
	count := map[string]int{}
	for _, owner := range assign(units(300), []string{"a", "b", "c"}) {
		count[owner]++
	}
	require.Len(t, count, 3)
	for m, n := range count {
		assert.InDelta(t, 100, n, 20, "member %s owns %d of 300", m, n)
	}
}

// TestPreferredMovesOnlyWhatMustMove: a fourth member takes units only
// from the others into itself (none move between the three); removing a
// member moves only its units. The order of the member list does not
// matter.
func TestPreferredMovesOnlyWhatMustMove(t *testing.T) {
	us := units(400)
	three := assign(us, []string{"a", "b", "c"})
	four := assign(us, []string{"d", "c", "b", "a"})
	moved := 0
	for _, u := range us {
		if three[u] != four[u] {
			moved++
			assert.Equal(t, "d", four[u], "unit %s moved from %s to %s, not to the new member", u, three[u], four[u])
		}
	}
	assert.InDelta(t, 100, moved, 25, "a fourth member takes about a quarter")

	two := assign(us, []string{"c", "a"})
	for _, u := range us {
		if three[u] != "b" {
			assert.Equal(t, three[u], two[u], "unit %s moved though its owner stayed", u)
		} else {
			assert.Contains(t, []string{"a", "c"}, two[u])
		}
	}
}

func TestPreferredNoMembers(t *testing.T) {
	assert.Empty(t, Preferred("u", nil))
	assert.Equal(t, "x", Preferred("u", []string{"x"}))
}
