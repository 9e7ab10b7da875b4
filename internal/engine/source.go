// Package engine polls one API source: it plans the streams, walks pages,
// deduplicates at the cursor, delivers to the pipeline and checkpoints only
// after the pipeline accepted a page.
package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/mapper"
)

// Doer sends one API request (httpclient.Client in production).
type Doer interface {
	Do(ctx context.Context, r httpclient.Request) (*httpclient.Response, error)
}

// Observer receives the engine's own measurements; the receiver turns them
// into component metrics.
type Observer interface {
	Poll(stream string, pages, records int, err error)
	InvalidRecords(stream string, n int)
	CursorLag(stream string, lag time.Duration)
	LastSuccess(stream string, t time.Time)
	CheckpointError(stream string)
	RefusedNextLink(stream string)
	// TieRead counts one request that read one timestamp alone (a tie read).
	TieRead(stream string)
	// TieRecordsMissed counts records of a tie group that cursor.TieReadBound
	// reads did not see.
	TieRecordsMissed(stream string, n int)
	// CursorIDsDropped counts ids the cursor could not keep within its
	// checkpoint budget.
	CursorIDsDropped(stream string, n int)
	// StreamRemoved says that discovery dropped the stream and no poll of
	// it runs: its gauges stop reporting it.
	StreamRemoved(stream string)
	// CursorReadError counts reads of a stored cursor that failed (the
	// stream waits for a read that succeeds).
	CursorReadError(stream string)
	// CursorSetAside counts stored cursors found unusable and kept aside.
	CursorSetAside(stream string)
	// DisorderWindow is how far beyond the overlap the stream re-reads below
	// its cursor because its API lists records out of their time order.
	DisorderWindow(stream string, d time.Duration)
	// PositionRefused counts stored positions the API refused (resume):
	// the stream started again from the time of its last record.
	PositionRefused(stream string)
}

// StatusSink learns the outcome of every poll of every stream; the receiver
// aggregates them into component status. err is nil when the stream is
// well, and otherwise a *StreamError: a fixed description of the failure
// class, with the (redacted) error behind it for errors.Is and errors.As.
type StatusSink interface {
	StreamStatus(stream string, err error)
	// StreamRemoved says that discovery dropped the stream and no poll of
	// it runs: its outcome no longer counts.
	StreamRemoved(stream string)
}

// Settings are the resolved options of one source.
type Settings struct {
	SourceID string // receiver id, e.g. api_logs/tines
	API      string // api name, e.g. tines_action_logs
	Spec     *apispec.Spec
	Endpoint *url.URL
	// Vars are the config values templates may use (team_id, operation_names, ...).
	Vars apispec.Vars
	// StreamIDs are the configured streams; empty with no Streams.Key means one
	// stream named "default".
	StreamIDs []string
	// ResetLabels change a stream's identity (key "*" for every stream) so it
	// starts afresh from StartAt.
	ResetLabels map[string]string

	Interval        time.Duration
	StartAt         func(now time.Time) time.Time
	PageSize        int
	Settle          time.Duration
	MaxPagesPerPoll int
	Workers         int
	Enrich          bool
	DiscoveryEvery  time.Duration
	// MaxWindow, when set, bounds each window of a windowed walk; zero keeps
	// the spec's time_filter.max_window (none for the built-in APIs).
	MaxWindow time.Duration
	// MaxPending is how long a record the spec calls unfinished
	// (records.unfinished) is held back; 0: apispec.DefaultMaxPending.
	MaxPending time.Duration
	// MaxBodySize is the client's max_body_size; it bounds the records of a
	// page (decode.Decoder.SetMaxBodySize). Zero: the default.
	MaxBodySize int64

	SeverityOverrides map[string]string
	// Body is the body of an API with a message (records.message).
	Body mapper.Body
	Now  func() time.Time
}

// Deps are the collaborators of a source.
type Deps struct {
	Client   Doer
	Store    *cursor.Store
	Consumer consumer.Logs
	ObsRep   *receiverhelper.ObsReport
	Logger   *zap.Logger
	Observer Observer
	Status   StatusSink
	// Redactor knows the source's secrets; every log line and error of the
	// engine goes through it. Nil: the Client's, when it has one.
	Redactor *httpclient.Redactor
	// Resource fills the resource of the logs of a stream (once per page or
	// chunk). Nil: every resource attribute (resourceAttrs); the receiver
	// passes the generated ResourceBuilder's, which its resource_attributes
	// settings switch.
	Resource ResourceFunc
}

// ResourceFunc fills res, empty, with the resource attributes of the logs
// of stream (DefaultStream for an API without streams).
type ResourceFunc func(res pcommon.Resource, stream string)

// Source polls every stream of one API source.
type Source struct {
	set  Settings
	deps Deps
	page *requestBuilder
	// cont renders the requests that continue from a position the server
	// gave (request.continue); nil: page renders them too.
	cont   *requestBuilder
	enrich *requestBuilder
	disc   *requestBuilder
	// enrichNames are the placeholders of the enrich request ({{record:id}}).
	enrichNames []string
	// enrichKeys are the keys of enrich.attributes, sorted.
	enrichKeys []string

	machine  *cursor.Machine
	resource ResourceFunc

	mu      sync.Mutex
	streams map[string]*stream
	sched   *scheduler
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// deliver is the context of ConsumeLogs and of checkpoints, cancelled
	// by Stop after deliveryGrace; consuming counts the calls in flight.
	deliver        context.Context
	cancelDeliver  context.CancelFunc
	consuming      atomic.Int64
	deliveryGrace  time.Duration
	abandonWorkers time.Duration
}

// New checks the settings and prepares a source; it does no I/O.
func New(set Settings, deps Deps) (*Source, error) {
	if set.Now == nil {
		set.Now = time.Now
	}
	if set.Workers <= 0 {
		set.Workers = apispec.DefaultConcurrentPolls
	}
	if set.PageSize <= 0 {
		return nil, errors.New("page size must be positive")
	}
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	if rc, ok := deps.Client.(interface{ Redactor() *httpclient.Redactor }); ok && deps.Redactor == nil {
		deps.Redactor = rc.Redactor()
	}
	// Log lines quote errors, record ids, times and links, all of which an
	// API controls: every message and field goes through the redactor.
	deps.Logger = deps.Redactor.Logger(deps.Logger)
	// Poll failures are known conditions: their log lines carry the error,
	// never a Go stack trace (the collector's logger adds one at error level).
	deps.Logger = deps.Logger.WithOptions(zap.AddStacktrace(zapcore.DPanicLevel))
	if deps.Observer == nil {
		deps.Observer = nopObserver{}
	}
	s := &Source{set: set, deps: deps, streams: map[string]*stream{}, deliveryGrace: deliveryGrace, abandonWorkers: abandonWorkers}
	// Workers build their own decoder and mapper; building one here checks
	// the spec before Start.
	if _, err := s.newWorker(); err != nil {
		return nil, err
	}
	var err error
	if s.page, err = newRequestBuilder(set.Endpoint, set.Spec.Request); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	if set.Spec.Request.Continue != nil {
		if s.cont, err = newRequestBuilder(set.Endpoint, set.Spec.Request.Continued()); err != nil {
			return nil, fmt.Errorf("request.continue: %w", err)
		}
	}
	if set.Spec.Records.IsNDJSON() {
		s.page.accept = ndjsonAccept
		if s.cont != nil {
			s.cont.accept = ndjsonAccept
		}
	}
	if e := set.Spec.Enrich; e != nil && set.Enrich {
		if s.enrich, err = newRequestBuilder(set.Endpoint, e.Request); err != nil {
			return nil, fmt.Errorf("enrich.request: %w", err)
		}
		s.enrichNames = s.enrich.path.Names()
		s.enrichKeys = slices.Sorted(maps.Keys(e.Attributes))
		for _, q := range s.enrich.query {
			for _, t := range q.tmpls {
				s.enrichNames = append(s.enrichNames, t.Names()...)
			}
		}
	}
	if d := set.Spec.Streams.Discover; d != nil && len(set.StreamIDs) == 0 && discoveryWanted(d, set.Vars) {
		if s.disc, err = newRequestBuilder(set.Endpoint, d.Request); err != nil {
			return nil, fmt.Errorf("streams.discover.request: %w", err)
		}
	}
	maxWindow := set.MaxWindow
	if tf := set.Spec.TimeFilter; tf != nil && maxWindow == 0 {
		maxWindow = tf.MaxWindow
	}
	s.machine = cursor.NewMachine(set.Spec, set.PageSize, set.Settle, maxWindow)
	s.machine.SetMaxPending(set.MaxPending)
	s.resource = deps.Resource
	if s.resource == nil {
		s.resource = newResourceAttrs(set).fill
	}
	return s, nil
}

func discoveryWanted(d *apispec.Discover, vars apispec.Vars) bool {
	for _, k := range d.When {
		if vars.Get(k) != "" {
			return true
		}
	}
	return len(d.When) == 0
}

// Start launches the scheduler and workers on a background context; it does
// no blocking I/O (cursors are loaded by the first poll of each stream).
func (s *Source) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.deliver, s.cancelDeliver = context.WithCancel(context.Background())
	s.sched = newScheduler(s.set.Now)
	ids := s.set.StreamIDs
	if len(ids) == 0 && s.set.Spec.Streams.Key == "" {
		ids = []string{defaultStream}
	}
	s.setStreams(ids)
	for range s.set.Workers {
		w, err := s.newWorker()
		if err != nil {
			// New validated the spec with the same decoder; this cannot happen.
			s.deps.Logger.Error("Cannot start a worker", zap.Error(err))
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.work(ctx, w)
		}()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.sched.run(ctx)
	}()
	if s.disc != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.discoverLoop(ctx)
		}()
	}
}

const defaultStream = "default"

// DefaultStream is the stream of an API without streams.
const DefaultStream = defaultStream

// setStreams makes the scheduled streams exactly ids. There is one stream
// object per id, hence per cursor key, at any time: a stream removed while
// a worker polls it stays in s.streams until that poll ends (work forgets it
// then), and if its id comes back meanwhile the same object goes on. A new
// object beside it would poll and save the same key at the same time.
func (s *Source) setStreams(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := make(map[string]bool, len(ids))
	for _, id := range ids {
		keep[id] = true
		if st, ok := s.streams[id]; ok {
			s.sched.revive(st)
			continue
		}
		st := newStream(s, id)
		s.streams[id] = st
		s.sched.add(st, s.set.Now())
	}
	for id, st := range s.streams {
		if !keep[id] && s.sched.remove(st) {
			s.forget(st)
		}
	}
}

// forget drops a removed stream that no worker polls: its failure leaves
// the component status and its series the gauges. s.mu is held.
func (s *Source) forget(st *stream) {
	delete(s.streams, st.id)
	s.deps.Observer.StreamRemoved(st.id)
	if s.deps.Status != nil {
		s.deps.Status.StreamRemoved(st.id)
	}
}

// work runs due polls until ctx ends.
func (s *Source) work(ctx context.Context, w *worker) {
	w.bind(ctx)
	for {
		st, ok := s.sched.next(ctx)
		if !ok {
			return
		}
		st.poll(ctx, w)
		if ctx.Err() != nil {
			return
		}
		due := st.nextDue(s.set.Now())
		// Under s.mu, so that setStreams cannot revive the stream between
		// done and forget.
		s.mu.Lock()
		if s.sched.done(st, due) {
			s.forget(st)
		}
		s.mu.Unlock()
	}
}

type nopObserver struct{}

func (nopObserver) Poll(string, int, int, error)         {}
func (nopObserver) InvalidRecords(string, int)           {}
func (nopObserver) CursorLag(string, time.Duration)      {}
func (nopObserver) LastSuccess(string, time.Time)        {}
func (nopObserver) CheckpointError(string)               {}
func (nopObserver) RefusedNextLink(string)               {}
func (nopObserver) TieRead(string)                       {}
func (nopObserver) TieRecordsMissed(string, int)         {}
func (nopObserver) CursorIDsDropped(string, int)         {}
func (nopObserver) StreamRemoved(string)                 {}
func (nopObserver) CursorReadError(string)               {}
func (nopObserver) CursorSetAside(string)                {}
func (nopObserver) DisorderWindow(string, time.Duration) {}
func (nopObserver) PositionRefused(string)               {}
