package apilogsreceiver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

const (
	hostileKey          = "hostile-KEY-7e3b1d9c0a"
	hostileUser         = "svc-reader"
	hostilePassword     = "hostile-PASS-51f0c2e8"
	hostileClientSecret = "hostile-CLIENT-secret-93ad"
	hostileTokenPrefix  = "hostile-TOKEN-"
)

// hostileAPI answers on loopback with the credentials of every request
// handed back in the forms a careless or hostile server uses (every
// encoding the receiver sends them in, and more), put where the receiver
// quotes an answer: the top-level keys of a 200, a record's time, a
// record's id, a 4xx/5xx body, a next link (body or Link header), and
// response headers.
type hostileAPI struct {
	srv      *httptest.Server
	scenario string
	api      atomic.Int64 // API requests (not token requests)
	tokens   atomic.Int64
	pageOnes atomic.Int64

	mu     sync.Mutex
	forms  map[string]bool // every reflection sent, for the assertions
	failed map[string]bool // next links answered with a 500 once
}

func newHostileAPI(t *testing.T, scenario string) *hostileAPI {
	h := &hostileAPI{scenario: scenario, forms: map[string]bool{}, failed: map[string]bool{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

// reflect returns the forms of the credentials r carried: the header value,
// the credential after its scheme, and for Basic the decoded user:password
// and the password, each as is, lower and upper case, JSON-escaped (\u),
// URL-encoded (query and path), base64 (standard, URL, inside a longer
// base64 text), and split across lines.
func (h *hostileAPI) reflect(r *http.Request) []string {
	v := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(v, " ")
	secrets := []string{v, cred}
	if strings.EqualFold(scheme, "basic") {
		if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
			_, pass, _ := strings.Cut(string(dec), ":")
			secrets = append(secrets, string(dec), pass)
		}
	}
	var out []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		var esc strings.Builder
		for _, c := range s {
			fmt.Fprintf(&esc, `\u%04x`, c)
		}
		var split strings.Builder
		for i := 0; i < len(s); i += 5 {
			split.WriteString(s[i:min(i+5, len(s))] + "\r\n")
		}
		out = append(out, s, strings.ToLower(s), strings.ToUpper(s), esc.String(),
			url.QueryEscape(s), url.PathEscape(s),
			base64.StdEncoding.EncodeToString([]byte(s)),
			base64.RawURLEncoding.EncodeToString([]byte(s)),
			base64.StdEncoding.EncodeToString([]byte("x:"+s+":y")),
			split.String(),
			// Long enough that a message cutting it to length (40 bytes
			// for a key, 64 for a time) would cut the secret in two.
			strings.Repeat("#", 28)+s, strings.Repeat("#", 52)+s)
	}
	h.mu.Lock()
	for _, f := range out {
		h.forms[f] = true
	}
	h.mu.Unlock()
	return out
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (h *hostileAPI) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/oidc/token" {
		n := h.tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"%s%04d","token_type":"Bearer","expires_in":3600}`, hostileTokenPrefix, n)
		return
	}
	n := h.api.Add(1)
	forms := h.reflect(r)
	for i, f := range forms {
		w.Header().Set(fmt.Sprintf("X-Echo-%d", i), strings.ReplaceAll(f, "\r\n", ""))
	}
	w.Header().Set("Content-Type", "application/json")
	recent := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	empty := `{"action_logs":[],"meta":{"next_page":null}}`
	window := func(k int) []string { // k forms, a different window at every request
		var out []string
		for i := range k {
			out = append(out, forms[(int(n-1)*k+i)%len(forms)])
		}
		return out
	}
	link := func() string {
		var p []string
		for _, f := range forms {
			p = append(p, url.PathEscape(f))
		}
		return "/api/v1/actions/1001/logs/" + strings.Join(p, "/") + "?k=" + url.QueryEscape(strings.Join(forms, " "))
	}
	if strings.Contains(r.URL.Path, "/logs/") { // a next link we sent: fails once, then ends the walk
		h.mu.Lock()
		first := !h.failed[r.URL.Path]
		h.failed[r.URL.Path] = true
		h.mu.Unlock()
		if first {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, empty)
		return
	}
	switch h.scenario {
	case "top-level keys":
		var keys []string
		for i, f := range window(15) {
			keys = append(keys, fmt.Sprintf("%s:%d", jsonString(f), i))
		}
		fmt.Fprint(w, "{"+strings.Join(keys, ",")+"}")
	case "record time":
		k, _ := strconv.Atoi(r.URL.Query().Get("k")) // 0 on the first page
		next := "null"
		if k+1 < len(forms) {
			next = jsonString(fmt.Sprintf("%s/api/v1/actions/1001/logs?k=%d", h.srv.URL, k+1))
		}
		fmt.Fprintf(w, `{"action_logs":[{"id":%d,"created_at":%s}],"meta":{"next_page":%s}}`, k, jsonString(forms[k]), next)
	case "record id":
		all := strings.Join(forms, " ")
		fmt.Fprintf(w, `{"action_logs":[{"id":%s,"created_at":%q},{"id":%s,"created_at":%q}],"meta":{"next_page":null}}`,
			jsonString("a "+all), time.Now().Add(-2*time.Hour).UTC().Format(time.RFC3339), jsonString("b "+all), recent)
	case "error body":
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader([]int{http.StatusInternalServerError, http.StatusBadRequest, http.StatusNotFound, http.StatusBadGateway}[int(n-1)%4])
		fmt.Fprint(w, `{"error":"`+strings.Join(window(6), `","`)+`"}`)
	case "next link":
		switch h.pageOnes.Add(1) {
		case 1: // on the endpoint's origin, the forms in its path and query
			fmt.Fprintf(w, `{"action_logs":[{"id":1,"created_at":%q}],"meta":{"next_page":%s}}`, recent, jsonString(h.srv.URL+link()))
		case 2: // another origin, named after the key
			host := strings.ToLower(strings.Trim(strings.Map(func(c rune) rune {
				if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
					return c
				}
				return '-'
			}, forms[1]), "-"))
			fmt.Fprintf(w, `{"action_logs":[],"meta":{"next_page":%s}}`, jsonString("http://"+host+".example.invalid/x"))
		default: // the endpoint's origin, with the credential as userinfo
			u, _ := url.Parse(h.srv.URL + "/api/v1/actions/1001/logs?page=2")
			u.User = url.UserPassword("user", forms[1])
			fmt.Fprintf(w, `{"action_logs":[],"meta":{"next_page":%s}}`, jsonString(u.String()))
		}
	case "link header":
		if h.pageOnes.Add(1) == 1 {
			w.Header().Set("Link", "<"+link()+`>; rel="next"`)
		}
		fmt.Fprintf(w, `{"action_logs":[{"id":1,"created_at":%q}]}`, recent)
	}
}

// canaries is what must appear nowhere: the raw credentials and every form
// the server sent them back in.
func (h *hostileAPI) canaries() []string {
	out := []string{hostileKey, hostilePassword, hostileClientSecret, hostileTokenPrefix}
	h.mu.Lock()
	defer h.mu.Unlock()
	for f := range h.forms {
		out = append(out, f)
	}
	return out
}

func hostileConfig(h *hostileAPI, auth string) *Config {
	spec, err := apispec.Builtin("tines_action_logs")
	if err != nil {
		panic(err)
	}
	spec.Streams.Key = ""
	spec.Pagination.Type = apispec.PaginationNextURL
	if h.scenario == "link header" {
		spec.Pagination.Type, spec.Pagination.NextPath = apispec.PaginationLinkHeader, ""
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API = apispec.Custom
	cfg.Custom = spec
	cfg.ClientConfig.Endpoint = h.srv.URL
	cfg.StreamIDs = []string{"1001"}
	cfg.PageSize = 5
	cfg.CollectionInterval = time.Second
	cfg.StartAt = "-2h"
	cfg.BackOff = configretry.BackOffConfig{Enabled: false}
	cfg.RateLimit.RequestsPerMinute, cfg.RateLimit.Burst = 6000, 100
	switch auth {
	case "bearer":
		cfg.APIKey = hostileKey
	case "basic":
		spec.Auth = apispec.Auth{Type: apispec.AuthBasic}
		cfg.Username, cfg.Password = hostileUser, hostilePassword
	case "oauth2":
		spec.Auth = apispec.Auth{Type: apispec.AuthOAuth2, TokenPath: "/oidc/token"}
		cfg.ClientID, cfg.ClientSecret, cfg.Resource = "app", hostileClientSecret, "https://api.example/api"
	}
	return cfg
}

// No credential, in any form a server hands it back in, reaches a log line
// (at debug level, message and fields), an error or a component status,
// whatever part of an answer the receiver quotes; and the status carries no
// content of the answer at all.
func TestHostileServerReflectingCredentials(t *testing.T) {
	scenarios := map[string]struct {
		requests int64  // API requests to wait for
		logged   string // a log message the scenario must have produced
		ok       bool   // the stream does not fail: no status to check
	}{
		"top-level keys": {requests: 3, logged: "Poll failed"},
		"record time":    {requests: 20, logged: "Skipped records without a usable id or event time", ok: true}, // one page per form
		"record id":      {requests: 2, logged: "out of the declared order", ok: true},                          // delivered, and warned about with both ids
		"error body":     {requests: 4, logged: "Poll failed"},
		"next link":      {requests: 5, logged: "Poll failed"},
		"link header":    {requests: 3, logged: "Poll failed"},
	}
	for name, sc := range scenarios {
		for _, auth := range []string{"bearer", "basic", "oauth2"} {
			t.Run(name+"/"+auth, func(t *testing.T) {
				t.Parallel()
				h := newHostileAPI(t, name)
				core, logs := zapobserver.New(zapcore.DebugLevel)
				set := nopSettings()
				set.Logger = zap.New(core)
				host := &statusHost{Host: componenttest.NewNopHost()}
				rcv := newTestReceiver(t, set, hostileConfig(h, auth), &consumertest.LogsSink{})
				require.NoError(t, rcv.Start(context.Background(), host))
				require.Eventually(t, func() bool { return h.api.Load() >= sc.requests }, 20*time.Second, 20*time.Millisecond)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				require.NoError(t, rcv.Shutdown(ctx))

				require.NotZero(t, logs.FilterMessageSnippet(sc.logged).Len(), "the scenario must reach the path that quotes the answer")
				var texts []string
				redacted := false
				for _, e := range logs.All() {
					text := e.Message + " " + fmt.Sprint(e.ContextMap())
					texts = append(texts, text)
					redacted = redacted || strings.Contains(text, "[REDACTED]")
				}
				assert.True(t, redacted, "the answer's reflections reached the log, redacted")
				statuses := 0
				for _, ev := range host.snapshot() {
					if ev.Err() == nil {
						continue
					}
					statuses++
					msg := ev.Err().Error()
					texts = append(texts, msg)
					assert.NotContains(t, msg, "[REDACTED]", "a status quotes no answer, redacted or not: %s", msg)
					assert.NotContains(t, msg, "body", msg)
				}
				assert.Equal(t, sc.ok, statuses == 0)
				for _, text := range texts {
					lower := strings.ToLower(text)
					for _, c := range h.canaries() {
						if !assert.NotContains(t, lower, strings.ToLower(c), "in %q", text) {
							return
						}
					}
					// Nor any part of a credential that a cut left behind.
					for _, secret := range []string{hostileKey, hostilePassword, hostileClientSecret} {
						for i := 0; i+10 <= len(secret); i++ {
							if !assert.NotContains(t, lower, strings.ToLower(secret[i:i+10]), "in %q", text) {
								return
							}
						}
					}
					assert.NotContains(t, lower, "bearer ", text)
				}
			})
		}
	}
}
