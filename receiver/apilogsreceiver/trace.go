package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"fmt"
	"net/http"
	"net/url"

	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/reqtrace"
)

const (
	defaultTraceMaxSize  = 10 << 20 // 10 MiB
	defaultTraceMaxFiles = 3
	// traceMaxBody is how much of each body the trace keeps: enough to see
	// the shape of a page, small enough for thousands of lines per file.
	traceMaxBody = 4 << 10
)

// TraceConfig is the request trace: each request and its answer, one JSON
// line each exchange, credentials redacted and bodies cut, written to a
// rotating file. Absent, nothing is traced.
type TraceConfig struct {
	// Path is the file; rotated files are path.1 (newest) to path.N.
	Path string `mapstructure:"path"`
	// MaxSize is the size in bytes at which the file rotates (10 MiB when
	// absent).
	MaxSize *int64 `mapstructure:"max_size"`
	// MaxFiles is how many files are kept, the current one included (3
	// when absent).
	MaxFiles *int `mapstructure:"max_files"`
}

// validate checks the keys of a trace that is set; absent and zero are
// told apart (a zero max_size is refused, not read as the default).
func (tc *TraceConfig) validate() []error {
	if tc == nil {
		return nil
	}
	var errs []error
	if tc.Path == "" {
		errs = append(errs, fmt.Errorf("%q is required when %q is set", "trace.path", "trace"))
	}
	if tc.MaxSize != nil && *tc.MaxSize <= 0 {
		errs = append(errs, fmt.Errorf("%q must be greater than 0 (bytes), got %d", "trace.max_size", *tc.MaxSize))
	}
	if tc.MaxFiles != nil && *tc.MaxFiles < 1 {
		errs = append(errs, fmt.Errorf("%q must be at least 1, got %d", "trace.max_files", *tc.MaxFiles))
	}
	return errs
}

// openTrace opens the trace file when trace is set, warns once that it is
// on, and returns the wrap of the HTTP transport that writes it (wrap, the
// caller's own wrap, runs outside it). Token requests are traced without
// their bodies: they carry the client secret and the token by design.
func (lr *logsReceiver) openTrace(red *httpclient.Redactor, wrap func(http.RoundTripper) http.RoundTripper) (func(http.RoundTripper) http.RoundTripper, error) {
	tc := lr.cfg.Trace
	if tc == nil {
		return wrap, nil
	}
	maxSize, maxFiles := int64(defaultTraceMaxSize), defaultTraceMaxFiles
	if tc.MaxSize != nil {
		maxSize = *tc.MaxSize
	}
	if tc.MaxFiles != nil {
		maxFiles = *tc.MaxFiles
	}
	tokenURL, _ := url.Parse(lr.resolved.tokenURL)
	tracer, err := reqtrace.Open(reqtrace.Config{
		Path:      tc.Path,
		MaxSize:   maxSize,
		MaxFiles:  maxFiles,
		MaxBody:   traceMaxBody,
		Redactor:  red,
		Sensitive: credentialHeader,
		SecretBodies: func(req *http.Request) bool {
			return tokenURL != nil && tokenURL.Host != "" && req.URL.Host == tokenURL.Host && req.URL.Path == tokenURL.Path
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%q: %w", "trace.path", err)
	}
	lr.tracer = tracer
	lr.set.Logger.Warn("Request trace is on: every request and answer is written to a file, credentials redacted and bodies cut; turn it off when done",
		zap.String("path", tc.Path), zap.Int64("max_size", maxSize), zap.Int("max_files", maxFiles), zap.Int("max_body", traceMaxBody))
	return func(next http.RoundTripper) http.RoundTripper {
		traced := tracer.Wrap(next)
		if wrap != nil {
			return wrap(traced)
		}
		return traced
	}, nil
}

// closeTrace closes the trace file, if open.
func (lr *logsReceiver) closeTrace() error {
	if lr.tracer == nil {
		return nil
	}
	err := lr.tracer.Close()
	lr.tracer = nil
	return err
}
