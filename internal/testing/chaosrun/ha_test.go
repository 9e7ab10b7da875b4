package chaosrun

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHAEvents(t *testing.T) {
	a := HAEvents(42, 200, 3)
	require.Len(t, a, 200)
	assert.Equal(t, a, HAEvents(42, 200, 3), "the same seed gives the same sequence")
	assert.NotEqual(t, a, HAEvents(43, 200, 3), "another seed gives another sequence")
	seen := map[HAAction]int{}
	members := map[int]int{}
	for i, e := range a {
		assert.GreaterOrEqual(t, e.After, 2*time.Second, "%d: %s", i, e)
		assert.LessOrEqual(t, e.After, 5*time.Second, "%d: %s", i, e)
		assert.Zero(t, e.After%time.Second, "%d: %s", i, e)
		assert.Contains(t, []int{0, 1, 2}, e.Member, "%d: %s", i, e)
		if i > 0 {
			assert.NotEqual(t, a[i-1].Member, e.Member, "%d: the same member twice in a row", i)
		}
		seen[e.What]++
		members[e.Member]++
	}
	assert.Len(t, seen, 3, "kill, pause and term all drawn: %v", seen)
	assert.Len(t, members, 3, "every member drawn: %v", members)
	assert.Equal(t, seen[HAKill]+seen[HAPause], Interruptions(a))
	for _, e := range HAEvents(7, 10, 1) {
		assert.Equal(t, 0, e.Member, "one member: always c0")
	}
}
