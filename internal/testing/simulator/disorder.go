package simulator

import "time"

// Servers whose records are dated out of step with their ids, both off by
// default (Options.DisorderBy, Options.FutureBy).
//
// Disorder: Akinon OMS (Django) sets created_at when a request starts and
// the row gets its id when it commits, so a slow request writes a record
// with a higher id that is older than records written after it; Tines lists
// by id as well (audit logs by descending id). Every DisorderEvery-th record
// created in a stream is dated DisorderBy before the record created just
// before it, and those APIs list it where its id puts it. Logto, StackOne
// and Make sort by time (Logto: order by created_at; StackOne:
// order_by=event_time; Make: by imtId, which begins with the time), so
// there such a record shows as a late one, in its place by time: the case
// settle is for.
//
// Future: every FutureEvery-th record created in a stream is dated FutureBy
// after its creation (a vendor's clock, a bad import).

// idOrdered reports whether api lists records by id, so that a record dated
// out of step shows where its id puts it.
func idOrdered(api string) bool {
	return api == APITinesActionLogs || api == APITinesAuditLogs || api == APIOMSActionLogs
}

// dated is the time a new record of st gets instead of t (at creation, under
// the stream lock), and counts the records dated out of step.
func (s *Simulator) dated(st *stream, t time.Time) time.Time {
	st.made++
	prev := st.prevT
	st.prevT = t
	o := &s.opts
	switch {
	case o.DisorderBy > 0 && st.made%int64(o.DisorderEvery) == 0:
		s.disordered.Add(1)
		if prev.IsZero() || prev.After(t) {
			prev = t
		}
		return prev.Add(-o.DisorderBy)
	case o.FutureBy > 0 && st.made%int64(o.FutureEvery) == 0:
		s.future.Add(1)
		return t.Add(o.FutureBy)
	}
	return t
}
