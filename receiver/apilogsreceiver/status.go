package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/engine"
)

// statusReporter folds the outcome of every stream into one component status
// and reports it only when it changes.
//
// Every failure a stream meets at runtime is a RecoverableError, credentials
// (401/403) included: the collector's status machine (service/internal/status
// in v0.165) lets a component leave PermanentError only for Stopping, so a
// PermanentError would outlive the stream's recovery until a restart, and
// every such failure can heal without a config change (a token given back
// its scenario, a key re-enabled, a vendor fixed). What the config alone
// decides is checked before Start returns; a failed Start is the collector's
// PermanentError. The receiver reports none itself.
type statusReporter struct {
	host    component.Host
	source  string
	mu      sync.Mutex
	failed  map[string]error
	last    string
	stopped bool
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
	s.report()
}

// StreamRemoved forgets a stream that discovery dropped: its failure no
// longer counts.
func (s *statusReporter) StreamRemoved(stream string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failed, stream)
	s.report()
}

// stop ends the reports: Shutdown runs after the collector reported
// Stopping, from which OK is no valid transition.
func (s *statusReporter) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
}

// report sends the aggregate if it changed; s.mu is held.
func (s *statusReporter) report() {
	ev, key := s.event()
	if key == s.last || s.stopped {
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
	s.report()
}

// event is the aggregate: OK, or a RecoverableError naming the first failing
// stream in name order. The message is a fixed description of the failure
// class (the configured request and status code, "network error", "records
// path not found", "stalled until ..."): never content of an API's answer,
// which only the redacted log lines carry.
func (s *statusReporter) event() (*componentstatus.Event, string) {
	if len(s.failed) == 0 {
		return componentstatus.NewEvent(componentstatus.StatusOK), "ok"
	}
	streams := make([]string, 0, len(s.failed))
	for id := range s.failed {
		streams = append(streams, id)
	}
	sort.Strings(streams)
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
