package httpclient

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStaticAuthenticators(t *testing.T) {
	for name, tc := range map[string]struct {
		auth   Authenticator
		header string
		want   string
	}{
		"tines bearer":  {Bearer("tines-key"), "Authorization", "Bearer tines-key"},
		"oms token":     {Scheme("Token", "oms-key"), "Authorization", "Token oms-key"},
		"make token":    {Scheme("Token", "make-key"), "Authorization", "Token make-key"},
		"stackone":      {Basic("so-key", ""), "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("so-key:"))},
		"basic":         {Basic("user", "pass"), "Authorization", "Basic dXNlcjpwYXNz"},
		"custom header": {Header("X-User-Token", "legacy"), "X-User-Token", "legacy"},
	} {
		req, err := http.NewRequest(http.MethodGet, "https://h/x", http.NoBody)
		require.NoError(t, err)
		require.NoError(t, tc.auth.Apply(context.Background(), req), name)
		assert.Equal(t, tc.want, req.Header.Get(tc.header), name)
		// configopaque keeps accidental formatting from leaking the value.
		assert.NotContains(t, fmt.Sprintf("%v %+v %#v %s", tc.auth, tc.auth, tc.auth, tc.auth), "key", name)
	}
}

func TestStackOneBasicIsKeyColon(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://api.stackone.com/logs", http.NoBody)
	require.NoError(t, Basic("k", "").Apply(context.Background(), req))
	user, pass, ok := req.BasicAuth()
	require.True(t, ok)
	assert.Equal(t, "k", user)
	assert.Empty(t, pass)
}
