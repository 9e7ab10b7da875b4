package simulator

import (
	"net/http"
	"strconv"
	"sync"
)

// access is what a token may read, as a vendor's admin changes it while the
// receiver runs: a stream whose every request is refused (a Make scenario
// the token lost, a Tines action moved to another team) and Make scenarios
// missing from the team's listing (deleted, or a listing that flickers).
// The zero value refuses nothing and hides nothing.
type access struct {
	mu      sync.Mutex
	revoked map[streamKey]int // status answered
	hidden  map[int]bool      // scenario ids left out of the listing
}

// Revoke makes every request of one stream (the simulator's stream name:
// a Tines action id, a Make scenario id, "7001/1" for a Make module) answer
// status, 401 or 403, until Restore.
func (s *Simulator) Revoke(api, stream string, status int) {
	s.access.mu.Lock()
	defer s.access.mu.Unlock()
	if s.access.revoked == nil {
		s.access.revoked = map[streamKey]int{}
	}
	s.access.revoked[streamKey{api, stream}] = status
}

// Restore undoes Revoke.
func (s *Simulator) Restore(api, stream string) {
	s.access.mu.Lock()
	defer s.access.mu.Unlock()
	delete(s.access.revoked, streamKey{api, stream})
}

// HideScenario leaves a Make scenario out of its team's listing (hidden) or
// lists it again; its logs stay readable.
func (s *Simulator) HideScenario(id int, hidden bool) {
	s.access.mu.Lock()
	defer s.access.mu.Unlock()
	if s.access.hidden == nil {
		s.access.hidden = map[int]bool{}
	}
	s.access.hidden[id] = hidden
}

func (s *Simulator) scenarioHidden(id int) bool {
	s.access.mu.Lock()
	defer s.access.mu.Unlock()
	return s.access.hidden[id]
}

// refuse answers a revoked stream's request with its status and reports
// whether it did.
func (s *Simulator) refuse(w http.ResponseWriter, key streamKey) bool {
	s.access.mu.Lock()
	code := s.access.revoked[key]
	s.access.mu.Unlock()
	if code == 0 {
		return false
	}
	writeJSON(w, code, map[string]any{"error": http.StatusText(code), "message": "access to " + key.api + " stream " + strconv.Quote(key.stream) + " denied"})
	return true
}
