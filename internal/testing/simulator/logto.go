package simulator

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	logtoMaxPageSize = 100
	logtoCapLimit    = 10000
)

// tokenStore holds Logto M2M access tokens and their expiry.
type tokenStore struct {
	ttl    time.Duration
	mu     sync.Mutex
	tokens map[string]time.Time
}

func newTokenStore(ttl time.Duration) *tokenStore {
	return &tokenStore{ttl: ttl, tokens: map[string]time.Time{}}
}

func (ts *tokenStore) issue() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	ts.mu.Lock()
	now := time.Now()
	for t, exp := range ts.tokens { // drop expired tokens so the map stays small
		if now.After(exp) {
			delete(ts.tokens, t)
		}
	}
	ts.tokens[tok] = now.Add(ts.ttl)
	ts.mu.Unlock()
	return tok
}

func (ts *tokenStore) valid(tok string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	exp, ok := ts.tokens[tok]
	return ok && time.Now().Before(exp)
}

func (ts *tokenStore) revoke(tok string) {
	ts.mu.Lock()
	delete(ts.tokens, tok)
	ts.mu.Unlock()
}

func logtoError(w http.ResponseWriter, code int, errCode, msg string) {
	writeJSON(w, code, map[string]any{"message": msg, "code": errCode})
}

// logtoToken: POST /oidc/token, client_credentials with Basic or body client auth.
func (s *Simulator) logtoToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "could not parse the form body"})
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if v, ok := schemeValue(r, "Basic"); ok {
		if raw, err := base64.StdEncoding.DecodeString(v); err == nil {
			u, p, _ := strings.Cut(string(raw), ":")
			// RFC 6749 2.3.1: client id and secret are form-urlencoded inside Basic.
			if du, err := url.QueryUnescape(u); err == nil {
				u = du
			}
			if dp, err := url.QueryUnescape(p); err == nil {
				p = dp
			}
			id, secret = u, p
		}
	}
	if !keyEqual(id, s.opts.Keys.LogtoClientID) || !keyEqual(secret, s.opts.Keys.LogtoClientSecret) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "client authentication failed"})
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "unsupported grant_type requested (" + gt + ")"})
		return
	}
	if !logtoResourceOK(w, r) {
		return
	}
	scope := r.PostForm.Get("scope")
	if scope == "" {
		scope = "all"
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": s.tokens.issue(),
		"expires_in":   max(1, int(s.opts.TokenTTL/time.Second)),
		"token_type":   "Bearer",
		"scope":        scope,
	})
}

func (s *Simulator) authLogto(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := schemeValue(r, "Bearer")
	if !ok {
		logtoError(w, http.StatusUnauthorized, "auth.authorization_header_missing", "Authorization header is missing.")
		return false
	}
	if !s.tokens.valid(tok) {
		logtoError(w, http.StatusUnauthorized, "auth.unauthorized", "Unauthorized. Please check credentials and its scope.")
		return false
	}
	if _, fire := s.faults.draw(infoFrom(r).api, FaultTokenExpiry); fire {
		s.tokens.revoke(tok) // the token "expired": it stays rejected until the client gets a new one
		logtoError(w, http.StatusUnauthorized, "auth.unauthorized", "Unauthorized. Please check credentials and its scope.")
		return false
	}
	return true
}

// logtoList: GET /api/logs, created_at DESC with no tie-breaker.
func (s *Simulator) logtoList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, ok1 := intParam(q, "page", 1)
	pageSize, ok2 := intParam(q, "page_size", 20)
	if !ok1 || !ok2 || page < 1 || pageSize < 1 || pageSize > logtoMaxPageSize {
		logtoError(w, http.StatusBadRequest, "guard.invalid_pagination", "The query pagination value is invalid.")
		return
	}
	tr := timeRange{inclusive: s.inclusive() && !s.opts.Logto140}
	if !s.opts.LogtoPre140 {
		var bad string
		tr, bad = s.timeRangeOf(bound{"start_time", q.Get("start_time")}, bound{"end_time", q.Get("end_time")}, parseUnixMilli)
		tr.inclusive = tr.inclusive && !s.opts.Logto140
		if bad != "" {
			logtoError(w, http.StatusBadRequest, "guard.invalid_input", "The request input is invalid. "+bad+" must be a number.")
			return
		}
		if s.opts.Logto140 && tr.hasLo && tr.hasHi && !tr.lo.Before(tr.hi) {
			logtoError(w, http.StatusBadRequest, "log.invalid_time_window", "The time window is invalid: start_time must be less than end_time.")
			return
		}
		if tr.hasLo && tr.hasHi && tr.lo.After(tr.hi) {
			logtoError(w, http.StatusBadRequest, "guard.invalid_input", "The request input is invalid. start_time must be less than or equal to end_time.")
			return
		}
		if tr.oneMilli() {
			s.logtoTieReads.Add(1)
		}
	}
	logKey, userID, appID := q.Get("logKey"), q.Get("userId"), q.Get("applicationId")
	keep := func(rec *record) bool {
		return (logKey == "" || rec.tags["logKey"] == logKey) && (userID == "" || rec.tags["userId"] == userID) &&
			(appID == "" || rec.tags["applicationId"] == appID)
	}
	as := s.stores[APILogtoLogs]
	recs := as.query(s.stream(APILogtoLogs, ""), tr, keep)
	reverse(recs)
	if !s.opts.LogtoStableTies {
		s.shuffleTies(recs)
	}

	pageSize, _ = s.capPage(pageSize)
	total := len(recs)
	capped := q.Get("enableCap") == "true" && total > logtoCapLimit
	if capped {
		w.Header().Set("Total-Number", strconv.Itoa(logtoCapLimit+1))
		w.Header().Set("Total-Number-Is-Capped", "true")
	} else {
		w.Header().Set("Total-Number", strconv.Itoa(total))
	}
	totalPages := max(1, (total+pageSize-1)/pageSize)
	base := requestBase(r)
	links := []string{linkRel(pageURL(base, r, "1"), "first")}
	if page > 1 {
		links = append(links, linkRel(pageURL(base, r, strconv.Itoa(page-1)), "prev"))
	}
	if !capped {
		if page < totalPages {
			links = append(links, linkRel(pageURL(s.linkBase(r), r, strconv.Itoa(page+1)), "next"))
		}
		links = append(links, linkRel(pageURL(base, r, strconv.Itoa(totalPages)), "last"))
	}
	w.Header().Set("Link", strings.Join(links, ", "))
	writeRaw(w, http.StatusOK, appendArray(nil, s.ordered(r, window(recs, (page-1)*pageSize, pageSize))))
}

func linkRel(u, rel string) string { return "<" + u + `>; rel="` + rel + `"` }

// shuffleTies reorders each run of equal createdAt randomly: Postgres gives no
// order among ties for "order by created_at desc", so neither do we.
func (s *Simulator) shuffleTies(recs []*record) {
	var rng interface{ Shuffle(int, func(int, int)) }
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && recs[j].t.Equal(recs[i].t) {
			j++
		}
		if j-i > 1 {
			if rng == nil {
				rng = s.requestRand()
			}
			g := recs[i:j]
			rng.Shuffle(len(g), func(a, b int) { g[a], g[b] = g[b], g[a] })
		}
		i = j
	}
}

// logtoGet: GET /api/logs/{id}.
func (s *Simulator) logtoGet(w http.ResponseWriter, r *http.Request) {
	as := s.stores[APILogtoLogs]
	rec := as.lookup(s.stream(APILogtoLogs, ""), r.PathValue("id"))
	if rec == nil {
		logtoError(w, http.StatusNotFound, "entity.not_exists_with_id", "The log with ID `"+r.PathValue("id")+"` does not exist.")
		return
	}
	writeRaw(w, http.StatusOK, rec.body)
}
