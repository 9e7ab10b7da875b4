package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// exchange is one HTTP request the check made (every attempt: retries and
// token requests included).
type exchange struct {
	method, url string
	status      int
	err         error
	took        time.Duration
}

// recorder is the check's HTTP transport: it notes every request. URLs are
// kept as sent and redacted when printed, once the redactor knows the
// OAuth tokens obtained meanwhile.
type recorder struct {
	next http.RoundTripper

	mu   sync.Mutex
	seen []exchange
}

func (r *recorder) wrap(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	r.next = next
	return r
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	started := time.Now()
	resp, err := r.next.RoundTrip(req)
	ex := exchange{method: req.Method, url: req.URL.String(), err: err, took: time.Since(started)}
	if resp != nil {
		ex.status = resp.StatusCode
	}
	r.mu.Lock()
	r.seen = append(r.seen, ex)
	r.mu.Unlock()
	return resp, err
}

// take returns the requests recorded since the last take.
func (r *recorder) take() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.seen
	r.seen = nil
	return out
}

// collector keeps the pages a poll delivers, to print them.
type collector struct {
	mu   sync.Mutex
	logs []plog.Logs
}

func (c *collector) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *collector) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.logs = append(c.logs, ld)
	return nil
}

func (c *collector) take() []plog.Logs {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.logs
	c.logs = nil
	return out
}

// printer writes the report; every line goes through the redactor, since
// URLs, records and errors quote what an API answered.
type printer struct {
	out  io.Writer
	red  *httpclient.Redactor
	full bool
}

func (p *printer) line(format string, args ...any) {
	fmt.Fprintln(p.out, p.red.Redact(fmt.Sprintf(format, args...)))
}

func (p *printer) requests(exs []exchange) {
	for _, ex := range exs {
		outcome := fmt.Sprintf("%d %s", ex.status, http.StatusText(ex.status))
		if ex.err != nil {
			outcome = "error: " + ex.err.Error()
		}
		p.line("  request %s %s -> %s (%s)", ex.method, ex.url, outcome, ex.took.Round(time.Millisecond))
	}
}

// word keeps a value one word of the line: quoted when it is empty or
// holds a space or a control character.
func word(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '"' }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

var oneLine = strings.NewReplacer("\r", `\r`, "\n", `\n`)

// records prints each record as the receiver emits it, one line each:
// time, severity, event name, log.record.uid and body; with --full, its
// attributes as JSON on the next line.
func (p *printer) records(pages []plog.Logs) int {
	n := 0
	for _, ld := range pages {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					n++
					// The number as the pipeline reads it, the API's own word beside it.
					sev := strings.ToUpper(lr.SeverityNumber().String())
					if text := lr.SeverityText(); text != "" {
						sev += "(" + text + ")"
					}
					event := lr.EventName()
					if event == "" {
						event = "-"
					}
					uid, _ := lr.Attributes().Get("log.record.uid")
					p.line("  record %s %s %s uid=%s %s", lr.Timestamp().AsTime().UTC().Format(time.RFC3339Nano),
						sev, event, word(uid.AsString()), oneLine.Replace(lr.Body().AsString()))
					if p.full {
						attrs, err := json.Marshal(lr.Attributes().AsRaw())
						if err != nil {
							attrs = []byte(err.Error())
						}
						p.line("    attributes %s", attrs)
					}
				}
			}
		}
	}
	return n
}
