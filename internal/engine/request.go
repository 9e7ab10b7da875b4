package engine

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// requestBuilder renders an apispec.Request against the endpoint; templates
// are parsed once.
type requestBuilder struct {
	method   string
	base     *url.URL // endpoint, possibly with a path prefix
	path     apispec.Template
	query    []queryParam
	headers  map[string]apispec.Template
	body     apispec.Template
	hasBody  bool
	jsonBody bool
	accept   string // the Accept header: JSON, or NDJSON for records.format ndjson
}

// ndjsonAccept asks for NDJSON by its customary media type, and JSON lines
// by theirs, before anything else.
const ndjsonAccept = "application/x-ndjson, application/jsonl;q=0.9, */*;q=0.5"

// queryParam is one query parameter and its templates, rendered in order
// (the same parameter repeated: filter[created_at][]=gte:..&...=lte:..).
type queryParam struct {
	name  string
	tmpls []apispec.Template
}

func newRequestBuilder(base *url.URL, r apispec.Request) (*requestBuilder, error) {
	b := &requestBuilder{method: r.Method, base: base, headers: map[string]apispec.Template{}, accept: "application/json"}
	if b.method == "" {
		b.method = http.MethodGet
	}
	var err error
	if b.path, err = apispec.ParseTemplate(r.Path); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(r.Query))
	for k := range r.Query {
		names = append(names, k)
	}
	sort.Strings(names) // a stable query string keeps requests comparable in logs and tests
	for _, k := range names {
		p := queryParam{name: k}
		for _, v := range r.Query[k] {
			t, parseErr := apispec.ParseTemplate(v)
			if parseErr != nil {
				return nil, parseErr
			}
			p.tmpls = append(p.tmpls, t)
		}
		b.query = append(b.query, p)
	}
	for k, v := range r.Header {
		if b.headers[k], err = apispec.ParseTemplate(v); err != nil {
			return nil, err
		}
	}
	if r.Body != "" {
		if b.body, err = apispec.ParseTemplate(r.Body); err != nil {
			return nil, err
		}
		b.hasBody, b.jsonBody = true, true
	}
	return b, nil
}

// build renders the request for vars.
func (b *requestBuilder) build(vars apispec.Vars, stream string) httpclient.Request {
	u := *b.base
	u.Path = strings.TrimSuffix(u.Path, "/") + b.path.Render(vars, url.PathEscape)
	u.RawPath = ""
	q := url.Values{}
	for _, p := range b.query {
		for _, t := range p.tmpls {
			if name, ok := t.IsList(); ok {
				for _, v := range vars[name] {
					if v != "" {
						q.Add(p.name, v)
					}
				}
				continue
			}
			if v := t.Render(vars, nil); v != "" {
				q.Add(p.name, v)
			}
		}
	}
	u.RawQuery = q.Encode()
	req := httpclient.Request{Method: b.method, URL: u.String(), Header: http.Header{}, Stream: stream}
	for k, t := range b.headers {
		req.Header.Set(k, t.Render(vars, nil))
	}
	req.Header.Set("Accept", b.accept)
	if b.hasBody {
		req.Body = []byte(b.body.Render(vars, jsonEscape))
		if b.jsonBody {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	return req
}

// jsonEscape escapes a value for use inside a JSON string literal of a body
// template; numbers and times pass through unchanged.
func jsonEscape(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return string(q[1 : len(q)-1])
}
