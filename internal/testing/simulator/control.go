package simulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// RecordRef identifies one created record: what a lossless, duplicate-free
// receiver must have emitted exactly once.
type RecordRef struct {
	Stream string    `json:"stream"` // "" for singleton APIs; "<scenarioId>/<moduleId>" for Make module logs
	ID     string    `json:"id"`
	Time   time.Time `json:"time"`
	// Level is the record's final level or status as the API reports it
	// (Tines and OMS level, Make status, StackOne status code).
	Level int `json:"level,omitempty"`
}

// Records lists every record ever created for an API (bench records excluded:
// they are ids 1..BenchRecords of the bench action).
func (s *Simulator) Records(api string) []RecordRef {
	as := s.stores[api]
	if as == nil {
		return nil
	}
	all := as.allRecords()
	out := make([]RecordRef, len(all))
	for i, r := range all {
		out[i] = RecordRef{Stream: r.stream, ID: r.id, Time: r.t, Level: r.level}
	}
	return out
}

// RecordBody is the JSON object an API's list answer shows for a record named
// as Records names it (stream and id), or nil when there is none: what a log
// store must show field by field.
func (s *Simulator) RecordBody(api, stream, id string) []byte {
	as := s.stores[api]
	if as == nil {
		return nil
	}
	r := as.lookup(as.get(stream, false, nil), id)
	if r == nil {
		return nil
	}
	return r.body
}

func (s *Simulator) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/records", s.ctlRecords)
	mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Stats()) })
	mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"faults": s.Faults()})
	})
	mux.HandleFunc("POST /_sim/faults", s.ctlSetFault)
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/pause", func(w http.ResponseWriter, _ *http.Request) {
		s.Pause()
		writeJSON(w, http.StatusOK, map[string]bool{"paused": true})
	})
	mux.HandleFunc("POST /_sim/resume", func(w http.ResponseWriter, _ *http.Request) {
		s.Resume()
		writeJSON(w, http.StatusOK, map[string]bool{"paused": false})
	})
	mux.HandleFunc("POST /_sim/add", s.ctlAdd)
	mux.HandleFunc("GET /_sim/foreign", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"url": s.ForeignURL(), "requests": s.ForeignRequests()})
	})
}

// ctlRecords hand-renders the list: it must stay fast for ~100k records.
func (s *Simulator) ctlRecords(w http.ResponseWriter, r *http.Request) {
	api := r.URL.Query().Get("api")
	as := s.stores[api]
	if as == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unknown api", "apis": recordAPIs()})
		return
	}
	all := as.allRecords()
	buf := make([]byte, 0, 64+len(all)*80)
	buf = append(buf, `{"api":`...)
	buf = strconv.AppendQuote(buf, api)
	buf = append(buf, `,"records":[`...)
	for i, rec := range all {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"stream":`...)
		buf = strconv.AppendQuote(buf, rec.stream)
		buf = append(buf, `,"id":`...)
		buf = strconv.AppendQuote(buf, rec.id)
		buf = append(buf, `,"time":"`...)
		buf = rec.t.AppendFormat(buf, time.RFC3339Nano)
		buf = append(buf, '"')
		if rec.level != 0 {
			buf = append(buf, `,"level":`...)
			buf = strconv.AppendInt(buf, int64(rec.level), 10)
		}
		buf = append(buf, '}')
	}
	buf = append(buf, "]}"...)
	writeRaw(w, http.StatusOK, buf)
}

func (s *Simulator) ctlSetFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if err := s.SetFault(f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.Faults()})
}

// ctlAdd: POST /_sim/add {"api","stream","n","at"} creates n tied records (at defaults to now).
func (s *Simulator) ctlAdd(w http.ResponseWriter, r *http.Request) {
	var req struct {
		API    string    `json:"api"`
		Stream string    `json:"stream"`
		N      int       `json:"n"`
		At     time.Time `json:"at"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if !slices.Contains(recordAPIs(), req.API) || req.N < 1 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "api must be a known api and n >= 1"})
		return
	}
	if req.At.IsZero() {
		req.At = time.Now()
	}
	s.AddRecords(req.API, req.Stream, req.N, req.At)
	writeJSON(w, http.StatusOK, map[string]any{"created": req.N})
}
