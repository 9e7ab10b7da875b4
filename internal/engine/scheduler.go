package engine

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// scheduler hands due streams to workers. A stream is out of the queue while
// a worker polls it (busy), so no stream is ever polled twice at once, and
// thousands of idle streams cost one timer, not one goroutine each.
type scheduler struct {
	now   func() time.Time
	mu    sync.Mutex
	queue streamQueue
	ready chan *stream
	wake  chan struct{}
}

func newScheduler(now func() time.Time) *scheduler {
	return &scheduler{now: now, ready: make(chan *stream), wake: make(chan struct{}, 1)}
}

func (s *scheduler) add(st *stream, due time.Time) {
	s.mu.Lock()
	st.due, st.removed = due, false
	heap.Push(&s.queue, st)
	s.mu.Unlock()
	s.poke()
}

// remove takes st off the schedule and reports whether it is idle. A busy
// stream (handed to a worker) finishes its poll; done then reports it gone,
// unless revive took it back meanwhile.
func (s *scheduler) remove(st *stream) (idle bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.removed = true
	if st.index >= 0 {
		heap.Remove(&s.queue, st.index)
	}
	return !st.busy
}

// revive undoes remove for a stream that is still busy: done puts it back.
func (s *scheduler) revive(st *stream) {
	s.mu.Lock()
	st.removed = false
	s.mu.Unlock()
}

// done puts a polled stream back, due at the given time, or reports it gone
// when it was removed during its poll.
func (s *scheduler) done(st *stream, due time.Time) (gone bool) {
	s.mu.Lock()
	st.busy = false
	if st.removed {
		s.mu.Unlock()
		return true
	}
	st.due = due
	heap.Push(&s.queue, st)
	s.mu.Unlock()
	s.poke()
	return false
}

func (s *scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// next blocks until a stream is due or ctx ends.
func (s *scheduler) next(ctx context.Context) (*stream, bool) {
	select {
	case st := <-s.ready:
		return st, true
	case <-ctx.Done():
		return nil, false
	}
}

// run moves due streams to the workers.
func (s *scheduler) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		var st *stream
		wait := time.Hour
		if len(s.queue) > 0 {
			if d := s.queue[0].due.Sub(s.now()); d <= 0 {
				st = heap.Pop(&s.queue).(*stream)
				st.busy = true
			} else {
				wait = d
			}
		}
		s.mu.Unlock()
		if st != nil {
			select {
			case s.ready <- st:
				continue
			case <-ctx.Done():
				return
			}
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-s.wake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		case <-ctx.Done():
			return
		}
	}
}

// streamQueue is a min-heap of streams by due time.
type streamQueue []*stream

func (q streamQueue) Len() int           { return len(q) }
func (q streamQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q streamQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

func (q *streamQueue) Push(x any) {
	st := x.(*stream)
	st.index = len(*q)
	*q = append(*q, st)
}

func (q *streamQueue) Pop() any {
	old := *q
	n := len(old)
	st := old[n-1]
	old[n-1] = nil
	st.index = -1
	*q = old[:n-1]
	return st
}
