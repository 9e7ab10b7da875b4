package simulator

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// LogtoRefreshPath is the token endpoint of the refresh-token grant that
// protects the Logto API beside its client-credentials one: a generic OAuth
// 2.0 server that rotates (RFC 6749 §6, RFC 9700 §4.14.2): each refresh
// token works once and the answer carries its successor; a retired one is
// refused with invalid_grant. The client is public (client_id in the form,
// no secret).
const LogtoRefreshPath = "/logto/oauth/refresh"

// apiLogtoRefresh counts the refresh-token grant's requests in Stats.
const apiLogtoRefresh = "logto_refresh"

// refreshGrant is the live refresh token and what the grant did.
type refreshGrant struct {
	mu      sync.Mutex
	current string
	issued  int
	refused int
}

// RefreshStats are the refresh-token grant's counts: tokens issued (one
// per accepted request) and requests refused with invalid_grant; Current
// is the live refresh token (for leak checks).
type RefreshStats struct {
	Issued, Refused int
	Current         string
}

// RefreshStats reports the refresh-token grant's counts.
func (s *Simulator) RefreshStats() RefreshStats {
	g := &s.refresh
	g.mu.Lock()
	defer g.mu.Unlock()
	current := g.current
	if current == "" {
		current = s.opts.Keys.LogtoRefreshToken
	}
	return RefreshStats{Issued: g.issued, Refused: g.refused, Current: current}
}

// logtoRefresh: POST /logto/oauth/refresh, grant_type=refresh_token.
func (s *Simulator) logtoRefresh(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "could not parse the form body"})
		return
	}
	if !keyEqual(r.PostForm.Get("client_id"), s.opts.Keys.LogtoClientID) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "unknown client"})
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "refresh_token" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "unsupported grant_type requested (" + gt + ")"})
		return
	}
	g := &s.refresh
	g.mu.Lock()
	if g.current == "" {
		g.current = s.opts.Keys.LogtoRefreshToken
	}
	if !keyEqual(r.PostForm.Get("refresh_token"), g.current) {
		g.refused++
		g.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "the refresh token is invalid, expired or was used already"})
		return
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	g.current = "rt-" + hex.EncodeToString(b[:])
	g.issued++
	next := g.current
	g.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  s.tokens.issue(),
		"expires_in":    max(1, int(s.opts.TokenTTL/time.Second)),
		"token_type":    "Bearer",
		"refresh_token": next,
	})
}
