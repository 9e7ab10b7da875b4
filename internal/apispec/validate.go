package apispec

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// ValidateAt checks the spec and returns every problem at once; each names
// the YAML key under prefix ("custom.records.id_field"; "" for a spec file).
//
// Spec has no Validate method on purpose: the collector validates every
// field of a component configuration that has one, and the receiver already
// validates its `custom` spec with the "custom." prefix, so each problem
// would be reported twice.
func (s *Spec) ValidateAt(prefix string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%q %s", prefix+key, fmt.Sprintf(format, args...)))
	}
	errs = append(errs, s.Request.validate(prefix+"request")...)
	if s.TimeFilter != nil {
		if !ValidTimeFormat(s.TimeFilter.Format) {
			bad("time_filter.format", "must be one of %s or layout:<Go layout>, got %q", strings.Join(TimeFormats(), ", "), s.TimeFilter.Format)
		}
		if s.TimeFilter.MaxWindow < 0 {
			bad("time_filter.max_window", "must not be negative")
		}
		errs = append(errs, s.TimeFilter.zeros.problems(prefix+"time_filter.", reflect.TypeFor[TimeFilter]())...)
	}
	errs = append(errs, s.Pagination.validate(prefix+"pagination")...)
	errs = append(errs, s.validateFormat(prefix)...)
	r := s.Records
	if r.Order != OrderNewestFirst && r.Order != OrderOldestFirst {
		bad("records.order", "must be %q or %q, got %q", OrderNewestFirst, OrderOldestFirst, r.Order)
	}
	if r.Order == OrderOldestFirst && s.TimeFilter == nil && s.Resume == nil {
		bad("records.order", "%q needs a time_filter or resume: without either the engine must walk newest first down to its cursor", OrderOldestFirst)
	}
	errs = append(errs, s.validateResume(prefix)...)
	errs = append(errs, r.validateID(prefix+"records.")...)
	if r.TimeField == "" {
		bad("records.time_field", "is required: the cursor follows event time")
	}
	if !ValidTimeFormat(r.TimeFormat) {
		bad("records.time_format", "must be one of %s or layout:<Go layout>, got %q", strings.Join(TimeFormats(), ", "), r.TimeFormat)
	}
	for i, f := range r.TimeFallbackFields {
		key := fmt.Sprintf("records.time_fallback_fields[%d]", i)
		switch {
		case f == "":
			bad(key, "must not be empty")
		case f == r.TimeField:
			bad(key, "repeats records.time_field %q", f)
		case slices.Contains(r.TimeFallbackFields[:i], f):
			bad(key, "repeats %q", f)
		}
	}
	if r.TimePrecision <= 0 {
		bad("records.time_precision", "must be positive (1s, 1ms, ...)")
	}
	for i, rule := range s.Severity.Rules {
		key := fmt.Sprintf("severity.rules[%d]", i)
		if rule.Field == "" {
			bad(key+".field", "is required")
		}
		if rule.Severity == "" {
			bad(key+".severity", "is required")
		}
		if rule.Min != nil && rule.Max != nil && *rule.Min > *rule.Max {
			bad(key, "min is greater than max")
		}
	}
	errs = append(errs, s.Auth.zeros.problems(prefix+"auth.", reflect.TypeFor[Auth]())...)
	if len(s.Auth.EndpointParams) > 0 && s.Auth.Type != AuthOAuth2 {
		bad("auth.endpoint_params", "only applies when auth.type is %s", AuthOAuth2)
	}
	switch s.Auth.Type {
	case "", AuthNone, AuthBearer, AuthBasic:
	case AuthScheme:
		if s.Auth.Scheme == "" {
			bad("auth.scheme", "is required when auth.type is %q", AuthScheme)
		}
	case AuthHeader:
		if s.Auth.Header == "" {
			bad("auth.header", "is required when auth.type is %q", AuthHeader)
		}
	case AuthOAuth2:
		if s.Auth.Resource != "" && s.Auth.ResourcePath != "" {
			bad("auth.resource", "and auth.resource_path are exclusive")
		}
		if _, err := ParseTemplate(s.Auth.Resource); err != nil {
			bad("auth.resource", "%v", err)
		}
	default:
		bad("auth.type", "must be one of none, bearer, scheme, basic, header, %s; got %q", AuthOAuth2, s.Auth.Type)
	}
	if d := s.Streams.Discover; d != nil {
		errs = append(errs, d.Request.validate(prefix+"streams.discover.request")...)
		errs = append(errs, d.Pagination.validate(prefix+"streams.discover.pagination")...)
		if d.IDField == "" {
			bad("streams.discover.id_field", "is required")
		}
		errs = append(errs, d.zeros.problems(prefix+"streams.discover.", reflect.TypeFor[Discover]())...)
	}
	errs = append(errs, r.validateMessage(prefix+"records.", s.Enrich)...)
	if u := r.Unfinished; u != nil {
		if u.Field == "" {
			bad("records.unfinished.field", "is required")
		}
		if len(u.Values) == 0 {
			bad("records.unfinished.values", "needs at least one value")
		}
	}
	if e := s.Enrich; e != nil {
		errs = append(errs, e.Request.validate(prefix+"enrich.request")...)
		if e.Field == "" {
			bad("enrich.field", "is required")
		}
		if e.MaxPerPoll <= 0 {
			bad("enrich.max_per_poll", "must be positive: the extra requests one poll of one stream may spend (0 would enrich nothing)")
		}
		for _, key := range slices.Sorted(maps.Keys(e.Attributes)) {
			if !dottedPath(key) {
				bad("enrich.attributes", "key must be a dotted path without empty segments, got %q", key)
			}
		}
	}
	if s.RequestsPerMinute < 0 {
		bad("requests_per_minute", "must not be negative")
	}
	for _, name := range slices.Sorted(maps.Keys(s.Options)) {
		key := "options." + name
		switch {
		case !optionName.MatchString(name):
			bad(key, "must be lower case letters, digits and '_', starting with a letter")
		case IsEngineVar(name):
			bad(key, "is a variable the engine fills (%s)", strings.Join(EngineVars(), ", "))
		}
		if !slices.Contains(OptionTypes(), s.Options[name].Type) {
			bad(key+".type", "must be one of %s; got %q", strings.Join(OptionTypes(), ", "), s.Options[name].Type)
		}
	}
	if opt, ok := s.Options[s.Streams.Key]; ok && !opt.IsList() {
		bad("streams.key", "names option %q, which must be a list (%s or %s) to hold stream ids", s.Streams.Key, OptionIntList, OptionStringList)
	}
	if s.DefaultEndpoint != "" {
		if u, err := url.Parse(s.DefaultEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
			bad("default_endpoint", "must be an http or https URL with a host and no credentials or query, got %q", s.DefaultEndpoint)
		}
	}
	if e := s.EndpointExample; e != "" && !strings.HasPrefix(e, "https://") && !strings.HasPrefix(e, "http://") {
		bad("endpoint_example", "must start with https:// or http://, got %q", e)
	}
	if h := s.EndpointHost; h != "" {
		if _, err := CompileHostPattern(h); err != nil {
			bad("endpoint_host", "%v", err)
		}
	}
	return errors.Join(errs...)
}

// headerName is the form of an HTTP header name (an RFC 9110 token).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// optionName is the form of an option key: a receiver configuration key.
var optionName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func (r Request) validate(prefix string) []error {
	var errs []error
	switch r.Method {
	case "", http.MethodGet, http.MethodPost:
	default:
		errs = append(errs, fmt.Errorf("%q must be GET or POST, got %q", prefix+".method", r.Method))
	}
	if !strings.HasPrefix(r.Path, "/") {
		errs = append(errs, fmt.Errorf("%q must start with \"/\", got %q", prefix+".path", r.Path))
	}
	check := func(key, s string) {
		if _, err := ParseTemplate(s); err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", key, err))
		}
	}
	errs = append(errs, r.zeros.problems(prefix+".", reflect.TypeFor[Request]())...)
	check(prefix+".path", r.Path)
	check(prefix+".body", r.Body)
	for _, k := range slices.Sorted(maps.Keys(r.Query)) {
		vals := r.Query[k] // an empty list, like a null, sends nothing
		for i, v := range vals {
			key := prefix + ".query." + k
			if len(vals) > 1 {
				key = fmt.Sprintf("%s[%d]", key, i)
			}
			check(key, v)
		}
	}
	for k, v := range r.Header {
		check(prefix+".headers."+k, v)
	}
	return errs
}

func (p Pagination) validate(prefix string) []error {
	var errs []error
	switch p.Type {
	case PaginationPage, PaginationOffset, PaginationLinkHeader, PaginationNone:
	case PaginationNextURL, PaginationCursor:
		if p.NextPath == "" {
			errs = append(errs, fmt.Errorf("%q is required when %q is %q", prefix+".next_path", prefix+".type", p.Type))
		}
	default:
		errs = append(errs, fmt.Errorf("%q must be one of page, offset, next_url, link_header, cursor, none; got %q", prefix+".type", p.Type))
	}
	if p.HasMorePath != "" {
		switch {
		case p.Type != PaginationNextURL && p.Type != PaginationCursor:
			errs = append(errs, fmt.Errorf("%q applies to next_url and cursor pagination only (page and offset read next_path as their \"has more\" signal); %q is %q",
				prefix+".has_more_path", prefix+".type", p.Type))
		case !dottedPath(p.HasMorePath):
			errs = append(errs, fmt.Errorf("%q must be a dotted path without empty segments, got %q", prefix+".has_more_path", p.HasMorePath))
		}
	}
	if h := p.TotalHeader; h != "" && !headerName.MatchString(h) {
		errs = append(errs, fmt.Errorf("%q must be an HTTP header name, got %q", prefix+".total_header", h))
	}
	if p.MaxPageSize < 0 || p.DefaultPageSize < 0 {
		errs = append(errs, fmt.Errorf("%q and %q must not be negative", prefix+".max_page_size", prefix+".default_page_size"))
	}
	if p.FirstPage != nil && *p.FirstPage < 0 {
		errs = append(errs, fmt.Errorf("%q must not be negative, got %d", prefix+".first_page", *p.FirstPage))
	}
	errs = append(errs, p.zeros.problems(prefix+".", reflect.TypeFor[Pagination]())...)
	if p.MaxPageSize > 0 && p.DefaultPageSize > p.MaxPageSize {
		errs = append(errs, fmt.Errorf("%q must not exceed %q", prefix+".default_page_size", prefix+".max_page_size"))
	}
	return errs
}

// eventName is the form of records.event_name: OpenTelemetry event names
// are namespaced lower-case words ("tines.audit_log").
var eventName = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)

// dottedPath reports whether p is a dotted path without empty segments.
func dottedPath(p string) bool {
	return p != "" && !slices.Contains(strings.Split(p, "."), "")
}

// ReceiverAttribute reports whether name is a log record attribute the
// receiver itself sets (log.record.uid, api_logs.*), which a record's
// namespace must not shadow and a message part may read.
func ReceiverAttribute(name string) bool {
	return name == "log.record.uid" || name == "api_logs" || strings.HasPrefix(name, "api_logs.")
}

// validateMessage checks records.message, records.event_name and
// records.attributes_namespace; enrich is the spec's, whose keys
// message parts may name.
func (r Records) validateMessage(prefix string, enrich *Enrich) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%q %s", prefix+key, fmt.Sprintf(format, args...)))
	}
	if r.EventName != "" && !eventName.MatchString(r.EventName) {
		bad("event_name", "must be lower-case words joined by dots, such as tines.audit_log; got %q", r.EventName)
	}
	if ns := r.AttributesNamespace; ns != nil {
		switch {
		case strings.TrimSpace(*ns) == "":
			bad("attributes_namespace", "must not be empty: the record's fields go in one map under this attribute (default %q)", DefaultAttributesNamespace)
		case !dottedPath(*ns) || strings.TrimSpace(*ns) != *ns:
			bad("attributes_namespace", "must be a dotted name without empty segments or surrounding spaces, such as acme or acme.audit; got %q", *ns)
		case ReceiverAttribute(*ns):
			bad("attributes_namespace", "must not be log.record.uid or start with api_logs: the receiver sets those attributes; got %q", *ns)
		}
	}
	if len(r.Message) == 0 {
		return errs
	}
	if r.BodyField != "" {
		bad("message", "and %sbody_field are exclusive: with a message the body is the message and the fields are attributes", prefix)
	}
	if len(r.Message) > MaxMessageParts {
		bad("message", "has %d parts; at most %d", len(r.Message), MaxMessageParts)
	}
	for i, p := range r.Message {
		key := fmt.Sprintf("message[%d]", i)
		n := 0
		for _, set := range []bool{p.Field != "", p.Enriched != "", p.Attribute != "", p.Var != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			bad(key, "must name exactly one of field, enriched, attribute or var")
		}
		if p.Field != "" && !dottedPath(p.Field) {
			bad(key+".field", "must be a dotted path without empty segments, got %q", p.Field)
		}
		if p.Enriched != "" {
			keys := enrich.attributes()
			if _, ok := keys[p.Enriched]; !ok && len(keys) == 0 {
				bad(key+".enriched", "must be a key of enrich.attributes, and the spec enriches nothing; got %q", p.Enriched)
			} else if !ok {
				bad(key+".enriched", "must be a key of enrich.attributes (%s); got %q", strings.Join(slices.Sorted(maps.Keys(keys)), ", "), p.Enriched)
			}
		}
		if p.Attribute != "" && (!ReceiverAttribute(p.Attribute) || p.Attribute == "api_logs.message") {
			bad(key+".attribute", "must be an attribute the receiver sets (log.record.uid, api_logs.*, not api_logs.message); "+
				"the record's fields are read with field, what enrichment read with enriched; got %q", p.Attribute)
		}
		if p.Var != "" && !slices.Contains(MessageVars(), p.Var) {
			bad(key+".var", "must be one of %s; got %q", strings.Join(MessageVars(), ", "), p.Var)
		}
	}
	return errs
}

// attributes is e's attributes; none without enrichment.
func (e *Enrich) attributes() map[string]string {
	if e == nil {
		return nil
	}
	return e.Attributes
}
