package simulator

import "net/http"

// LogtoResource is the resource indicator of the Management API of the
// simulated Logto: it plays a self-hosted Logto, whose one tenant is
// "default" (logto-io/logto packages/schemas/src/seeds/management-api.ts).
// Logto Cloud's is https://<tenant-id>.logto.app/api.
const LogtoResource = "https://default.logto.app/api"

// logtoResourceOK answers the token request with Logto's (oidc-provider's)
// invalid_target error unless it asks for the Management API.
func logtoResourceOK(w http.ResponseWriter, r *http.Request) bool {
	if res := r.PostForm["resource"]; len(res) == 1 && res[0] == LogtoResource {
		return true
	}
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_target", "error_description": "resource indicator is missing, or unknown"})
	return false
}
