package engine

import (
	"context"
	"sync/atomic"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// stopOnFirstAnswer is a Doer that, once the first answer is in hand, stops
// the source and holds the answer back until the poll's context is
// cancelled: the engine receives the page with the stop already signaled,
// whatever the machine's speed.
type stopOnFirstAnswer struct {
	Doer
	stop      func()
	requests  atomic.Int32
	cancelled atomic.Bool // the poll's context ended before the page was handed over
}

func (d *stopOnFirstAnswer) Do(ctx context.Context, r httpclient.Request) (*httpclient.Response, error) {
	resp, err := d.Doer.Do(ctx, r)
	if d.requests.Add(1) == 1 && err == nil {
		go d.stop()
		<-ctx.Done()
		d.cancelled.Store(true)
	}
	return resp, err
}
