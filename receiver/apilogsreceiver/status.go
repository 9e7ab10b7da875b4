package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"fmt"
	"sort"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"

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

// StreamStatus records the outcome of one poll of one stream.
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

// event is the aggregate: a permanent error (credentials) wins over a
// recoverable one; the first failing stream, in name order, is named.
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
		err := fmt.Errorf("%d of the streams failing; %w", len(streams), s.failed[permanent])
		return componentstatus.NewPermanentErrorEvent(err), "permanent:" + err.Error()
	}
	err := fmt.Errorf("%d of the streams failing; %w", len(streams), s.failed[streams[0]])
	return componentstatus.NewRecoverableErrorEvent(err), "recoverable:" + err.Error()
}
