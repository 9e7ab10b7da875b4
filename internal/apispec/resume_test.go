package apispec

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"
)

// resumeBase is a valid 1Password-like spec: a first request with a
// start_time, then the cursor alone.
const resumeBase = `
request:
  method: POST
  path: /api/v1/signinattempts
  body: '{"limit": {{page_size}}, "start_time": "{{window_start}}"}'
  continue: {body: '{"cursor": "{{cursor}}"}'}
time_filter: {format: rfc3339}
pagination: {type: cursor, next_path: cursor, has_more_path: has_more}
resume: {from: next}
records: {path: items, order: oldest_first, id_field: uuid, time_field: timestamp, time_format: rfc3339, time_precision: 1s}
`

// resumeSpec is resumeBase with the YAML of each edit merged over it (a
// null value deletes the key), decoded as a collector configuration is.
func resumeSpec(t *testing.T, edits ...string) *Spec {
	t.Helper()
	var m map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(resumeBase), &m))
	for _, e := range edits {
		var over map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(e), &over))
		merge(m, over)
	}
	spec := &Spec{}
	require.NoError(t, confmap.NewFromStringMap(m).Unmarshal(spec))
	return spec
}

func merge(dst, src map[string]any) {
	for k, v := range src {
		sub, isMap := v.(map[string]any)
		to, hasMap := dst[k].(map[string]any)
		switch {
		case v == nil:
			delete(dst, k)
		case isMap && hasMap:
			merge(to, sub)
		default:
			dst[k] = v
		}
	}
}

// Every key of resume and request.continue, and every combination that
// cannot work, is refused by name; the ones that work are valid.
func TestValidateResume(t *testing.T) {
	lastID := `{request: {method: null, body: null, continue: null, path: /events, query: {after_id: "{{last_id}}", limit: "{{page_size}}"}}, time_filter: null, pagination: {type: none, next_path: null, has_more_path: null}, resume: {from: last_id}}`
	okta := `{request: {method: null, body: null, continue: null, path: /api/v1/logs, query: {since: "{{window_start}}", limit: "{{page_size}}"}}, pagination: {type: link_header, next_path: null, has_more_path: null}}`
	for _, tt := range []struct {
		name  string
		edits []string
		want  []string // the errors, in order; none: valid
	}{
		{name: "1Password"},
		{name: "Okta", edits: []string{okta}},
		{name: "last id feed", edits: []string{lastID}},
		{name: "last id feed with a has-more flag and a continue query", edits: []string{
			lastID,
			`{pagination: {next_path: has_more}, request: {query: {limit: "{{page_size}}", after_id: null}, continue: {query: {after_id: "{{last_id}}", limit: "{{page_size}}"}}}}`,
		}},
		{name: "continue within a walk, no resume", edits: []string{`{resume: null}`}},
		{name: "refused statuses", edits: []string{`{resume: {refused_statuses: [400, 409, 410]}}`}},
		{name: "refused statuses empty", edits: []string{`{resume: {refused_statuses: []}}`}},
		{
			name: "from unknown", edits: []string{`{resume: {from: last}}`},
			want: []string{`"custom.resume.from" must be one of next, last_id; got "last"`},
		},
		{
			name: "from absent", edits: []string{`{resume: {refused_statuses: [404]}}`, `{resume: {from: null}}`},
			want: []string{`"custom.resume.from" must be one of next, last_id; got ""`},
		},
		{
			name: "next with page numbers", edits: []string{`{pagination: {type: page, next_path: null, has_more_path: null}, request: {continue: null}}`},
			want: []string{`"custom.resume.from" next stores the next position of the last page read, which pagination.type "page" does not give: use cursor, next_url or link_header (or resume.from last_id)`},
		},
		{
			name: "next with offsets", edits: []string{`{pagination: {type: offset, next_path: null, has_more_path: null}, request: {continue: null}}`},
			want: []string{`"custom.resume.from" next stores the next position of the last page read, which pagination.type "offset" does not give: use cursor, next_url or link_header (or resume.from last_id)`},
		},
		{
			name: "next with none", edits: []string{`{pagination: {type: none, next_path: null, has_more_path: null}, request: {continue: null}}`},
			want: []string{`"custom.resume.from" next stores the next position of the last page read, which pagination.type "none" does not give: use cursor, next_url or link_header (or resume.from last_id)`},
		},
		{
			name: "last id with a cursor", edits: []string{`{resume: {from: last_id}}`},
			want: []string{`"custom.resume.from" last_id continues every page from the id of the last record read: pagination.type must be none (got "cursor"); pagination.next_path may name a "has more" flag`},
		},
		{
			name: "newest first", edits: []string{`{records: {order: newest_first}}`},
			want: []string{`"custom.records.order" must be "oldest_first" with resume: a position the server gives leads to newer records only in an oldest-first feed; got "newest_first"`},
		},
		{
			name: "last id newest first", edits: []string{lastID, `{records: {order: newest_first}}`},
			want: []string{
				`"custom.records.order" "newest_first" needs a time_filter or resume: without either the engine must walk newest first down to its cursor`,
				`"custom.records.order" must be "oldest_first" with resume: a position the server gives leads to newer records only in an oldest-first feed; got "newest_first"`,
			}[1:],
		},
		{
			name: "oldest first without time filter or resume", edits: []string{lastID, `{resume: null, request: {query: {after_id: null}}}`},
			want: []string{`"custom.records.order" "oldest_first" needs a time_filter or resume: without either the engine must walk newest first down to its cursor`},
		},
		{
			name: "max window", edits: []string{`{time_filter: {max_window: 1h}}`},
			want: []string{`"custom.time_filter.max_window" does not apply with resume: a walk from the server's position has no time window`},
		},
		{
			name: "unfinished", edits: []string{`{records: {unfinished: {field: status, values: [running]}}}`},
			want: []string{`"custom.records.unfinished" does not apply with resume: a record held back is read again by time, and a walk from the server's position does not go back`},
		},
		{
			name: "unstable ties", edits: []string{`{records: {unstable_ties: true}}`},
			want: []string{`"custom.records.unstable_ties" does not apply with resume: it lowers a time window's bound, and a walk from the server's position has none`},
		},
		{
			name: "window end", edits: []string{`{request: {body: '{"start_time": "{{window_start}}", "end_time": "{{window_end}}"}'}}`},
			want: []string{`"custom.request.body" uses {{window_end}}, which a walk from the server's position does not have: the first request reads everything from {{window_start}} on`},
		},
		{
			name: "window end in a query", edits: []string{okta, `{request: {query: {until: "{{window_end}}"}}}`},
			want: []string{`"custom.request.query.until" uses {{window_end}}, which a walk from the server's position does not have: the first request reads everything from {{window_start}} on`},
		},
		{
			name: "last id without resume last_id", edits: []string{`{request: {continue: {body: '{"cursor": "{{cursor}}", "after": "{{last_id}}"}'}}}`},
			want: []string{`"custom.request.continue.body" uses {{last_id}}, which only resume.from last_id fills`},
		},
		{
			name: "last id in discovery", edits: []string{`{streams: {key: stream_ids, discover: {request: {path: "/streams/{{last_id}}"}, pagination: {type: none}, id_field: id}}}`},
			want: []string{`"custom.streams.discover.request.path" uses {{last_id}}, which only the log request has`},
		},
		{
			name: "continue in enrichment", edits: []string{`{enrich: {field: status, values: [x], max_per_poll: 1, request: {path: "/x/{{record:id}}", continue: {body: "{}"}}}}`},
			want: []string{`"custom.enrich.request.continue" applies to the log request only (request.continue)`},
		},
		{
			name: "refused status 5xx", edits: []string{`{resume: {refused_statuses: [503]}}`},
			want: []string{`"custom.resume.refused_statuses[0]" must be a 4xx status (a 5xx is retried as a failure of the server); got 503`},
		},
		{
			name: "refused status 429", edits: []string{`{resume: {refused_statuses: [404, 429]}}`},
			want: []string{`"custom.resume.refused_statuses[1]" must not be 429: that status says something else than a refused position`},
		},
		{
			name: "continue empty", edits: []string{`{request: {continue: null}}`, `{request: {continue: {}}}`},
			want: []string{`"custom.request.continue" must set query or body: the request that continues from the server's position`},
		},
		{
			name: "continue body empty", edits: []string{`{request: {continue: {body: ""}}}`},
			want: []string{`"custom.request.continue.body" must not be empty: leave it out for the request's own body`},
		},
		{
			name: "continue query empty", edits: []string{`{request: {continue: {body: null, query: {}}}}`},
			want: []string{`"custom.request.continue.query" must not be empty: leave it out for the request's own query`},
		},
		{
			name: "continue with next links", edits: []string{okta, `{request: {continue: {query: {after: x}}}}`},
			want: []string{`"custom.request.continue" applies where a request continues from a position the server gave: pagination.type cursor ({{cursor}}) or resume.from last_id ({{last_id}}); pagination.type "link_header" continues without a template`},
		},
		{
			name: "continue unparsable", edits: []string{`{request: {continue: {body: '{"cursor": "{{cursor"}'}}}`},
			want: []string{`"custom.request.continue.body" unclosed "{{" in "{\"cursor\": \"{{cursor\"}"`},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := resumeSpec(t, tt.edits...).ValidateAt("custom.")
			if len(tt.want) == 0 {
				require.NoError(t, err)
				return
			}
			assert.EqualError(t, err, strings.Join(tt.want, "\n"))
		})
	}
}

// resume.refused_statuses: absent is the default list, empty is none.
func TestResumeRefuses(t *testing.T) {
	def := resumeSpec(t).Resume
	none := resumeSpec(t, `{resume: {refused_statuses: []}}`).Resume
	own := resumeSpec(t, `{resume: {refused_statuses: [409]}}`).Resume
	for _, status := range []int{400, 404, 409, 410, 500} {
		assert.Equal(t, status == 400 || status == 404 || status == 410, def.Refuses(status), status)
		assert.False(t, none.Refuses(status), status)
		assert.Equal(t, status == 409, own.Refuses(status), status)
	}
	var absent *Resume
	assert.False(t, absent.Refuses(400))
}

// request.continue replaces the query and the body it sets, nothing else.
func TestRequestContinued(t *testing.T) {
	spec := resumeSpec(t, `{request: {query: {a: "1"}, headers: {X-K: v}}}`)
	c := spec.Request.Continued()
	assert.JSONEq(t, `{"cursor": "{{cursor}}"}`, c.Body)
	assert.Equal(t, QueryValues{"1"}, c.Query["a"])
	assert.Equal(t, spec.Request.Path, c.Path)
	assert.Equal(t, "v", c.Header["X-K"])
	assert.Nil(t, c.Continue)
	spec = resumeSpec(t, `{request: {query: {a: "1"}, continue: {body: null, query: {b: "{{cursor}}"}}}}`)
	c = spec.Request.Continued()
	assert.Equal(t, map[string]QueryValues{"b": {"{{cursor}}"}}, c.Query)
	assert.Equal(t, spec.Request.Body, c.Body)
}
