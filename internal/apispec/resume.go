package apispec

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// Resume sources: what of the last answer a stream continues from.
const (
	// ResumeNext stores the next position of the last page read: the
	// cursor at pagination.next_path (cursor pagination) or the next link
	// (next_url, link_header).
	ResumeNext = "next"
	// ResumeLastID stores the id of the last record read, rendered as
	// {{last_id}} (an events feed polled "after the last id").
	ResumeLastID = "last_id"
)

// ResumeFroms lists the values of resume.from.
func ResumeFroms() []string { return []string{ResumeNext, ResumeLastID} }

// Resume says that a stream continues from a position the server gave
// rather than from a time: every walk but the first starts where the last
// one stopped, so an idle poll costs one request where the API allows.
type Resume struct {
	From string `mapstructure:"from"`
	// RefusedStatuses are the HTTP statuses with which the API refuses a
	// stored position (an expired cursor, a deleted record's id): the
	// stream then starts again with the spec's first request from the time
	// of the last record delivered, skipping the ids it kept. Absent:
	// DefaultRefusedStatuses; written empty: a refusal is an error like any
	// other, and the stream retries the same position.
	RefusedStatuses []int `mapstructure:"refused_statuses"`

	zeros explicitZeros // keys written with a zero value (explicit.go)
}

// DefaultRefusedStatuses are the answers APIs give to a cursor or id they
// no longer know: 400 (Okta's invalid "after"), 404 and 410 (Gone).
func DefaultRefusedStatuses() []int {
	return []int{http.StatusBadRequest, http.StatusNotFound, http.StatusGone}
}

// Refuses reports whether status means the API refused a stored position.
func (r *Resume) Refuses(status int) bool {
	if r == nil {
		return false
	}
	if r.RefusedStatuses == nil && !slices.Contains(r.zeros, "refused_statuses") {
		return slices.Contains(DefaultRefusedStatuses(), status)
	}
	return slices.Contains(r.RefusedStatuses, status)
}

// Continue is the query and/or body of every request that continues from
// a position the server gave ({{cursor}}, {{last_id}}): the pages after the
// first of a walk, and every request of a walk that resumes. A key left out
// is the request's own. The spec's own query and body are then only those
// of the first request of all (1Password: a "ResetCursor" body with
// start_time first, a body with the cursor alone after).
type Continue struct {
	Query map[string]QueryValues `mapstructure:"query"`
	Body  string                 `mapstructure:"body"`

	zeros explicitZeros // keys written with a zero value (explicit.go)
}

// Continued is r with the query and body of its Continue, where set.
func (r Request) Continued() Request {
	c := r.Continue
	if c == nil {
		return r
	}
	if c.Query != nil {
		r.Query = c.Query
	}
	if c.Body != "" {
		r.Body = c.Body
	}
	r.Continue = nil
	return r
}

// keyedTemplates lists every template of r with its key under prefix
// ("custom.request.query.after_id"), its continue's included.
func (r Request) keyedTemplates(prefix string) [][2]string {
	out := [][2]string{{prefix + ".path", r.Path}, {prefix + ".body", r.Body}}
	query := func(prefix string, q map[string]QueryValues) {
		for _, k := range slices.Sorted(maps.Keys(q)) {
			for _, v := range q[k] {
				out = append(out, [2]string{prefix + ".query." + k, v})
			}
		}
	}
	query(prefix, r.Query)
	for _, k := range slices.Sorted(maps.Keys(r.Header)) {
		out = append(out, [2]string{prefix + ".headers." + k, r.Header[k]})
	}
	if c := r.Continue; c != nil {
		out = append(out, [2]string{prefix + ".continue.body", c.Body})
		query(prefix+".continue", c.Query)
	}
	return out
}

// uses returns the first key of r whose template names the placeholder name.
func (r Request) uses(prefix, name string) (string, bool) {
	for _, kv := range r.keyedTemplates(prefix) {
		t, err := ParseTemplate(kv[1])
		if err == nil && slices.Contains(t.Names(), name) {
			return kv[0], true
		}
	}
	return "", false
}

// validateResume checks resume and request.continue against the rest of
// the spec: combinations that cannot work are refused by name.
func (s *Spec) validateResume(prefix string) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%q %s", prefix+key, fmt.Sprintf(format, args...)))
	}
	pag := s.Pagination.Type
	from := ""
	if r := s.Resume; r != nil {
		from = r.From
		if !slices.Contains(ResumeFroms(), r.From) {
			bad("resume.from", "must be one of %s; got %q", strings.Join(ResumeFroms(), ", "), r.From)
		}
		switch {
		case r.From == ResumeNext && pag != PaginationNextURL && pag != PaginationLinkHeader && pag != PaginationCursor:
			bad("resume.from", "next stores the next position of the last page read, which pagination.type %q does not give: use cursor, next_url or link_header (or resume.from last_id)", pag)
		case r.From == ResumeLastID && pag != PaginationNone:
			bad("resume.from", "last_id continues every page from the id of the last record read: pagination.type must be none (got %q); pagination.next_path may name a \"has more\" flag", pag)
		}
		if s.Records.Order != OrderOldestFirst {
			bad("records.order", "must be %q with resume: a position the server gives leads to newer records only in an oldest-first feed; got %q", OrderOldestFirst, s.Records.Order)
		}
		if s.TimeFilter != nil && s.TimeFilter.MaxWindow != 0 {
			bad("time_filter.max_window", "does not apply with resume: a walk from the server's position has no time window")
		}
		if s.Records.Unfinished != nil {
			bad("records.unfinished", "does not apply with resume: a record held back is read again by time, and a walk from the server's position does not go back")
		}
		if s.Records.UnstableTies {
			bad("records.unstable_ties", "does not apply with resume: it lowers a time window's bound, and a walk from the server's position has none")
		}
		if key, ok := s.Request.uses(prefix+"request", VarWindowEnd); ok {
			bad(strings.TrimPrefix(key, prefix), "uses {{%s}}, which a walk from the server's position does not have: the first request reads everything from {{%s}} on", VarWindowEnd, VarWindowStart)
		}
		for i, st := range r.RefusedStatuses {
			switch {
			case st < 400 || st > 499:
				bad(fmt.Sprintf("resume.refused_statuses[%d]", i), "must be a 4xx status (a 5xx is retried as a failure of the server); got %d", st)
			case st == http.StatusUnauthorized || st == http.StatusForbidden || st == http.StatusRequestTimeout || st == http.StatusTooManyRequests:
				bad(fmt.Sprintf("resume.refused_statuses[%d]", i), "must not be %d: that status says something else than a refused position", st)
			}
		}
	}
	if from != ResumeLastID {
		if key, ok := s.Request.uses(prefix+"request", VarLastID); ok {
			bad(strings.TrimPrefix(key, prefix), "uses {{%s}}, which only resume.from %s fills", VarLastID, ResumeLastID)
		}
	}
	if c := s.Request.Continue; c != nil {
		errs = append(errs, c.zeros.problems(prefix+"request.continue.", reflect.TypeFor[Continue]())...)
		if c.Query == nil && c.Body == "" && len(c.zeros) == 0 {
			bad("request.continue", "must set query or body: the request that continues from the server's position")
		}
		if pag != PaginationCursor && from != ResumeLastID {
			bad("request.continue", "applies where a request continues from a position the server gave: pagination.type cursor ({{cursor}}) or resume.from last_id ({{last_id}}); pagination.type %q continues without a template", pag)
		}
		check := func(key, v string) {
			if _, err := ParseTemplate(v); err != nil {
				bad(key, "%v", err)
			}
		}
		check("request.continue.body", c.Body)
		for _, k := range slices.Sorted(maps.Keys(c.Query)) {
			for _, v := range c.Query[k] {
				check("request.continue.query."+k, v)
			}
		}
	}
	for _, other := range []struct {
		key string
		r   *Request
	}{{"streams.discover.request", discoverRequest(s)}, {"enrich.request", enrichRequest(s)}} {
		key, r := other.key, other.r
		if r == nil {
			continue
		}
		if r.Continue != nil {
			bad(key+".continue", "applies to the log request only (request.continue)")
		}
		if k, ok := r.uses(prefix+key, VarLastID); ok {
			bad(strings.TrimPrefix(k, prefix), "uses {{%s}}, which only the log request has", VarLastID)
		}
	}
	return errs
}

func discoverRequest(s *Spec) *Request {
	if s.Streams.Discover == nil {
		return nil
	}
	return &s.Streams.Discover.Request
}

func enrichRequest(s *Spec) *Request {
	if s.Enrich == nil {
		return nil
	}
	return &s.Enrich.Request
}
