package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/engine"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// statusReporter folds the outcome of every stream into one component status
// and reports it only when it changes.
type statusReporter struct {
	host   component.Host
	source string
	mu     sync.Mutex
	failed map[string]error
	last   string
}

func newStatusReporter(host component.Host, source string) *statusReporter {
	return &statusReporter{host: host, source: source, failed: map[string]error{}}
}

// StreamStatus records the outcome of one poll of one stream (nil, or an
// *engine.StreamError).
func (s *statusReporter) StreamStatus(stream string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.failed, stream)
	} else {
		s.failed[stream] = err
	}
	ev, key := s.event()
	if key == s.last {
		return
	}
	s.last = key
	componentstatus.ReportStatus(s.host, ev)
}

// clear forgets every stream's outcome: their polls stopped here (another
// collector owns them now), so their last failure is no longer this
// receiver's condition.
func (s *statusReporter) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.failed)
	ev, key := s.event()
	if key == s.last {
		return
	}
	s.last = key
	componentstatus.ReportStatus(s.host, ev)
}

// event is the aggregate: a permanent error (credentials) wins over a
// recoverable one (a failing or stalled stream); the first such stream, in
// name order, is named. The message is a fixed description of the failure
// class (the configured request and status code, "network error", "records
// path not found", "stalled until ..."): never content of an API's answer,
// which only the redacted log lines carry.
func (s *statusReporter) event() (*componentstatus.Event, string) {
	if len(s.failed) == 0 {
		return componentstatus.NewEvent(componentstatus.StatusOK), "ok"
	}
	streams := make([]string, 0, len(s.failed))
	permanent := ""
	for id, err := range s.failed {
		streams = append(streams, id)
		if httpclient.IsPermanent(err) && (permanent == "" || id < permanent) {
			permanent = id
		}
	}
	sort.Strings(streams)
	if permanent != "" {
		err := s.statusError(len(streams), permanent)
		return componentstatus.NewPermanentErrorEvent(err), "permanent:" + err.Error()
	}
	err := s.statusError(len(streams), streams[0])
	return componentstatus.NewRecoverableErrorEvent(err), "recoverable:" + err.Error()
}

func (s *statusReporter) statusError(failing int, stream string) error {
	cause := s.failed[stream]
	class := "poll failed (the log says why)"
	var se *engine.StreamError
	if errors.As(cause, &se) {
		class = se.Class
	}
	return &statusError{msg: fmt.Sprintf("%d of the streams failing; stream %s: %s", failing, stream, class), cause: cause}
}

// statusError says only msg; the stream's error stays reachable through
// errors.Is and errors.As.
type statusError struct {
	msg   string
	cause error
}

func (e *statusError) Error() string { return e.msg }

func (e *statusError) Unwrap() error { return e.cause }
