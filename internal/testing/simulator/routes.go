package simulator

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// authFunc checks credentials and writes the vendor's 401 itself when they are wrong.
type authFunc func(w http.ResponseWriter, r *http.Request) bool

func (s *Simulator) routes() *http.ServeMux {
	mux := http.NewServeMux()
	h := func(pattern, api, vendor, kind string, auth authFunc, fn http.HandlerFunc) {
		mux.Handle(pattern, s.wrap(route{api: api, vendor: vendor, kind: kind}, auth, fn))
	}
	// Tines
	h("GET /tines/api/v1/actions/{action_id}/logs", APITinesActionLogs, "tines", kindList, s.authTines, s.tinesActionLogs)
	h("GET /tines/api/v1/audit_logs", APITinesAuditLogs, "tines", kindList, s.authTines, s.tinesAuditLogs)
	// StackOne
	h("POST /stackone/logs/actions", APIStackOneActionLogs, "stackone", kindList, s.authStackOne, s.stackOneList)
	h("GET /stackone/logs/actions/{id}", APIStackOneActionLogs, "stackone", kindDetail, s.authStackOne, s.stackOneGet)
	// Logto
	h("POST /logto/oidc/token", apiLogtoToken, "logto", kindToken, nil, s.logtoToken)
	h("GET /logto/api/logs", APILogtoLogs, "logto", kindList, s.authLogto, s.logtoList)
	h("GET /logto/api/logs/{id}", APILogtoLogs, "logto", kindDetail, s.authLogto, s.logtoGet)
	// Akinon OMS (DRF serves both with and without the trailing slash here)
	h("GET /oms/api/v1/oms/logs/action_log/{$}", APIOMSActionLogs, "oms", kindList, s.authOMS, s.omsList)
	h("GET /oms/api/v1/oms/logs/action_log", APIOMSActionLogs, "oms", kindList, s.authOMS, s.omsList)
	h("GET /oms/api/v1/oms/logs/action_log/{id}/", APIOMSActionLogs, "oms", kindDetail, s.authOMS, s.omsGet)
	// Make
	h("GET /make/api/v2/scenarios", apiMakeScenarios, "make", kindDiscovery, s.authMake, s.makeScenarios)
	h("GET /make/api/v2/scenarios/{sid}/logs", APIMakeScenarioLogs, "make", kindList, s.authMake, s.makeScenarioLogs)
	h("GET /make/api/v2/scenarios/{sid}/logs/{eid}", APIMakeScenarioLogs, "make", kindDetail, s.authMake, s.makeScenarioLog)
	h("GET /make/api/v2/scenarios/{sid}/executions/{eid}", APIMakeScenarioLogs, "make", kindDetail, s.authMake, s.makeExecution)
	h("GET /make/api/v2/scenarios/{sid}/modules/{mid}/logs", APIMakeModuleLogs, "make", kindList, s.authMake, s.makeModuleLogs)
	h("GET /make/api/v2/audit-logs/organization/{oid}", APIMakeAuditLogs, "make", kindList, s.authMake, s.makeAuditLogs)
	// Public APIs of the examples (slack.go, github.go)
	h("GET /slack/audit/v1/logs", APISlackAuditLogs, "slack", kindList, s.authSlack, s.slackLogs)
	h("GET /github/enterprises/{enterprise}/audit-log", APIGitHubAuditLog, "github", kindList, s.authGitHub, s.githubAuditLog)
	// Control API (no auth, not counted)
	s.controlRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.stats.count(apiUnknown, http.StatusNotFound)
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found", "path": r.URL.Path})
	})
	return mux
}

// route is what the route table declares about one vendor endpoint.
type route struct {
	api, vendor string
	kind        string // kindList, kindDetail, kindToken or kindDiscovery
}

// wrap applies, in order: request counting, latency, rate limit, injected faults, auth, handler.
func (s *Simulator) wrap(rt route, auth authFunc, fn http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := streamKey{rt.api, requestStream(rt.api, r)}
		s.requests.arrive(key, rt.kind)
		// Count the status as soon as it is written: a client that has read the
		// answer must already see it in the stats.
		sw := &statusWriter{ResponseWriter: w, onCode: func(code int) {
			s.stats.count(rt.api, code)
			if code == http.StatusTooManyRequests {
				s.requests.throttled(key)
			}
		}}
		defer sw.finish()
		if s.opts.Latency > 0 {
			s.sleep(r.Context(), s.opts.Latency)
		}
		r = withInfo(r, reqInfo{api: rt.api, vendor: rt.vendor})
		v := s.limiter.allow(rt.vendor, rt.api)
		if s.opts.RateLimitHeaders {
			v.setHeaders(sw.Header())
		}
		if !v.ok {
			sw.Header().Set("Retry-After", retryAfterSeconds(v.reset))
			writeJSON(sw, http.StatusTooManyRequests, map[string]string{"error": "Too Many Requests", "message": "Requests limit exceeded, please try again later."})
			return
		}
		inner := func(w http.ResponseWriter, r *http.Request) {
			if auth != nil && !auth(w, r) || s.refuse(w, key) {
				return
			}
			fn(w, r)
		}
		if f, ok := s.faults.draw(rt.api, middlewareKinds...); ok {
			if f.Kind == FaultTruncated {
				serveTruncated(sw, r, inner)
				return
			}
			if s.applyFault(sw, r, f) {
				return
			}
		}
		inner(sw, r)
	})
}

func keyEqual(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// schemeValue returns the credential after "<scheme> " (case-insensitive scheme).
func schemeValue(r *http.Request, scheme string) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > len(scheme)+1 && strings.EqualFold(h[:len(scheme)], scheme) && h[len(scheme)] == ' ' {
		return strings.TrimSpace(h[len(scheme)+1:]), true
	}
	return "", false
}

func (s *Simulator) authTines(w http.ResponseWriter, r *http.Request) bool {
	if v, ok := schemeValue(r, "Bearer"); ok && keyEqual(v, s.opts.Keys.Tines) {
		return true
	}
	if keyEqual(r.Header.Get("X-User-Token"), s.opts.Keys.Tines) {
		return true
	}
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Unauthorized"})
	return false
}

func (s *Simulator) authStackOne(w http.ResponseWriter, r *http.Request) bool {
	if v, ok := schemeValue(r, "Basic"); ok {
		if raw, err := base64.StdEncoding.DecodeString(v); err == nil {
			user, pass, hasColon := strings.Cut(string(raw), ":")
			// The SDKs send "<key>:"; an old guide shows the bare key. Accept both.
			if keyEqual(user, s.opts.Keys.StackOne) && (!hasColon || pass == "") {
				return true
			}
		}
	}
	writeJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401, "message": "Unauthorized", "timestamp": time.Now().UTC().Format(layoutMilli)})
	return false
}

func (s *Simulator) authOMS(w http.ResponseWriter, r *http.Request) bool {
	v, ok := schemeValue(r, "Token")
	if !ok {
		v, ok = schemeValue(r, "Bearer")
	}
	w.Header().Set("WWW-Authenticate", "Token")
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Authentication credentials were not provided."})
		return false
	}
	if !keyEqual(v, s.opts.Keys.OMS) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Invalid token."})
		return false
	}
	w.Header().Del("WWW-Authenticate")
	return true
}

func (s *Simulator) authMake(w http.ResponseWriter, r *http.Request) bool {
	if v, ok := schemeValue(r, "Token"); ok && keyEqual(v, s.opts.Keys.Make) {
		return true
	}
	writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": "Invalid credentials.", "message": "Access denied.", "code": "IM003"})
	return false
}
