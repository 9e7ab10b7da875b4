// Package reqtrace writes each HTTP exchange of a receiver (request and
// answer, redacted, bodies cut) as one JSON line to a rotating file: the
// request trace users turn on to see what a spec really sends and gets.
package reqtrace // import "github.com/otelcol-api-logs/otelcol-api-logs/internal/reqtrace"

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// redactMargin is how many bytes past a body's cut are kept to redact: a
// secret that starts before the cut is found whole (escaped, its longest
// encodings are a few times its length) and redacted, not cut in two.
const redactMargin = 4096

// Config says where and how the trace is written.
type Config struct {
	Path     string
	MaxSize  int64 // bytes per file before it rotates
	MaxFiles int   // files kept, the current one included
	// MaxBody is how many bytes of each body are written.
	MaxBody int
	// Redactor knows the credentials; every value written goes through it.
	Redactor *httpclient.Redactor
	// Sensitive tells the header names whose values are credentials: they
	// are written as [REDACTED] whatever they hold (an auth extension's
	// header the Redactor does not know).
	Sensitive func(name string) bool
	// SecretBodies tells the exchanges whose bodies carry credentials by
	// design (an OAuth token request and its answer): their bodies are
	// not written at all.
	SecretBodies func(*http.Request) bool
	// Now is the clock of the time and duration (time.Now when nil).
	Now func() time.Time
}

// Tracer wraps transports; one per receiver, closed at Shutdown.
type Tracer struct {
	cfg  Config
	file *rotatingFile
	now  func() time.Time
}

// Open opens (or continues) the trace file.
func Open(cfg Config) (*Tracer, error) {
	f, err := openRotating(cfg.Path, cfg.MaxSize, cfg.MaxFiles)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Tracer{cfg: cfg, file: f, now: now}, nil
}

// Close closes the file; exchanges that end later are not written.
func (t *Tracer) Close() error { return t.file.close() }

// Wrap returns a transport that traces every exchange of next.
func (t *Tracer) Wrap(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{t: t, next: next}
}

// exchange is one line of the trace.
type exchange struct {
	Time            time.Time           `json:"time"`
	Method          string              `json:"method"`
	URL             string              `json:"url"`
	RequestHeaders  map[string][]string `json:"request_headers,omitempty"`
	RequestBody     string              `json:"request_body,omitempty"`
	Status          int                 `json:"status,omitempty"`
	ResponseHeaders map[string][]string `json:"response_headers,omitempty"`
	ResponseBody    string              `json:"response_body,omitempty"`
	// Truncated says a body was cut at MaxBody (or, for the answer, that
	// the caller stopped reading before its end).
	RequestTruncated  bool   `json:"request_body_truncated,omitempty"`
	ResponseTruncated bool   `json:"response_body_truncated,omitempty"`
	DurationMS        int64  `json:"duration_ms"`
	Error             string `json:"error,omitempty"`
}

type transport struct {
	t    *Tracer
	next http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t := tr.t
	start := t.now()
	secret := t.cfg.SecretBodies != nil && t.cfg.SecretBodies(req)
	ex := &exchange{
		Time:           start.UTC(),
		Method:         req.Method,
		URL:            t.url(req.URL),
		RequestHeaders: t.headers(req.Header),
	}
	if !secret {
		ex.RequestBody, ex.RequestTruncated = t.requestBody(req)
	}
	resp, err := tr.next.RoundTrip(req)
	if err != nil {
		ex.DurationMS = t.now().Sub(start).Milliseconds()
		ex.Error = t.cfg.Redactor.Redact(err.Error())
		t.write(ex)
		return resp, err
	}
	ex.Status = resp.StatusCode
	ex.ResponseHeaders = t.headers(resp.Header)
	// The line is written when the caller closes the body, with what the
	// caller read of it: the trace never reads an answer ahead of it.
	resp.Body = &tee{ReadCloser: resp.Body, t: t, ex: ex, start: start, secret: secret}
	return resp, nil
}

// requestBody reads a copy of the request body (GetBody, as the transport
// itself does on a retry); a body that cannot be copied is not written.
func (t *Tracer) requestBody(req *http.Request) (string, bool) {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody == nil {
		return "", false
	}
	body, err := req.GetBody()
	if err != nil {
		return "", false
	}
	defer body.Close()
	data, _ := io.ReadAll(io.LimitReader(body, int64(t.cfg.MaxBody+redactMargin)))
	return t.cut(data, true)
}

// cut redacts data and keeps its first MaxBody bytes; complete says data is
// the whole body (not more than was read).
func (t *Tracer) cut(data []byte, complete bool) (string, bool) {
	s := string(data)
	truncated := len(s) > t.cfg.MaxBody || !complete
	return t.cfg.Redactor.RedactHead(s, t.cfg.MaxBody), truncated
}

// url is u with a password of its user info hidden and every known secret
// redacted; query keys are not blanked by name: a page_token or cursor is
// what a trace of the pagination is read for.
func (t *Tracer) url(u *url.URL) string {
	return t.cfg.Redactor.Redact(u.Redacted())
}

func (t *Tracer) headers(h http.Header) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string][]string, len(h))
	for name, values := range h {
		vs := make([]string, len(values))
		for i, v := range values {
			if t.cfg.Sensitive != nil && t.cfg.Sensitive(name) {
				vs[i] = httpclient.Redacted
			} else {
				vs[i] = t.cfg.Redactor.Redact(v)
			}
		}
		out[t.cfg.Redactor.Redact(name)] = vs
	}
	return out
}

// write appends one line; a trace that cannot be written does not fail the
// request (the file is a debugging aid, and the start warning names it).
func (t *Tracer) write(ex *exchange) {
	line, err := json.Marshal(ex)
	if err != nil {
		return
	}
	_ = t.file.writeLine(append(line, '\n'))
}

// tee keeps the first bytes the caller reads of an answer and writes the
// exchange once, when the caller closes the body.
type tee struct {
	io.ReadCloser
	t      *Tracer
	ex     *exchange
	start  time.Time
	secret bool

	once sync.Once
	mu   sync.Mutex // buf and eof: a body may be closed while read
	buf  bytes.Buffer
	eof  bool
}

func (b *tee) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.t.cfg.MaxBody + redactMargin - b.buf.Len(); room > 0 && !b.secret {
		b.buf.Write(p[:min(n, room)])
	}
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *tee) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.ex.DurationMS = b.t.now().Sub(b.start).Milliseconds()
		if !b.secret {
			b.ex.ResponseBody, b.ex.ResponseTruncated = b.t.cut(b.buf.Bytes(), b.eof && b.buf.Len() < b.t.cfg.MaxBody+redactMargin)
		}
		b.t.write(b.ex)
	})
	return err
}
