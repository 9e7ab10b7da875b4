package engine

import (
	"context"
	"fmt"

	"github.com/valyala/fastjson"
)

// Once is the outcome of one poll of one stream run by Source.PollOnce.
type Once struct {
	Pages, Records int
	// Key is the stream's storage key; Cursor the bytes the poll's last
	// checkpoint wrote under it (nil when the poll wrote none: no page).
	Key    string
	Cursor []byte
}

// Streams lists the streams a started source polls first: the configured
// ones, the one stream of an API without streams, or the ids of one
// listing of the discovery request (Make's scenarios of a team).
func (s *Source) Streams(ctx context.Context) ([]string, error) {
	switch {
	case len(s.set.StreamIDs) > 0:
		return s.set.StreamIDs, nil
	case s.set.Spec.Streams.Key == "":
		return []string{defaultStream}, nil
	case s.disc == nil:
		return nil, nil
	}
	var parser fastjson.Parser
	ids, err := s.discover(ctx, &parser)
	if err != nil {
		return nil, fmt.Errorf("%s: listing the streams: %w", s.set.SourceID, s.deps.Redactor.Error(err))
	}
	return ids, nil
}

// PollOnce runs one poll of stream id on the caller's goroutine, as a
// worker would, outside the scheduler (which it neither needs nor touches):
// the one-shot check of cmd/apilogs-check. Pages go to deps.Consumer and
// checkpoints to deps.Store, so the caller decides what is kept; the error
// is redacted.
func (s *Source) PollOnce(ctx context.Context, id string) (Once, error) {
	if s.set.Spec.Streams.Key == "" && len(s.set.StreamIDs) == 0 && id != defaultStream {
		return Once{}, fmt.Errorf("%s: the API has no streams; its one stream is %q", s.set.SourceID, defaultStream)
	}
	w, err := s.newWorker()
	if err != nil {
		return Once{}, err
	}
	w.bind(ctx)
	st := newStream(s, id)
	var once Once
	once.Pages, once.Records, err = st.pollOnce(ctx, w)
	once.Key = st.key
	// A failed poll may have checkpointed pages before it failed.
	cur, loadErr := s.deps.Store.Load(context.WithoutCancel(ctx), st.key)
	once.Cursor = cur
	if err != nil {
		return once, s.deps.Redactor.Error(err)
	}
	if loadErr != nil {
		return once, &StorageError{Op: opRead, Key: st.key, Err: loadErr}
	}
	return once, nil
}
