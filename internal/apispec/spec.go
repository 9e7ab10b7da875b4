// Package apispec describes a log API as data: how to ask for a page, how to walk
// the pages, where the records are and how their fields map to OpenTelemetry.
// The built-in vendors are specs written in YAML (see builtin/); `api: custom`
// users write the same structure in their collector configuration.
package apispec

import "time"

// Spec is one log API. Every string field that ends up in a request may use
// template variables (see Template).
type Spec struct {
	// Request is how one page is asked for.
	Request Request `mapstructure:"request"`
	// TimeFilter, when present, means the API can filter by event time; the
	// engine then polls closed windows. Without it the engine walks the list
	// newest first until it reaches its cursor.
	TimeFilter *TimeFilter `mapstructure:"time_filter"`
	// Pagination is how the engine reaches the next page and knows the last one.
	Pagination Pagination `mapstructure:"pagination"`
	// Resume, when set, makes the place to continue from a value of the
	// server's last answer, stored in the cursor between polls, for APIs
	// that stream by position rather than by time (see resume.go).
	Resume *Resume `mapstructure:"resume"`
	// Records says where the records are in a page and which fields carry the
	// id, the event time and the body.
	Records Records `mapstructure:"records"`
	// Severity maps a record to SeverityNumber and SeverityText.
	Severity Severity `mapstructure:"severity"`
	// Auth is how credentials are sent.
	Auth Auth `mapstructure:"auth"`
	// Streams says how one source fans out into streams (one cursor each).
	Streams Streams `mapstructure:"streams"`
	// Enrich optionally fetches one extra document for some records
	// (Make: the details of a failed execution).
	Enrich *Enrich `mapstructure:"enrich"`
	// RequestsPerMinute is the vendor's documented rate limit for this API,
	// the default of the receiver's client-side budget (0 = unlimited).
	RequestsPerMinute float64 `mapstructure:"requests_per_minute"`
	// MaxRequestsPerMinute is the highest limit the vendor documents on any
	// plan (Make Enterprise: 1000); a configured rate above it is warned
	// about at start.
	MaxRequestsPerMinute float64 `mapstructure:"max_requests_per_minute"`
	// Budget names the request budget this API spends, as the vendor counts
	// it: receivers of one collector whose APIs name the same budget and use
	// the same host and credential share one client-side limit (Make counts
	// all of a token's requests together; Tines counts "actions" and
	// "audit_logs" apart). Empty: each receiver has its own.
	Budget string `mapstructure:"budget"`
	// Options are the receiver configuration keys of this API beyond the
	// common ones (action_ids, team_id, log_key, ...), with their types. The
	// option named by Streams.Key lists the stream ids; every other one is
	// the template variable of the same name. A receiver that sets an option
	// its API does not declare fails validation.
	Options map[string]Option `mapstructure:"options"`
	// DefaultEndpoint is the endpoint when the receiver names none (StackOne
	// has one host for every account).
	DefaultEndpoint string `mapstructure:"default_endpoint"`
	// EndpointExample shows the form of the endpoint in error messages
	// ("https://<tenant>.tines.com").
	EndpointExample string `mapstructure:"endpoint_example"`
	// EndpointHost, when the endpoint's host has this form, gives the
	// placeholders in it their values, unless the receiver sets those
	// options itself: "{{tenant_id}}.logto.app" reads the tenant id of a
	// Logto Cloud endpoint. A placeholder stands for one DNS label; the
	// comparison ignores case.
	EndpointHost string `mapstructure:"endpoint_host"`
}

// Option types: how the receiver configuration writes the value.
const (
	OptionInt        = "int"         // 42
	OptionIntList    = "int_list"    // [1, 2]
	OptionString     = "string"      // abc
	OptionStringList = "string_list" // [a, b]
)

// OptionTypes lists the option types.
func OptionTypes() []string {
	return []string{OptionInt, OptionIntList, OptionString, OptionStringList}
}

// Option is one receiver configuration key of an API.
type Option struct {
	// Type is one of OptionTypes.
	Type string `mapstructure:"type"`
}

// IsList reports whether the option holds several values.
func (o Option) IsList() bool { return o.Type == OptionIntList || o.Type == OptionStringList }

// Request describes the HTTP request for one page. Path, query values,
// header values and the body are templates.
type Request struct {
	Method string `mapstructure:"method"` // GET (default) or POST
	Path   string `mapstructure:"path"`   // appended to the endpoint, e.g. /api/v1/actions/{{stream}}/logs
	// Query maps a parameter to one template or a list of them (QueryValues);
	// a value that renders empty is left out; "{{list:name}}" repeats the
	// parameter once per value of a list option.
	Query  map[string]QueryValues `mapstructure:"query"`
	Header map[string]string      `mapstructure:"headers"`
	Body   string                 `mapstructure:"body"` // JSON template, sent with Content-Type: application/json
	// Continue, when set, is the query and/or body of every request that
	// continues from a position the server gave (see Continue).
	Continue *Continue `mapstructure:"continue"`

	zeros explicitZeros // keys written with a zero value (explicit.go)
}

// TimeFilter describes how the window bounds are rendered into the request
// ({{window_start}}, {{window_end}}).
type TimeFilter struct {
	// Format of the bounds: rfc3339 (second precision), rfc3339_ms,
	// rfc3339_us, rfc3339_nano, unix_s, unix_ms, unix_us, unix_ns, or a Go
	// layout prefixed with "layout:".
	Format string `mapstructure:"format"`
	// MaxWindow slices a long backlog into windows of at most this length, so
	// a backfill is delivered roughly in time order and memory stays bounded.
	MaxWindow time.Duration `mapstructure:"max_window"`

	zeros explicitZeros // keys written with a zero value (explicit.go)
}

// Pagination kinds.
const (
	PaginationPage       = "page"        // {{page}} counts from FirstPage
	PaginationOffset     = "offset"      // {{offset}} = records already read in this walk
	PaginationNextURL    = "next_url"    // the next page's URL is in the body at NextPath
	PaginationLinkHeader = "link_header" // RFC 5988 Link: <...>; rel="next"
	PaginationCursor     = "cursor"      // {{cursor}} is the token found at NextPath
	PaginationNone       = "none"        // one page per request
)

// Pagination describes how pages follow each other and how the last page is
// recognized.
type Pagination struct {
	Type string `mapstructure:"type"`
	// FirstPage is the number of the first page (page kind): absent means
	// DefaultFirstPage, 0 means 0 (APIs that count pages from 0). Use First.
	FirstPage *int `mapstructure:"first_page"`
	// NextPath is where the next URL or cursor is (next_url, cursor), or, for
	// page and offset kinds, an optional "has more" signal: a null, "null",
	// false, empty or missing value there means this is the last page. When
	// it is set the engine trusts it over every count below.
	NextPath string `mapstructure:"next_path"`
	// HasMorePath, for next_url and cursor kinds, is where the body says
	// whether another page follows (meta.has_more), for APIs that keep
	// returning a next link or cursor on their last page: false (or
	// "false", 0) there ends the walk without asking for the page after.
	// Missing or null says nothing: the next link or cursor decides.
	HasMorePath string `mapstructure:"has_more_path"`
	// TotalPath is where the body says how many records the request matches
	// in all (StackOne total, Django REST framework count); TotalHeader is
	// the header that says it (Logto Total-Number; a "<header>-Is-Capped:
	// true" beside it makes it no count). Without a NextPath, a page is the
	// last when the records read in this walk reach the total.
	TotalPath   string `mapstructure:"total_path"`
	TotalHeader string `mapstructure:"total_header"`
	// PageSizePath is where the body echoes the page size the server applied
	// (Make pg.limit, Tines meta.per_page, StackOne query.page_size). Without
	// a NextPath or a total, a page with fewer records than that is the
	// last. A page size the API does not echo proves nothing: servers cap
	// it silently, so without any of these signals only an empty page ends
	// the walk (one more request per walk).
	PageSizePath string `mapstructure:"page_size_path"`
	// EndStatuses are HTTP statuses that mean "past the last page" (Django
	// REST framework answers 404 "Invalid page.").
	EndStatuses []int `mapstructure:"end_statuses"`
	// DefaultPageSize and MaxPageSize bound {{page_size}}; the receiver's
	// page_size defaults to MaxPageSize. Absent means no bound; an
	// explicit 0 is an error (see explicit.go).
	DefaultPageSize int `mapstructure:"default_page_size"`
	MaxPageSize     int `mapstructure:"max_page_size"`

	zeros explicitZeros // keys written with a zero value (explicit.go)
}

// Record orders.
const (
	OrderNewestFirst = "newest_first"
	OrderOldestFirst = "oldest_first"
)

// Records locates records in a page and names their key fields. Field names
// are dotted paths into the record ("payload.result").
type Records struct {
	// Path is the dotted path of the record array in the body; empty means the
	// body itself is the array. A single object there counts as one record.
	Path string `mapstructure:"path"`
	// AltPaths are tried when Path is absent (Make answers scenarioLogs and
	// scenarioLog for the same document).
	AltPaths []string `mapstructure:"alt_paths"`
	Order    string   `mapstructure:"order"`
	// A record's id (log.record.uid, and what deduplicates it) comes from
	// exactly one of IDField (one field), IDFields (several, joined as a
	// JSON array: see RecordID) or ID: "hash" (SHA-256 of the record's
	// canonical JSON), for APIs whose records carry no id.
	IDField  string   `mapstructure:"id_field"`
	IDFields []string `mapstructure:"id_fields"`
	ID       string   `mapstructure:"id"`
	// TimeField holds the event time, in TimeFormat (same names as
	// TimeFilter.Format, plus "rfc3339" accepting any fraction and offset).
	TimeField string `mapstructure:"time_field"`
	// TimeFallbackFields are read in order when TimeField is missing or
	// null (StackOne: start_time, then end_time, since event_time is
	// nullable); the first one present and not null is the record's time,
	// in TimeFormat. A record with none of them is invalid. A field that is
	// present but not a time makes the record invalid too: it is not a
	// reason to read the next.
	TimeFallbackFields []string `mapstructure:"time_fallback_fields"`
	TimeFormat         string   `mapstructure:"time_format"`
	// TimePrecision is the resolution of the API's timestamps (Tines: 1s).
	// Windows overlap by one unit so inclusive and exclusive filters both work.
	TimePrecision time.Duration `mapstructure:"time_precision"`
	// UnstableTies says that records sharing a timestamp come back in a
	// different order on every request (Logto: no tie-breaker). Page numbers
	// then cannot be trusted across a tie, so the engine walks a window by
	// lowering its upper bound to the last timestamp read instead.
	UnstableTies bool `mapstructure:"unstable_ties"`
	// BodyField, when set, becomes the log body and the other fields become
	// attributes (under AttributesNamespace); when empty the whole record
	// is the body (a map). It
	// predates Message, with which it is exclusive.
	BodyField string `mapstructure:"body_field"`
	// Message, when set, writes a human-readable message for every record:
	// the log body is that string and the record's fields are attributes,
	// in one map under AttributesNamespace (the receiver's `body: record`
	// keeps the record as the body and puts the message in
	// api_logs.message instead). OpenTelemetry's semantic conventions for
	// events keep an event's details in attributes and the body for "a
	// string display message" (semantic-conventions docs/general/events.md),
	// and log stores show a string body as the record's message.
	Message []MessagePart `mapstructure:"message"`
	// AttributesNamespace is the log record attribute that holds the
	// record's fields, as one map, whenever they are attributes (with a
	// message, or beside a body_field): `tines`, `make`. Fields at the top
	// level would meet names that backends read specially (the Datadog
	// Agent takes an attribute `message` as the log's message and `status`
	// or `level` as its status: DataDog/opentelemetry-mapping-go
	// pkg/otlp/logs/transform.go), and OpenTelemetry's attribute naming
	// asks for namespaced names. Every built-in spec sets it; unset, it is
	// DefaultAttributesNamespace. Use Namespace to read it.
	AttributesNamespace *string `mapstructure:"attributes_namespace"`
	// EventName is the LogRecord's EventName (the OpenTelemetry event.name):
	// what kind of record this is, the same for every record of the API
	// ("tines.audit_log"). It also opens the message of a record none of
	// whose message parts is present.
	EventName string `mapstructure:"event_name"`
	// Unfinished, when set, names the records that are not final yet (Make:
	// a run with status 0 is still running and is listed again with its
	// final status). Such a record is not delivered while it is younger than
	// the receiver's max_pending: the cursor stays below the oldest one so
	// the next windows read it again.
	Unfinished *Unfinished `mapstructure:"unfinished"`

	// Format is how the body holds the records: json (the default) or
	// ndjson, one record per line (see FormatNDJSON).
	Format string `mapstructure:"format"`

	zeros explicitZeros // keys written with a zero value (explicit.go)
}

// DefaultAttributesNamespace is the namespace of a spec that sets none (a
// custom API): never the top level, for the reasons AttributesNamespace
// gives.
const DefaultAttributesNamespace = "custom"

// Namespace is the attribute under which the record's fields go.
func (r Records) Namespace() string {
	if r.AttributesNamespace == nil {
		return DefaultAttributesNamespace
	}
	return *r.AttributesNamespace
}

// MessagePart is one piece of a record's message: a value, read from
// exactly one of Field, Enriched, Attribute or Var, written between Prefix and
// Suffix. A value that is absent, null, an empty string, an object or an
// array is left out with its Prefix and Suffix; numbers and booleans are
// written as text ("42", "1.5", "true"). The message is the parts in
// order, trimmed of surrounding white space.
type MessagePart struct {
	// Field is a dotted path into the record ("payload.result").
	Field string `mapstructure:"field"`
	// Enriched is a key of enrich.attributes (execution.error.message):
	// what enrichment read for the record, once it ran.
	Enriched string `mapstructure:"enriched"`
	// Attribute is a log record attribute the receiver itself sets, by its
	// exact name: log.record.uid or an api_logs.* one (api_logs.enrich.error),
	// read after enrichment.
	Attribute string `mapstructure:"attribute"`
	// Var is a value of the stream: only "stream", the stream id (the Make
	// scenario a run belongs to, which its record does not carry).
	Var    string `mapstructure:"var"`
	Prefix string `mapstructure:"prefix"`
	Suffix string `mapstructure:"suffix"`
	// Values replaces a value, compared as text, by another ({"3": error});
	// a value it does not list is written as it is, one it maps to "" is
	// left out.
	Values map[string]string `mapstructure:"values"`
}

// MessageVars are the values MessagePart.Var may name.
func MessageVars() []string { return []string{VarStream} }

// MaxMessageParts bounds records.message.
const MaxMessageParts = 32

// Unfinished selects records that are not final yet: Field has one of
// Values (compared as text, like enrich.values).
type Unfinished struct {
	Field  string   `mapstructure:"field"`
	Values []string `mapstructure:"values"`
}

// DefaultMaxPending is how long a record stays held back while it is
// unfinished, unless the receiver sets max_pending: the longest scenario
// run Make documents (on its Celonis-hosted platform) is 60 minutes.
const DefaultMaxPending = time.Hour

// Severity maps a record to a severity: the first matching rule wins.
type Severity struct {
	Rules []SeverityRule `mapstructure:"rules"`
	// Default applies when no rule matches (e.g. INFO for audit logs).
	Default string `mapstructure:"default"`
	// DefaultText is the SeverityText used with Default; left out, it is
	// the value of the first rule's field, if any; "" is an empty text.
	DefaultText string `mapstructure:"default_text"`

	zeros explicitZeros // keys written with a zero value (explicit.go)
}

// SeverityRule matches one field of the record.
type SeverityRule struct {
	Field string `mapstructure:"field"`
	// Equals matches the field's scalar value written as text ("3", "true",
	// "Error"). Min and Max match a numeric range, both inclusive. A rule
	// with neither matches any present value; equals: "" matches an empty
	// string.
	Equals string   `mapstructure:"equals"`
	Min    *float64 `mapstructure:"min"`
	Max    *float64 `mapstructure:"max"`
	// Severity is a SeverityNumber name (TRACE..FATAL4, UNSPECIFIED) or 0..24.
	Severity string `mapstructure:"severity"`
	// Text is the SeverityText; left out, it is the field's own value;
	// "" is an empty text.
	Text string `mapstructure:"text"`

	zeros explicitZeros // keys written with a zero value (explicit.go)
}

// Auth kinds.
const (
	AuthNone   = "none"
	AuthBearer = "bearer" // Authorization: Bearer <api_key>
	AuthScheme = "scheme" // Authorization: <scheme> <api_key>
	AuthBasic  = "basic"  // Authorization: Basic base64(<username or api_key>:<password>)
	AuthHeader = "header" // <header>: <api_key>
	AuthOAuth2 = "oauth2_client_credentials"
)

// Auth says how credentials from the receiver config are sent.
type Auth struct {
	Type   string `mapstructure:"type"`
	Scheme string `mapstructure:"scheme"` // scheme kind: Token, Bearer, ...
	Header string `mapstructure:"header"` // header kind: X-Api-Key, ...
	// TokenPath and ResourcePath are the OAuth2 defaults relative to the
	// endpoint (Logto: /oidc/token).
	TokenPath    string `mapstructure:"token_path"`
	ResourcePath string `mapstructure:"resource_path"`
	// Resource is the OAuth2 resource indicator when the receiver sets no
	// `resource`: a template over the receiver's options and the values
	// EndpointHost reads (Logto: https://{{tenant_id}}.logto.app/api). When
	// one of its placeholders has no value the receiver must set `resource`
	// (or that option), and ResourceHelp says which value to use. Resource
	// and ResourcePath are exclusive.
	Resource     string   `mapstructure:"resource"`
	ResourceHelp string   `mapstructure:"resource_help"`
	Scopes       []string `mapstructure:"scopes"`
	// EndpointParams are extra token-request form parameters (audience,
	// ...); the receiver's endpoint_params add to and override them.
	EndpointParams map[string]string `mapstructure:"endpoint_params"`

	zeros explicitZeros // keys written with a zero value (explicit.go)
}

// Streams says where the stream ids come from.
type Streams struct {
	// Key is the receiver config key listing the stream ids (action_ids,
	// scenario_ids, module_ids): a list option of the spec, or stream_ids
	// for a custom API. Empty means one stream per source.
	Key string `mapstructure:"key"`
	// Attribute is the resource attribute naming the stream (tines.action.id).
	Attribute string `mapstructure:"attribute"`
	// Discover, when set, lists the streams through the API (every scenario
	// of a Make team); the ids in Key take precedence when given.
	Discover *Discover `mapstructure:"discover"`
}

// Discover lists stream ids through the API.
type Discover struct {
	Request    Request    `mapstructure:"request"`
	Pagination Pagination `mapstructure:"pagination"`
	Path       string     `mapstructure:"path"`     // dotted path of the array
	IDField    string     `mapstructure:"id_field"` // field holding the stream id
	// When names the config keys (options of the spec) of which one must be
	// set for discovery to run (team_id or organization_id).
	When []string `mapstructure:"when"`
	// Refresh is how often the list is renewed.
	Refresh time.Duration `mapstructure:"refresh"`

	zeros explicitZeros // keys written with a zero value (explicit.go)
}

// Enrich asks for one extra document per matching record and copies fields of
// the answer beside the record's fields.
type Enrich struct {
	// Field and Values select the records to enrich (Make: status 2 or 3).
	Field  string   `mapstructure:"field"`
	Values []string `mapstructure:"values"`
	// Request may use {{record:<field>}} for fields of the record.
	Request Request `mapstructure:"request"`
	// Attributes maps keys to dotted paths in the answer. A key is a dotted
	// path inside the record's attributes namespace: execution.error.name
	// goes to make: {execution: {error: {name}}} beside the record's
	// fields, which log stores show as make.execution.error.name. When the
	// record is the body (`body: record`, or no message and no body_field)
	// the key is the top-level attribute <namespace>.<key>, the same name.
	Attributes map[string]string `mapstructure:"attributes"`
	// MaxPerPoll bounds the extra requests one poll of one stream may spend;
	// required and positive (0 would silently enrich nothing).
	MaxPerPoll int `mapstructure:"max_per_poll"`
}
