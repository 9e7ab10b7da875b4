package simulator

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A revoked stream answers its status to every request, with good
// credentials, while the other streams answer; Restore gives it back.
func TestRevokeOneStream(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	logs := func(id string) int { return get(t, srv.URL+"/make/api/v2/scenarios/"+id+"/logs", makeAuth...).code }
	s.Revoke(APIMakeScenarioLogs, "7002", 403)
	assert.Equal(t, 403, logs("7002"))
	assert.Equal(t, 200, logs("7001"))
	s.Restore(APIMakeScenarioLogs, "7002")
	assert.Equal(t, 200, logs("7002"))
	assert.Equal(t, int64(1), s.Stats().Requests[APIMakeScenarioLogs]["403"])
}

// A hidden scenario is left out of its team's listing until it is listed again.
func TestHideScenario(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	ids := func() []float64 {
		r := get(t, srv.URL+"/make/api/v2/scenarios?teamId=7", makeAuth...)
		require.Equal(t, 200, r.code, string(r.body))
		var page struct {
			Scenarios []struct {
				ID float64 `json:"id"`
			} `json:"scenarios"`
		}
		r.json(t, &page)
		var out []float64
		for _, sc := range page.Scenarios {
			out = append(out, sc.ID)
		}
		return out
	}
	s.HideScenario(7002, true)
	assert.Equal(t, []float64{7001, 7003}, ids())
	s.HideScenario(7002, false)
	assert.Equal(t, []float64{7001, 7002, 7003}, ids())
}
