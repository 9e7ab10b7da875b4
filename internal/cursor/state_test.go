package cursor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleState() *State {
	return &State{
		Identity: "tines_action_logs\x00https://acme.tines.com\x001001\x00",
		Key:      1_700_000_000_000_000_000,
		Seen:     []Seen{{ID: "a", Key: 1_700_000_000_000_000_000}, {ID: "b", Key: 1_699_999_999_000_000_000}},
		Walk: &Walk{
			Windowed: true, Start: 1_699_999_999_000_000_000, End: 1_700_000_060_000_000_000,
			Next: Position{Page: 3, Offset: 40, URL: "https://acme.tines.com/api?page=3", Cursor: "abc"},
			Edge: 1_700_000_030_000_000_000, EdgeIDs: []string{"x", "y"}, HasEdge: true,
			Seen: []Seen{{ID: "c", Key: 1_700_000_059_000_000_000}}, Pages: 2,
		},
		UpdatedAt: 1_700_000_100_000_000_000,
	}
}

func TestRoundTrip(t *testing.T) {
	for name, st := range map[string]*State{
		"full":      sampleState(),
		"no walk":   {Identity: "x", Key: 42},
		"unbounded": {Identity: "x", Key: 42, Walk: &Walk{Top: 99, HasTop: true, Next: Position{Page: 2}, Pages: 1}},
		"negative":  {Identity: "x", Key: -5},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := Marshal(st)
			require.NoError(t, err)
			got, err := Unmarshal(b)
			require.NoError(t, err)
			assert.Equal(t, Version, got.Version)
			assert.Equal(t, st, got)
		})
	}
}

func TestMarshalSetsVersion(t *testing.T) {
	st := sampleState()
	st.Version = 0
	b, err := Marshal(st)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"version":1`)
}

func TestUnmarshalRejects(t *testing.T) {
	for name, raw := range map[string]string{
		"not json":        `{"version":`,
		"other version":   `{"version":2,"identity":"x","key":1}`,
		"no version":      `{"identity":"x","key":1}`,
		"negative page":   `{"version":1,"walk":{"next":{"page":-1}}}`,
		"negative offset": `{"version":1,"walk":{"next":{"offset":-1}}}`,
		"negative pages":  `{"version":1,"walk":{"next":{},"pages":-1}}`,
		"inverted window": `{"version":1,"walk":{"windowed":true,"start":10,"end":5,"next":{}}}`,
		"array":           `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Unmarshal([]byte(raw))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrIncompatible)
		})
	}
}

func TestKeyDependsOnIdentity(t *testing.T) {
	a := Key("tines_action_logs", "id-1")
	assert.Equal(t, a, Key("tines_action_logs", "id-1"), "stable")
	assert.NotEqual(t, a, Key("tines_action_logs", "id-2"))
	assert.Regexp(t, `^cursor/tines_action_logs/[0-9a-f]{24}$`, a)
}

func TestStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := NewStore(nil)
	raw, err := s.Load(ctx, "missing")
	require.NoError(t, err)
	assert.Nil(t, raw)
	st := sampleState()
	require.NoError(t, s.Save(ctx, "k", st))
	raw, err = s.Load(ctx, "k")
	require.NoError(t, err)
	got, err := Unmarshal(raw)
	require.NoError(t, err)
	assert.Equal(t, st, got)
	require.NoError(t, s.Close(ctx))
}

func FuzzUnmarshal(f *testing.F) {
	for _, st := range []*State{sampleState(), {Identity: "x", Key: 1}} {
		b, err := Marshal(st)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`{"version":1,"walk":null}`))
	f.Add([]byte(`{"version":1,"seen":[{"id":"a","key":1e30}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := Unmarshal(b)
		if err != nil {
			return
		}
		// Whatever Unmarshal accepts, Marshal writes back to a fixed point.
		again, err := Marshal(st)
		require.NoError(t, err)
		st2, err := Unmarshal(again)
		require.NoError(t, err)
		third, err := Marshal(st2)
		require.NoError(t, err)
		assert.JSONEq(t, string(again), string(third))
	})
}
