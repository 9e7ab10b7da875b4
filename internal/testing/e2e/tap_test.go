package e2e

import (
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// tap sits between the collector and the otlpsink: it keeps every log record
// (the sink only counts them) and forwards each request unchanged.
type tap struct {
	target string
	srv    *http.Server
	url    string

	mu   sync.Mutex
	recs map[string][]tapped // by api_logs.api
}

// tapped is one received log record with its resource attributes.
type tapped struct {
	resource map[string]any
	uid      string
	record   plog.LogRecord
}

func startTap(t *testing.T, target string) *tap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	tp := &tap{target: target, url: "http://" + ln.Addr().String(), recs: map[string][]tapped{}}
	tp.srv = &http.Server{Handler: http.HandlerFunc(tp.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = tp.srv.Serve(ln) }()
	t.Cleanup(func() { _ = tp.srv.Close() })
	return tp
}

func (tp *tap) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	tp.keep(raw, r.Header)
	req, err := http.NewRequestWithContext(r.Context(), r.Method, tp.target+r.URL.Path, bytes.NewReader(raw))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// keep decodes a request; what cannot be decoded is left to the sink to refuse.
func (tp *tap) keep(raw []byte, h http.Header) {
	body := raw
	if h.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return
		}
		if body, err = io.ReadAll(zr); err != nil {
			return
		}
	}
	req := plogotlp.NewExportRequest()
	var err error
	if strings.Contains(h.Get("Content-Type"), "json") {
		err = req.UnmarshalJSON(body)
	} else {
		err = req.UnmarshalProto(body)
	}
	if err != nil {
		return
	}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	rls := req.Logs().ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		res := rls.At(i).Resource().Attributes().AsRaw()
		api, _ := res["api_logs.api"].(string)
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := plog.NewLogRecord()
				lrs.At(k).CopyTo(lr)
				uid := ""
				if v, ok := lr.Attributes().Get("log.record.uid"); ok {
					uid = v.AsString()
				}
				tp.recs[api] = append(tp.recs[api], tapped{resource: res, uid: uid, record: lr})
			}
		}
	}
}

func (tp *tap) records(api string) []tapped {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([]tapped(nil), tp.recs[api]...)
}
