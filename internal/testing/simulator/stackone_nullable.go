package simulator

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// StackOne's ActionLog has event_time, start_time, end_time, success and
// status_code all nullable (stackone-client-ruby docs/models/shared/actionlog.md).
// With Options.StackOneNullable the simulator serves such records, in a fixed
// rotation so that a few dozen records hold every case:
//
//   - by creation number mod 5: 0 has event_time null and start_time at the
//     record's time (end_time later), 1 has only end_time (at the record's
//     time), the others keep all three;
//   - by creation number mod 12: 0..3 have success null with status 200, 404,
//     503 or null; 4 and 5 have success false with status 200 or null; 6 has
//     success null with status 302; the others keep what they were built with.
//
// The record's time, which the time filter and event_time ordering use, is the
// time a receiver should read: event_time, else start_time, else end_time.

// stackOneTimeVariant and stackOneSeverityVariant pick a record's case.
func stackOneTimeVariant(seq int64) int64     { return seq % 5 }
func stackOneSeverityVariant(seq int64) int64 { return seq % 12 }

// buildStackOneRecord is buildStackOne, with nullable fields when the option
// asks for them.
func (s *Simulator) buildStackOneRecord(st *stream, seq int64, t time.Time) *record {
	r := buildStackOne(st, seq, t)
	if s.opts.StackOneNullable {
		nullifyStackOne(r, seq, t)
	}
	return r
}

func nullifyStackOne(r *record, seq int64, t time.Time) {
	var l stackOneActionLog
	if err := json.Unmarshal(r.body, &l); err != nil {
		panic(err) // the body was rendered from this struct
	}
	body := r.body
	set := func(field, old, repl string) {
		from := []byte(`"` + field + `":` + old)
		if !bytes.Contains(body, from) {
			panic("simulator: StackOne field " + field + " not found") // the struct's JSON changed
		}
		body = bytes.Replace(body, from, []byte(`"`+field+`":`+repl), 1)
	}
	quoted := strconv.Quote
	switch stackOneTimeVariant(seq) {
	case 0: // event_time null: the record's time is its start_time
		set("event_time", quoted(l.EventTime), "null")
		set("start_time", quoted(l.StartTime), quoted(t.Format(layoutMilli)))
		set("end_time", quoted(l.EndTime), quoted(t.Add(time.Duration(l.DurationMs)*time.Millisecond).Format(layoutMilli)))
		r.n1 = t.UnixMilli()
	case 1: // only end_time, at the record's time
		set("event_time", quoted(l.EventTime), "null")
		set("start_time", quoted(l.StartTime), "null")
		r.n1 = 0
	}
	status := func(code int) {
		repl := "null"
		if code != 0 {
			repl = strconv.Itoa(code)
		}
		set("status_code", strconv.Itoa(l.StatusCode), repl)
		r.level = code
		r.tags["status_code"] = strconv.Itoa(code)
		if code == 0 {
			r.tags["status_code"] = ""
		}
	}
	success := func(v *bool) {
		repl, tag := "null", ""
		if v != nil {
			repl, tag = strconv.FormatBool(*v), strconv.FormatBool(*v)
		}
		set("success", strconv.FormatBool(l.Success), repl)
		r.tags["success"] = tag
	}
	f := false
	switch v := stackOneSeverityVariant(seq); v {
	case 0, 1, 2, 3:
		success(nil)
		status([]int{200, 404, 503, 0}[v])
	case 4, 5:
		success(&f)
		status([]int{200, 0}[v-4])
	case 6:
		success(nil)
		status(302)
	}
	r.body = body
}
