package apilogsreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

// bareConfig is Config without its Unmarshal: what the collector's own
// decoder (confmap, ErrorUnused on) does with the receiver's section.
type bareConfig Config

// TestConfmapAloneMissesWhatUnmarshalAdds is why config_unmarshal.go keeps
// its own key walk instead of leaning on confmap v1.71 alone: confmap does
// reject an unknown key, but names no valid one, and it reads a duration
// written as a bare number as nanoseconds. When confmap learns either, this
// test fails, and the walk can shrink to what confmap still lacks.
func TestConfmapAloneMissesWhatUnmarshalAdds(t *testing.T) {
	typo := map[string]any{"api": "tines_action_logs", "colection_interval": "5m"}
	err := confmap.NewFromStringMap(typo).Unmarshal((*bareConfig)(createDefaultConfig().(*Config)))
	require.Error(t, err, "confmap rejects an unknown key")
	assert.Contains(t, err.Error(), "colection_interval")
	assert.NotContains(t, err.Error(), `"collection_interval"`, "confmap names no valid key")
	err = confmap.NewFromStringMap(typo).Unmarshal(createDefaultConfig().(*Config))
	require.ErrorContains(t, err, `"colection_interval" is not an api_logs key; did you mean "collection_interval"?`)

	bare := map[string]any{"api": "tines_action_logs", "collection_interval": 5}
	plain := (*bareConfig)(createDefaultConfig().(*Config))
	require.NoError(t, confmap.NewFromStringMap(bare).Unmarshal(plain), "confmap takes a bare number for a duration")
	assert.Equal(t, 5*time.Nanosecond, plain.CollectionInterval, "and reads it as nanoseconds")
	err = confmap.NewFromStringMap(bare).Unmarshal(createDefaultConfig().(*Config))
	assert.ErrorContains(t, err, `"collection_interval" must be a duration with a unit, such as 5s or 5m; got 5`)
}
