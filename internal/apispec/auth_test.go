package apispec

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Extra token-request parameters only make sense with the OAuth2 grant.
func TestEndpointParamsNeedOAuth2(t *testing.T) {
	s, err := Builtin("tines_audit_logs")
	require.NoError(t, err)
	s.Auth.EndpointParams = map[string]string{"audience": "a"}
	require.EqualError(t, s.ValidateAt("custom."), `"custom.auth.endpoint_params" only applies when auth.type is oauth2_client_credentials or oauth2_refresh_token`)

	s, err = Builtin("logto_logs")
	require.NoError(t, err)
	s.Auth.EndpointParams = map[string]string{"audience": "a"}
	require.NoError(t, s.ValidateAt("custom."))

	s.Auth.Type = AuthOAuth2Refresh
	require.NoError(t, s.ValidateAt("custom."), "the refresh-token grant takes them too")
	s.Auth.Resource, s.Auth.ResourcePath = "https://r", "/r"
	require.EqualError(t, s.ValidateAt("custom."), `"custom.auth.resource" and auth.resource_path are exclusive`)
}
