package simulator

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each refresh token works once; its successor is in the answer, the old
// one is refused with invalid_grant, and the access token reads the Logto API.
func TestLogtoRefreshRotates(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	refresh := func(tok string) resp {
		form := url.Values{"grant_type": {"refresh_token"}, "client_id": {"demo-logto-app"}, "refresh_token": {tok}}
		return do(t, "POST", srv.URL+LogtoRefreshPath, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	}
	r := refresh("demo-logto-refresh-token")
	require.Equal(t, 200, r.code, string(r.body))
	var answer struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	require.NoError(t, json.Unmarshal(r.body, &answer))
	assert.NotEqual(t, "demo-logto-refresh-token", answer.RefreshToken)
	assert.Equal(t, 200, get(t, srv.URL+"/logto/api/logs", "Authorization", "Bearer "+answer.AccessToken).code)

	r = refresh("demo-logto-refresh-token")
	assert.Equal(t, 400, r.code)
	assert.Contains(t, string(r.body), "invalid_grant")
	assert.Equal(t, 200, refresh(answer.RefreshToken).code)
	assert.Equal(t, 400, refresh(answer.RefreshToken).code)
	st := s.RefreshStats()
	assert.Equal(t, RefreshStats{Issued: 2, Refused: 2, Current: st.Current}, st)
	assert.NotEqual(t, answer.RefreshToken, st.Current)
}
