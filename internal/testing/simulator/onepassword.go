package simulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// 1Password Events API, POST /api/v{1,2}/signinattempts, as documented in
// https://developer.1password.com/docs/events-api/reference/ ,
// https://developer.1password.com/docs/events-api/pagination and
// https://developer.1password.com/docs/events-api/status-codes (OpenAPI:
// https://i.1password.com/media/1password-events-reporting/1password-events-api.yaml,
// APIs-guru/openapi-directory APIs/1password.com/events/1.2.0/openapi.yaml):
//   - Authorization: Bearer <JWT>; errors are {"Error":{"Message":"..."}}.
//   - The body is a ResetCursor {"limit":1..1000 (default 100),
//     "start_time":RFC 3339 (default an hour before end_time or now),
//     "end_time":RFC 3339 (optional)} or a Cursor {"cursor":"..."} from an
//     earlier answer; the cursor keeps the reset's limit and end_time.
//   - The answer is {"cursor":"...","has_more":bool,"items":[...]};
//     has_more is "whether there may still be more data to fetch using the
//     returned cursor. If true, the subsequent request could still be
//     empty", so has_more has two plausible readings (PublicOptions).
//   - Items: uuid, session_uuid, timestamp (RFC 3339, whole seconds in the
//     samples of 1Password's Elastic integration), country, category, type,
//     details (null or {"value"}), target_user {uuid,name,email}, client
//     {app_name,...,ip_address}, location {country,region,city,latitude,longitude}.
//   - Rate limits: 600 requests per minute and 30,000 per hour (status codes
//     page: 429, wait for the window); configure with RatePerMinute["onepassword"].
const (
	onePasswordDefaultLimit = 100
	onePasswordMaxLimit     = 1000
)

// onePasswordCursor is what the opaque cursor carries: the position (the
// time and sequence of the last record returned), the reset's limit and
// end time, and when it was issued.
type onePasswordCursor struct {
	T     int64 `json:"t"` // unix nanos of the position
	S     int64 `json:"s"` // sequence of the position (records after (T, S))
	Limit int   `json:"l"`
	End   int64 `json:"e,omitempty"` // unix nanos, 0: none
	Iss   int64 `json:"i"`
}

func (c onePasswordCursor) encode() string {
	return base64.RawURLEncoding.EncodeToString(mustJSON(c))
}

func decodeOnePasswordCursor(s string) (onePasswordCursor, bool) {
	var c onePasswordCursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Limit < 1 {
		return c, false
	}
	return c, true
}

type onePasswordRequest struct {
	Cursor    string   `json:"cursor"`
	Limit     *float64 `json:"limit"`
	StartTime string   `json:"start_time"`
	EndTime   string   `json:"end_time"`
}

func onePasswordError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"Error": map[string]string{"Message": msg}})
}

func (s *Simulator) authOnePassword(w http.ResponseWriter, r *http.Request) bool {
	if v, ok := schemeValue(r, "Bearer"); ok && keyEqual(v, s.opts.Public.OnePasswordToken) {
		return true
	}
	onePasswordError(w, http.StatusUnauthorized, "Unauthorized")
	return false
}

// onePasswordSignInAttempts serves one page after the cursor's position.
func (s *Simulator) onePasswordSignInAttempts(w http.ResponseWriter, r *http.Request) {
	var req onePasswordRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		onePasswordError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	now := time.Now()
	var cur onePasswordCursor
	if req.Cursor != "" {
		c, ok := decodeOnePasswordCursor(req.Cursor)
		ttl := s.opts.Public.OnePasswordCursorTTL
		if !ok || ttl > 0 && now.Sub(time.Unix(0, c.Iss)) > ttl {
			onePasswordError(w, http.StatusBadRequest, "Bad Request")
			return
		}
		cur = c
	} else {
		c, msg := newOnePasswordCursor(req, now)
		if msg != "" {
			onePasswordError(w, http.StatusBadRequest, msg)
			return
		}
		cur = c
	}
	as := s.stores[APIOnePasswordSignInAttempts]
	recs := as.query(s.stream(APIOnePasswordSignInAttempts, ""), timeRange{}, nil) // (timestamp, seq) order
	i := sort.Search(len(recs), func(i int) bool {
		t := recs[i].t.UnixNano()
		return t > cur.T || t == cur.T && recs[i].seq > cur.S
	})
	n := len(recs)
	if cur.End != 0 {
		n = sort.Search(len(recs), func(i int) bool { return recs[i].t.UnixNano() >= cur.End })
	}
	page := window(recs[:max(n, i)], i, cur.Limit)
	hasMore := i+len(page) < n
	if s.opts.Public.OnePasswordFullPageHasMore {
		hasMore = len(page) == cur.Limit
	}
	if len(page) > 0 {
		last := page[len(page)-1]
		cur.T, cur.S = last.t.UnixNano(), last.seq
	}
	cur.Iss = now.UnixNano()
	buf := append([]byte(`{"cursor":`), strconv.Quote(cur.encode())...)
	buf = append(buf, `,"has_more":`...)
	buf = strconv.AppendBool(buf, hasMore)
	buf = append(buf, `,"items":`...)
	buf = appendArray(buf, s.ordered(r, page))
	writeRaw(w, http.StatusOK, append(buf, '}'))
}

// newOnePasswordCursor reads a ResetCursor: the position just before
// start_time.
func newOnePasswordCursor(req onePasswordRequest, now time.Time) (onePasswordCursor, string) {
	c := onePasswordCursor{Limit: onePasswordDefaultLimit}
	if req.Limit != nil {
		l := *req.Limit
		if l < 1 || l > onePasswordMaxLimit || l != math.Trunc(l) {
			return c, "limit must be between 1 and 1000"
		}
		c.Limit = int(l)
	}
	end := now
	if req.EndTime != "" {
		t, err := time.Parse(time.RFC3339, req.EndTime)
		if err != nil {
			return c, "end_time must be an RFC 3339 date-time"
		}
		end, c.End = t, t.UnixNano()
	}
	start := end.Add(-time.Hour)
	if req.StartTime != "" {
		t, err := time.Parse(time.RFC3339, req.StartTime)
		if err != nil {
			return c, "start_time must be an RFC 3339 date-time"
		}
		start = t
	}
	// Records at start_time are included: the position is just before it.
	c.T, c.S = start.UnixNano()-1, math.MaxInt64
	return c, ""
}

const base32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// onePasswordUUID is 1Password's 26-character base32 UUID (e.g.
// HGIF4OEWXDTVWKEQDIWTKV26HU).
func onePasswordUUID(rng *rand.Rand) string {
	var b [26]byte
	for i := range b {
		b[i] = base32Upper[rng.Intn(len(base32Upper))]
	}
	return string(b[:])
}

var onePasswordOutcomes = []struct{ category, typ string }{
	{"success", "credentials_ok"},
	{"success", "credentials_ok"},
	{"success", "mfa_ok"},
	{"credentials_failed", "password_secret_bad"},
	{"mfa_failed", "totp_bad"},
	{"firewall_failed", "continent_blocked"},
	{"sso_failed", "sso_user_mismatch"},
}

var onePasswordUsers = []struct{ uuid, name, email string }{
	{"OJQGU46KAPROEJLCK674RHSAY5", "Wendy Appleseed", "wendy.appleseed@example.com"},
	{"IR7VJHJ36JHINBFAD7V2T5MP3E", "Morgan Lee", "morgan.lee@example.com"},
	{"4HCGRGYCTRQFBMGVEGTABYDU2V", "Sam Rivera", "sam.rivera@example.com"},
}

func buildOnePasswordSignIn(st *stream, _ int64, t time.Time) *record {
	rng := st.rng
	id := onePasswordUUID(rng)
	o := pick(rng, onePasswordOutcomes)
	u := pick(rng, onePasswordUsers)
	var details any
	if o.category == "firewall_failed" {
		details = map[string]string{"value": "Europe"}
	}
	body := mustJSON(map[string]any{
		"uuid": id, "session_uuid": onePasswordUUID(rng), "timestamp": t.Format(time.RFC3339),
		"country": "CA", "category": o.category, "type": o.typ, "details": details,
		"target_user": map[string]string{"uuid": u.uuid, "name": u.name, "email": u.email},
		"client": map[string]string{
			"app_name": "1Password Browser Extension", "app_version": "20127", "platform_name": "Chrome",
			"platform_version": "126.0.6478.127", "os_name": "MacOSX", "os_version": "14.5",
			"ip_address": fmt.Sprintf("13.227.95.%d", 1+rng.Intn(250)),
		},
		"location": map[string]any{"country": "CA", "region": "Ontario", "city": "Toronto", "latitude": 43.64, "longitude": -79.433},
	})
	return &record{id: id, body: body, tags: map[string]string{"category": o.category}}
}
