package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Fault kinds.
const (
	Fault429Seconds   = "429_seconds"   // 429 + Retry-After: <seconds>
	Fault429Date      = "429_date"      // 429 + Retry-After: <HTTP-date>
	Fault429RateLimit = "429_ratelimit" // 429 + X-RateLimit-Remaining: 0 + X-RateLimit-Reset: <epoch s>
	Fault500          = "500"
	Fault502          = "502"
	Fault503          = "503"
	FaultSlow         = "slow"          // hang for Slow, then answer normally
	FaultTruncated    = "truncated"     // cut the JSON body in half
	FaultHTML         = "html"          // 200 text/html error page
	FaultForeignNext  = "foreign_next"  // next link points at the foreign origin
	FaultUserinfoNext = "userinfo_next" // next link on the request's own origin, with UserinfoNext as userinfo
	FaultTokenExpiry  = "token_expiry"  // Logto: the presented token is expired (401)
	FaultNone         = "none"          // clears every fault
)

// middlewareKinds are applied before the handler runs; the other kinds are
// consumed where they matter (link building, token checks).
var middlewareKinds = []string{Fault429Seconds, Fault429Date, Fault429RateLimit, Fault500, Fault502, Fault503, FaultSlow, FaultTruncated, FaultHTML}

// Fault injects failures. With Count > 0 it fires on at most Count matching
// requests; with Probability > 0 each matching request fires with that chance
// (drawn deterministically from the seed); with neither it fires on every request.
type Fault struct {
	Kind        string
	Probability float64
	Count       int
	API         string        // empty: every log API (not the Logto token or Make scenario list endpoints)
	Slow        time.Duration // for "slow" (default 2s)
	RetryAfter  time.Duration // for 429 kinds (default 1s)
}

type faultWire struct {
	Kind        string          `json:"kind"`
	Probability float64         `json:"probability,omitempty"`
	Count       int             `json:"count,omitempty"`
	API         string          `json:"api,omitempty"`
	Slow        json.RawMessage `json:"slow,omitempty"`
	RetryAfter  json.RawMessage `json:"retry_after,omitempty"`
}

// parseDur accepts "2s"-style strings or numbers of seconds.
func parseDur(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return time.ParseDuration(s)
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, errors.New("duration must be a string like \"2s\" or a number of seconds")
	}
	return time.Duration(f * float64(time.Second)), nil
}

// UnmarshalJSON reads the control API form: durations as "2s" strings or seconds.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var w faultWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	slow, err := parseDur(w.Slow)
	if err != nil {
		return fmt.Errorf("slow: %w", err)
	}
	ra, err := parseDur(w.RetryAfter)
	if err != nil {
		return fmt.Errorf("retry_after: %w", err)
	}
	*f = Fault{Kind: w.Kind, Probability: w.Probability, Count: w.Count, API: w.API, Slow: slow, RetryAfter: ra}
	return nil
}

// MarshalJSON writes the control API form.
func (f Fault) MarshalJSON() ([]byte, error) {
	w := map[string]any{"kind": f.Kind}
	if f.Probability > 0 {
		w["probability"] = f.Probability
	}
	if f.Count > 0 {
		w["count"] = f.Count
	}
	if f.API != "" {
		w["api"] = f.API
	}
	if f.Slow > 0 {
		w["slow"] = f.Slow.String()
	}
	if f.RetryAfter > 0 {
		w["retry_after"] = f.RetryAfter.String()
	}
	return json.Marshal(w)
}

type activeFault struct {
	Fault
	remaining int // only meaningful when Count > 0
}

type faultSet struct {
	mu     sync.Mutex
	rng    *rand.Rand
	active []*activeFault
}

func newFaultSet(seed int64) *faultSet {
	return &faultSet{rng: rand.New(rand.NewSource(seed ^ 0xfa17))}
}

func validKind(k string) bool {
	return slices.Contains(middlewareKinds, k) || k == FaultForeignNext || k == FaultUserinfoNext || k == FaultTokenExpiry || k == FaultNone
}

func (fs *faultSet) set(f Fault) error {
	if !validKind(f.Kind) {
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	if f.Probability < 0 || f.Probability > 1 {
		return errors.New("probability must be between 0 and 1")
	}
	if f.API != "" && !slices.Contains(recordAPIs(), f.API) && f.API != apiLogtoToken && f.API != apiMakeScenarios {
		return fmt.Errorf("unknown api %q", f.API)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f.Kind == FaultNone {
		fs.active = nil
		return nil
	}
	if f.Slow <= 0 {
		f.Slow = 2 * time.Second
	}
	if f.RetryAfter <= 0 {
		f.RetryAfter = time.Second
	}
	fs.active = append(fs.active, &activeFault{Fault: f, remaining: f.Count})
	return nil
}

func (fs *faultSet) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.active))
	for _, a := range fs.active {
		f := a.Fault
		if f.Count > 0 {
			f.Count = a.remaining
		}
		out = append(out, f)
	}
	return out
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	fs.active = nil
	fs.mu.Unlock()
}

// draw returns the first active fault of one of kinds that fires for api.
func (fs *faultSet) draw(api string, kinds ...string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, a := range fs.active {
		if !slices.Contains(kinds, a.Kind) {
			continue
		}
		if a.API == "" && !slices.Contains(recordAPIs(), api) || a.API != "" && a.API != api {
			continue
		}
		if a.Probability > 0 && fs.rng.Float64() >= a.Probability {
			continue
		}
		if a.Count > 0 {
			a.remaining--
			if a.remaining <= 0 {
				fs.active = slices.Delete(fs.active, i, i+1)
			}
		}
		return a.Fault, true
	}
	return Fault{}, false
}

// SetFault activates a fault (kind "none" clears all).
func (s *Simulator) SetFault(f Fault) error { return s.faults.set(f) }

// ClearFaults removes every active fault.
func (s *Simulator) ClearFaults() { s.faults.clear() }

// Faults lists the active faults with their remaining counts.
func (s *Simulator) Faults() []Fault { return s.faults.list() }

func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(int(math.Max(1, math.Ceil(d.Seconds()))))
}

// applyFault answers the request for the response-replacing kinds and returns
// true; for slow it waits and returns false so the handler still runs.
func (s *Simulator) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case Fault429Seconds:
		w.Header().Set("Retry-After", retryAfterSeconds(f.RetryAfter))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": "Too Many Requests", "message": "Rate limit exceeded, please retry later."})
	case Fault429Date:
		// HTTP-dates have second precision: round up so the client never waits too little.
		at := time.Now().Add(f.RetryAfter).Add(time.Second - 1).Truncate(time.Second)
		w.Header().Set("Retry-After", at.UTC().Format(http.TimeFormat))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": "Too Many Requests"})
	case Fault429RateLimit:
		reset := time.Now().Add(f.RetryAfter).Add(time.Second - 1).Truncate(time.Second)
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": "Too Many Requests"})
	case Fault500, Fault502, Fault503:
		code, _ := strconv.Atoi(f.Kind)
		writeJSON(w, code, map[string]any{"error": http.StatusText(code)})
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<!DOCTYPE html>\n<html><head><title>Service temporarily unavailable</title></head>" +
			"<body><h1>We'll be right back</h1><p>The service is under maintenance.</p></body></html>\n"))
	case FaultSlow:
		s.sleep(r.Context(), f.Slow)
		return false
	default:
		return false
	}
	return true
}

// serveTruncated runs h into a buffer and sends only the first half of the body,
// with a 200 and a JSON content type, as a proxy cutting the stream would.
func serveTruncated(w http.ResponseWriter, r *http.Request, h http.HandlerFunc) {
	bw := newBufferWriter()
	h(bw, r)
	for k, v := range bw.header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	body := bw.buf.Bytes()
	w.WriteHeader(bw.code)
	_, _ = w.Write(body[:len(body)/2])
}

// UserinfoNext is the userinfo of the links a userinfo_next fault builds.
const UserinfoNext = "link-user:link-pass"

// linkBase is where a next link points: normally the request's origin, the
// foreign origin when a foreign_next fault fires (consumed only when a link is built).
func (s *Simulator) linkBase(r *http.Request) string {
	if _, ok := s.faults.draw(infoFrom(r).api, FaultForeignNext); ok {
		return s.foreign.url
	}
	if _, ok := s.faults.draw(infoFrom(r).api, FaultUserinfoNext); ok {
		return "http://" + UserinfoNext + "@" + r.Host
	}
	return requestBase(r)
}
