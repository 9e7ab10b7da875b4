package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

type ctxKey struct{}

// reqInfo travels in the request context so link builders know the API.
type reqInfo struct {
	api, vendor string
}

func infoFrom(r *http.Request) reqInfo {
	if ri, ok := r.Context().Value(ctxKey{}).(reqInfo); ok {
		return ri
	}
	return reqInfo{api: apiUnknown}
}

func withInfo(r *http.Request, ri reqInfo) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, code, b)
}

func writeRaw(w http.ResponseWriter, code int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// requestBase is scheme://host of the request, so links work behind any listener.
func requestBase(r *http.Request) string {
	return "http://" + r.Host
}

// pageURL rebuilds the request URL on base with the page parameter replaced
// (or removed when page is ""), keeping every other parameter like the vendors do.
func pageURL(base string, r *http.Request, page string) string {
	q := r.URL.Query()
	if page == "" {
		q.Del("page")
	} else {
		q.Set("page", page)
	}
	u := base + r.URL.EscapedPath()
	if enc := q.Encode(); enc != "" {
		u += "?" + enc
	}
	return u
}

// intParam parses an optional integer query parameter.
func intParam(q url.Values, key string, def int) (int, bool) {
	v := q.Get(key)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false
	}
	return n, true
}

// statusWriter reports the status code once, when it is written, for stats.
type statusWriter struct {
	http.ResponseWriter
	code   int
	onCode func(code int)
}

func (w *statusWriter) setCode(code int) {
	if w.code == 0 {
		w.code = code
		if w.onCode != nil {
			w.onCode(code)
		}
	}
}

func (w *statusWriter) WriteHeader(code int) {
	w.setCode(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.setCode(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// finish reports the 200 net/http sends for a handler that wrote nothing.
func (w *statusWriter) finish() { w.setCode(http.StatusOK) }

// bufferWriter captures a response so the truncation fault can cut it.
type bufferWriter struct {
	header http.Header
	code   int
	buf    bytes.Buffer
}

func newBufferWriter() *bufferWriter { return &bufferWriter{header: http.Header{}} }

func (b *bufferWriter) Header() http.Header { return b.header }
func (b *bufferWriter) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	return b.buf.Write(p)
}
