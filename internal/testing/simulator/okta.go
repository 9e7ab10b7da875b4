package simulator

import (
	"encoding/base64"
	"fmt"
	"math/rand"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Okta System Log API, GET /api/v1/logs, as documented in
// https://developer.okta.com/docs/reference/api/system-log/ (source:
// okta/okta-developer-docs packages/@okta/vuepress-site/docs/reference/api/system-log/index.md)
// and https://developer.okta.com/docs/api/openapi/okta-management/management/tags/systemlog:
//   - limit: 0 to 1000, default 100; sortOrder ASCENDING (default) or DESCENDING;
//     since/until RFC 3339; after: an opaque token only found in next links.
//   - Polling requests (no until, ASCENDING) filter by the events' internal
//     persistence time, may return events out of published order and have
//     infinitely many pages: a rel="next" Link is always present, also on an
//     empty page.
//   - Bounded requests (since and until) filter and order by published and
//     have a finite number of pages: the last one has no next link; events
//     may be delayed and missing from them.
//   - Every answer has a rel="self" Link; events: uuid, published (ISO 8601
//     milliseconds, e.g. 2017-09-31T22:23:07.777Z), eventType, severity, ...
//   - Errors are {"errorCode","errorSummary","errorLink","errorId","errorCauses"};
//     an invalid token is a 401 E0000011.
const (
	oktaDefaultLimit = 100
	oktaMaxLimit     = 1000
	oktaDefaultSpan  = 7 * 24 * time.Hour // since defaults to 7 days before until
)

// newOktaStore keeps events in persistence order (byInsertion) with their
// persistence time in n1: published is the time asked for, less OktaLateBy
// for every OktaLateEvery-th event, and persistence never goes backwards so
// the sequence order is the persistence order.
func (s *Simulator) newOktaStore() *apiStore {
	o := s.opts.Public
	// made, lag and lastPersist are touched only under the one stream's lock:
	// dated runs just before build for the same event.
	var made int64
	var lag time.Duration
	var lastPersist time.Time
	as := newAPIStore(APIOktaSystemLog, time.Millisecond, 0, func(st *stream, seq int64, t time.Time) *record {
		persist := t.Add(lag)
		if persist.Before(lastPersist) {
			persist = lastPersist
		}
		lastPersist = persist
		r := buildOkta(st, seq, t)
		r.n1 = persist.UnixNano()
		return r
	})
	as.byInsertion = true
	as.dated = func(_ *stream, t time.Time) time.Time {
		made++
		lag = 0
		if o.OktaLateBy > 0 && made%int64(o.OktaLateEvery) == 0 {
			lag = o.OktaLateBy
		}
		return t.Add(-lag)
	}
	return as
}

var oktaEventTypes = []struct{ eventType, legacy, message, severity string }{
	{"user.session.start", "core.user_auth.login_success", "User login to Okta", "INFO"},
	{"user.session.start", "core.user_auth.login_failed", "User login to Okta", "WARN"},
	{"user.authentication.sso", "app.auth.sso", "User single sign on to app", "INFO"},
	{"user.session.end", "", "User logout from Okta", "INFO"},
	{"policy.evaluate_sign_on", "", "Evaluation of sign-on policy", "INFO"},
	{"application.user_membership.add", "", "Add user to application membership", "INFO"},
	{"system.org.rate_limit.warning", "", "Rate limit warning", "WARN"},
	{"user.account.lock", "core.user.account.locked", "Max sign in attempts exceeded", "ERROR"},
	{"system.agent.ad.read_config", "", "Read AD agent configuration", "DEBUG"},
}

var oktaUsers = []struct{ id, login, name string }{
	{"00u1qw1mqitPHM8AJ0g7", "admin@example.com", "John Doe"},
	{"00uxc78lMKUMVIHLTAXY", "jane.doe@example.com", "Jane Doe"},
	{"00u3gjksoiRGRAZHLSYV", "jon@example.com", "Jon Stewart"},
}

const oktaIDAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

func oktaTransactionID(rng *rand.Rand) string {
	var b [27]byte
	for i := range b {
		b[i] = oktaIDAlphabet[rng.Intn(len(oktaIDAlphabet))]
	}
	return string(b[:])
}

func buildOkta(st *stream, _ int64, t time.Time) *record {
	rng := st.rng
	id := uuid(rng)
	ev := pick(rng, oktaEventTypes)
	u := pick(rng, oktaUsers)
	ip := fmt.Sprintf("12.97.85.%d", 1+rng.Intn(250))
	result, reason := "SUCCESS", any(nil)
	if ev.severity == "WARN" || ev.severity == "ERROR" {
		result, reason = "FAILURE", "INVALID_CREDENTIALS"
	}
	var legacy, target any
	if ev.legacy != "" {
		legacy = ev.legacy
	}
	if strings.HasPrefix(ev.eventType, "application.") || ev.eventType == "user.authentication.sso" {
		target = []map[string]any{{"id": "0oabe82gnXOFVCDUMVAK", "type": "AppInstance", "alternateId": "Workday", "displayName": "Workday", "detailEntry": nil}}
	}
	body := mustJSON(map[string]any{
		"uuid": id, "published": t.Format(layoutMilli), "eventType": ev.eventType, "version": "0",
		"severity": ev.severity, "legacyEventType": legacy, "displayMessage": ev.message,
		"actor": map[string]any{"id": u.id, "type": "User", "alternateId": u.login, "displayName": u.name, "detailEntry": nil},
		"client": map[string]any{
			"userAgent": map[string]any{"rawUserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36", "os": "Mac OS X", "browser": "CHROME"},
			"zone":      "null", "device": "Computer", "id": nil, "ipAddress": ip,
			"geographicalContext": map[string]any{"city": "San Francisco", "state": "California", "country": "United States", "postalCode": "94107", "geolocation": map[string]float64{"lat": 37.7697, "lon": -122.3933}},
		},
		"device":                nil,
		"authenticationContext": map[string]any{"authenticationProvider": nil, "credentialProvider": nil, "credentialType": nil, "issuer": nil, "interface": nil, "authenticationStep": 0, "externalSessionId": "102" + oktaTransactionID(rng)[:22]},
		"outcome":               map[string]any{"result": result, "reason": reason},
		"target":                target,
		"transaction":           map[string]any{"type": "WEB", "id": oktaTransactionID(rng), "detail": map[string]any{}},
		"debugContext":          map[string]any{"debugData": map[string]any{"requestId": oktaTransactionID(rng), "requestUri": "/api/v1/authn", "url": "/api/v1/authn?"}},
		"securityContext":       map[string]any{"asNumber": nil, "asOrg": nil, "isp": nil, "domain": nil, "isProxy": nil},
		"request":               map[string]any{"ipChain": []map[string]any{{"ip": ip, "version": "V4", "source": nil, "geographicalContext": nil}}},
	})
	return &record{id: id, body: body, tags: map[string]string{"eventType": ev.eventType, "severity": ev.severity}}
}

func (s *Simulator) authOkta(w http.ResponseWriter, r *http.Request) bool {
	v, ok := schemeValue(r, "SSWS")
	if !ok {
		v, ok = schemeValue(r, "Bearer")
	}
	if ok && keyEqual(v, s.opts.Public.OktaToken) {
		return true
	}
	oktaError(w, http.StatusUnauthorized, "E0000011", "Invalid token provided")
	return false
}

func oktaError(w http.ResponseWriter, code int, errCode, summary string) {
	writeJSON(w, code, map[string]any{
		"errorCode": errCode, "errorSummary": summary, "errorLink": errCode,
		"errorId": "oae" + strconv.FormatInt(time.Now().UnixNano(), 36), "errorCauses": []any{},
	})
}

// oktaAfter is the opaque after token: "p<seq>" for a polling position (the
// last event returned), "b<offset>" for a page of a bounded request.
func oktaAfter(kind byte, n int64) string {
	return base64.RawURLEncoding.EncodeToString(strconv.AppendInt([]byte{kind}, n, 10))
}

func parseOktaAfter(tok string) (kind byte, n int64, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) < 2 || raw[0] != 'p' && raw[0] != 'b' {
		return 0, 0, false
	}
	n, err = strconv.ParseInt(string(raw[1:]), 10, 64)
	return raw[0], n, err == nil && n >= 0
}

// oktaLink rebuilds the request's URL with after set (and since dropped
// when dropSince: a polling position replaces it).
func (s *Simulator) oktaLink(base string, r *http.Request, after string, dropSince bool) string {
	q := r.URL.Query()
	q.Set("after", after)
	if dropSince {
		q.Del("since")
	}
	return base + r.URL.EscapedPath() + "?" + q.Encode()
}

// oktaBudget is the rate limiter key of OktaRatePerMinute (not a vendor or
// API name, so RatePerMinute budgets stay the generic ones).
const oktaBudget = "okta /api/v1/logs"

// oktaRateLimit charges the request to OktaRatePerMinute and answers 429
// when it is spent; it reports whether the request may go on.
func (s *Simulator) oktaRateLimit(w http.ResponseWriter) bool {
	if s.opts.Public.OktaRatePerMinute <= 0 {
		return true
	}
	v := s.limiter.allow(oktaBudget)
	h := w.Header()
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(v.limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(v.left))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(time.Now().Add(v.reset+time.Second-1).Unix(), 10))
	if !v.ok {
		oktaError(w, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
	}
	return v.ok
}

// oktaLogs: GET /api/v1/logs.
func (s *Simulator) oktaLogs(w http.ResponseWriter, r *http.Request) {
	if !s.oktaRateLimit(w) {
		return
	}
	q := r.URL.Query()
	limit, ok := intParam(q, "limit", oktaDefaultLimit)
	if !ok || limit < 0 {
		oktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: 'limit': must be a valid integer between 0 and 1000.")
		return
	}
	limit = min(limit, oktaMaxLimit)
	order := q.Get("sortOrder")
	if order == "" {
		order = "ASCENDING"
	}
	if order != "ASCENDING" && order != "DESCENDING" {
		oktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: 'sortOrder': must be ASCENDING or DESCENDING.")
		return
	}
	kind, n, hasAfter := byte(0), int64(0), false
	if a := q.Get("after"); a != "" {
		if kind, n, hasAfter = parseOktaAfter(a); !hasAfter {
			oktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: 'after': invalid cursor.")
			return
		}
	}
	w.Header().Add("Link", linkRel(requestBase(r)+r.URL.RequestURI(), "self"))
	if q.Get("until") == "" && order == "ASCENDING" && kind != 'b' {
		s.oktaPoll(w, r, limit, kind == 'p', n)
		return
	}
	s.oktaBounded(w, r, limit, order, n)
}

func oktaBadDate(w http.ResponseWriter, name string) {
	oktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: '"+name+"': The date format in your query is not recognized. Please enter dates using ISO8601 string format.")
}

// oktaPoll serves a polling request: events after a position in persistence
// order, and always a next link (the same position on an empty page).
func (s *Simulator) oktaPoll(w http.ResponseWriter, r *http.Request, limit int, hasPos bool, pos int64) {
	as := s.stores[APIOktaSystemLog]
	recs := as.query(s.stream(APIOktaSystemLog, ""), timeRange{}, nil) // persistence order
	if !hasPos {
		since := time.Now().Add(-oktaDefaultSpan)
		if v := r.URL.Query().Get("since"); v != "" {
			t, err := parseRFC3339(v)
			if err != nil {
				oktaBadDate(w, "since")
				return
			}
			since = t
		}
		// The position before the first event persisted at or after since.
		i := sort.Search(len(recs), func(i int) bool { return recs[i].n1 >= since.UnixNano() })
		if i > 0 {
			pos = recs[i-1].seq
		}
	}
	i := sort.Search(len(recs), func(i int) bool { return recs[i].seq > pos })
	page := window(recs, i, limit)
	if len(page) > 0 {
		pos = page[len(page)-1].seq
	}
	w.Header().Add("Link", linkRel(s.oktaLink(s.linkBase(r), r, oktaAfter('p', pos), true), "next"))
	writeRaw(w, http.StatusOK, appendArray(nil, s.ordered(r, page)))
}

// oktaBounded serves a bounded request (or a DESCENDING one, bounded by now):
// events by published inside [since, until], pages by offset, no next link
// on the last page.
func (s *Simulator) oktaBounded(w http.ResponseWriter, r *http.Request, limit int, order string, offset int64) {
	q := r.URL.Query()
	tr, bad := s.timeRangeOf(bound{"since", q.Get("since")}, bound{"until", q.Get("until")}, parseRFC3339)
	if bad != "" {
		oktaBadDate(w, bad)
		return
	}
	if !tr.hasHi {
		tr.hi, tr.hasHi = time.Now(), true
	}
	if !tr.hasLo {
		tr.lo, tr.hasLo = tr.hi.Add(-oktaDefaultSpan), true
	}
	as := s.stores[APIOktaSystemLog]
	recs := as.query(s.stream(APIOktaSystemLog, ""), tr, nil)
	slices.SortStableFunc(recs, func(a, b *record) int {
		if a.less(b) {
			return -1
		}
		if b.less(a) {
			return 1
		}
		return 0
	})
	if order == "DESCENDING" {
		reverse(recs)
	}
	page := window(recs, int(min(offset, int64(len(recs)))), limit)
	if end := offset + int64(len(page)); end < int64(len(recs)) && len(page) > 0 {
		w.Header().Add("Link", linkRel(s.oktaLink(s.linkBase(r), r, oktaAfter('b', end), false), "next"))
	}
	writeRaw(w, http.StatusOK, appendArray(nil, s.ordered(r, page)))
}
