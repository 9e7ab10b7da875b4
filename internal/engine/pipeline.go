package engine

import (
	"context"
	"errors"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
)

// committer hands mapped pages to the pipeline and checkpoints them, in
// order, on its own goroutine, while the poll goes on fetching, decoding and
// mapping the next page. The poll works on the state as it will be once the
// page is accepted; should the pipeline refuse a page, the poll stops and the
// stream goes back to the last state the committer saved, so nothing is
// checkpointed ahead of what the pipeline accepted.
type committer struct {
	st  *stream
	ctx context.Context
	// saveCtx is the delivery context, not the poll's: a checkpoint follows
	// a page the pipeline accepted while Stop lets deliveries finish, and
	// ends only when Stop gives up on them.
	saveCtx context.Context
	queue   chan commit
	done    chan struct{}

	mu  sync.Mutex
	err error
	// saveErr is a failed write of an accepted page's state: the state is
	// kept in memory (saved, and the stream's unsaved), and what follows
	// is not delivered until a write succeeds (storage.go).
	saveErr error
	saved   *cursor.State // the last state of an accepted page (written unless saveErr)
	pages   int
	records int
	// accepted are the ids of the chunks of a page accepted since the last
	// checkpoint (see mapPage).
	accepted []string
}

// commit is one page: its records (nil when none was new) and the state to
// write once they are accepted; or one chunk of a page delivered in chunks
// (state nil: no checkpoint; ids are its records').
type commit struct {
	ld    plog.Logs
	n     int
	state *cursor.State
	ids   []string
}

func newCommitter(ctx context.Context, st *stream) *committer {
	c := &committer{
		st:      st,
		ctx:     ctx,
		saveCtx: st.src.deliveryContext(ctx),
		queue:   make(chan commit, 1), // one page mapped ahead of the one being delivered
		done:    make(chan struct{}),
		saved:   cursor.Clone(st.cur.State),
	}
	go c.run()
	return c
}

func (c *committer) run() {
	defer close(c.done)
	for item := range c.queue {
		if c.failed() {
			continue // drop what was mapped after a refused page
		}
		if item.n > 0 {
			if err := c.st.consume(c.ctx, item.ld, item.n); err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				continue
			}
		}
		if item.state == nil { // a chunk: the page's last one checkpoints
			c.mu.Lock()
			c.records += item.n
			c.accepted = append(c.accepted, item.ids...)
			c.mu.Unlock()
			continue
		}
		saveErr := c.st.saveState(c.saveCtx, item.state)
		c.mu.Lock()
		c.saveErr = saveErr
		c.saved = item.state
		c.pages++
		c.records += item.n
		c.accepted = c.accepted[:0]
		c.mu.Unlock()
	}
}

// failed reports whether the committer delivers no more: the pipeline
// refused a page, or a page's state could not be written.
func (c *committer) failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err != nil || c.saveErr != nil
}

// send queues a page; it waits while another page is already queued.
func (c *committer) send(item commit) { c.queue <- item }

// finish waits for every queued page. On a refused page the stream's state
// goes back to the last saved one, and the ids of chunks of that page the
// pipeline did accept are kept in the stream (partial) until its walk ends,
// so that reading the page again skips them. After a failed write, the
// state goes back to the last accepted page's, which the stream keeps to
// write again (unsaved). It returns the pages and records accepted.
func (c *committer) finish() (pages, records int, err error) {
	close(c.queue)
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil || c.saveErr != nil {
		c.st.cur.Restore(c.saved)
	}
	if c.saveErr != nil {
		c.st.unsaved = c.saved
	}
	c.st.keepPartial(c.accepted, c.err == nil && c.st.cur.State.Walk == nil)
	return c.pages, c.records, errors.Join(c.err, c.saveErr)
}
