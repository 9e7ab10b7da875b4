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
	h := func(pattern, api, vendor string, auth authFunc, fn http.HandlerFunc) {
		mux.Handle(pattern, s.wrap(api, vendor, auth, fn))
	}
	// Tines
	h("GET /tines/api/v1/actions/{action_id}/logs", APITinesActionLogs, "tines", s.authTines, s.tinesActionLogs)
	h("GET /tines/api/v1/audit_logs", APITinesAuditLogs, "tines", s.authTines, s.tinesAuditLogs)
	// StackOne
	h("POST /stackone/logs/actions", APIStackOneActionLogs, "stackone", s.authStackOne, s.stackOneList)
	h("GET /stackone/logs/actions/{id}", APIStackOneActionLogs, "stackone", s.authStackOne, s.stackOneGet)
	// Logto
	h("POST /logto/oidc/token", apiLogtoToken, "logto", nil, s.logtoToken)
	h("GET /logto/api/logs", APILogtoLogs, "logto", s.authLogto, s.logtoList)
	h("GET /logto/api/logs/{id}", APILogtoLogs, "logto", s.authLogto, s.logtoGet)
	// Akinon OMS (DRF serves both with and without the trailing slash here)
	h("GET /oms/api/v1/oms/logs/action_log/{$}", APIOMSActionLogs, "oms", s.authOMS, s.omsList)
	h("GET /oms/api/v1/oms/logs/action_log", APIOMSActionLogs, "oms", s.authOMS, s.omsList)
	h("GET /oms/api/v1/oms/logs/action_log/{id}/", APIOMSActionLogs, "oms", s.authOMS, s.omsGet)
	// Make
	h("GET /make/api/v2/scenarios", apiMakeScenarios, "make", s.authMake, s.makeScenarios)
	h("GET /make/api/v2/scenarios/{sid}/logs", APIMakeScenarioLogs, "make", s.authMake, s.makeScenarioLogs)
	h("GET /make/api/v2/scenarios/{sid}/logs/{eid}", APIMakeScenarioLogs, "make", s.authMake, s.makeScenarioLog)
	h("GET /make/api/v2/scenarios/{sid}/executions/{eid}", APIMakeScenarioLogs, "make", s.authMake, s.makeExecution)
	h("GET /make/api/v2/scenarios/{sid}/modules/{mid}/logs", APIMakeModuleLogs, "make", s.authMake, s.makeModuleLogs)
	h("GET /make/api/v2/audit-logs/organization/{oid}", APIMakeAuditLogs, "make", s.authMake, s.makeAuditLogs)
	// Control API (no auth, not counted)
	s.controlRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.stats.count(apiUnknown, http.StatusNotFound)
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found", "path": r.URL.Path})
	})
	return mux
}

// wrap applies, in order: stats, rate limit, injected faults, auth, handler.
func (s *Simulator) wrap(api, vendor string, auth authFunc, fn http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			s.stats.count(api, code)
		}()
		r = withInfo(r, reqInfo{api: api, vendor: vendor})
		if ok, wait := s.limiter.allow(vendor, api); !ok {
			sw.Header().Set("Retry-After", retryAfterSeconds(wait))
			writeJSON(sw, http.StatusTooManyRequests, map[string]string{"error": "Too Many Requests", "message": "Requests limit exceeded, please try again later."})
			return
		}
		inner := func(w http.ResponseWriter, r *http.Request) {
			if auth != nil && !auth(w, r) {
				return
			}
			fn(w, r)
		}
		if f, ok := s.faults.draw(api, middlewareKinds...); ok {
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
