package simulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Make ids: a scenario's team is scenarioId/1000 (so team T lists scenarios
// T*1000+1..3); small scenario ids belong to team 27 like the SDK mocks.
func makeTeamOf(sid int) int {
	if sid >= 1000 {
		return sid / 1000
	}
	return 27
}

var makeStatusMix = []int{1, 1, 1, 1, 1, 1, 2, 3}

type makeScenarioLog struct {
	ImtID          string `json:"imtId"`
	Duration       int    `json:"duration"`
	Operations     int    `json:"operations"`
	Transfer       int    `json:"transfer"`
	Centicredits   int    `json:"centicredits"`
	OrganizationID int    `json:"organizationId"`
	TeamID         int    `json:"teamId"`
	ID             string `json:"id"`
	Type           string `json:"type"`
	AuthorID       *int   `json:"authorId"`
	Instant        bool   `json:"instant"`
	Timestamp      string `json:"timestamp"`
	Status         int    `json:"status"`
}

func (s *Simulator) buildMakeScenario(st *stream, _ int64, t time.Time) *record {
	rng := st.rng
	sid, _ := strconv.Atoi(st.name)
	id := hex32(rng)
	typ, instant := "auto", false
	var author *int
	if rng.Intn(8) == 0 {
		a := 5
		typ, author, instant = "manual", &a, true
	}
	status := pick(rng, makeStatusMix)
	ops := 1 + rng.Intn(20)
	imt := fmt.Sprintf("%d_scenario.%d.%s.%s", t.UnixMilli(), sid, typ, id)
	body := mustJSON(makeScenarioLog{
		ImtID: imt, Duration: 200 + rng.Intn(20000), Operations: ops, Transfer: rng.Intn(5000),
		Centicredits: ops * 100, OrganizationID: s.opts.MakeOrganizationID, TeamID: makeTeamOf(sid), ID: id, Type: typ,
		AuthorID: author, Instant: instant, Timestamp: t.Format(layoutMilli), Status: status,
	})
	rec := &record{id: id, level: status, body: body, tags: map[string]string{"imtId": imt}}
	if lists := s.opts.MakePendingLists; len(lists) > 0 {
		n := lists[(s.makeRuns.Add(1)-1)%int64(len(lists))]
		if n > 0 {
			rec.pending = &pendingRun{body: mustJSON(makeScenarioLog{
				ImtID: imt, OrganizationID: s.opts.MakeOrganizationID, TeamID: makeTeamOf(sid), ID: id, Type: typ,
				AuthorID: author, Instant: instant, Timestamp: t.Format(layoutMilli), Status: 0,
			})}
			rec.pending.left.Store(int64(n))
			rec.pending.lists = int64(n)
		}
	}
	return rec
}

type makeMessage struct {
	Message string `json:"message"`
}

type makeModuleLog struct {
	ImtID          string       `json:"imtId"`
	ExecutionID    string       `json:"executionId"`
	OrganizationID int          `json:"organizationId"`
	TeamID         int          `json:"teamId"`
	ScenarioID     int          `json:"scenarioId"`
	Timestamp      string       `json:"timestamp"`
	Status         int          `json:"status"`
	Bundles        int          `json:"bundles"`
	Size           int          `json:"size"`
	Warning        *makeMessage `json:"warning,omitempty"`
	Error          *makeMessage `json:"error,omitempty"`
}

// buildMakeModule: module streams are named "<scenarioId>/<moduleId>".
func (s *Simulator) buildMakeModule(st *stream, _ int64, t time.Time) *record {
	rng := st.rng
	sidStr, _, _ := strings.Cut(st.name, "/")
	sid, _ := strconv.Atoi(sidStr)
	exec := hex32(rng)
	status := pick(rng, makeStatusMix)
	l := makeModuleLog{
		ImtID: fmt.Sprintf("%d_scenario.%d.auto.%s", t.UnixMilli(), sid, exec), ExecutionID: exec,
		OrganizationID: s.opts.MakeOrganizationID, TeamID: makeTeamOf(sid), ScenarioID: sid, Timestamp: t.Format(layoutMilli),
		Status: status, Bundles: 1 + rng.Intn(10), Size: 100 + rng.Intn(9000),
	}
	switch status {
	case 2:
		l.Warning = &makeMessage{Message: "Validation failed for 1 parameter(s). Skipping the bundle."}
	case 3:
		l.Error = &makeMessage{Message: "Request failed with status code 502"}
	}
	return &record{id: exec, level: status, body: mustJSON(l), tags: map[string]string{"imtId": l.ImtID}}
}

var makeAuditEvents = []string{"webhook_created", "webhook_deleted", "scenario_created", "scenario_updated", "connection_created", "user_invited", "key_deleted"}

type makeAuditLog struct {
	UUID           string         `json:"uuid"`
	ImtID          string         `json:"imtId"`
	CreatedAt      string         `json:"createdAt"`
	TriggeredAt    string         `json:"triggeredAt"`
	OrganizationID int            `json:"organizationId"`
	Organization   map[string]any `json:"organization"`
	EventName      string         `json:"eventName"`
	Team           map[string]any `json:"team"`
	Actor          map[string]any `json:"actor"`
	TargetID       string         `json:"targetId"`
	Version        map[string]any `json:"version,omitempty"`
}

// buildMakeAudit: audit streams are named by organization id.
func buildMakeAudit(st *stream, _ int64, t time.Time) *record {
	rng := st.rng
	org, _ := strconv.Atoi(st.name)
	id := hex32(rng)
	event := pick(rng, makeAuditEvents)
	actor := map[string]any{"id": 212, "name": "John Doe", "email": "john.doe@example.com"}
	if rng.Intn(4) == 0 {
		actor = map[string]any{"id": 213, "anonymized": true}
	}
	teamID := 212 + rng.Intn(2)
	l := makeAuditLog{
		UUID: id, ImtID: fmt.Sprintf("%d_%s", t.UnixMilli(), id),
		CreatedAt: t.Add(time.Duration(rng.Intn(900)) * time.Millisecond).Format(layoutMilli), TriggeredAt: t.Format(layoutMilli),
		OrganizationID: org, Organization: map[string]any{"id": org, "name": fmt.Sprintf("Organization %d", org)},
		EventName: event, Team: map[string]any{"id": teamID, "name": "Operations"}, Actor: actor,
		TargetID: strconv.Itoa(3000 + rng.Intn(1000)),
	}
	if strings.HasSuffix(event, "_updated") {
		l.Version = map[string]any{"from": "1.0.0", "to": "1.0.1"}
	}
	return &record{id: id, body: mustJSON(l), tags: map[string]string{"imtId": l.ImtID, "event": event, "team": strconv.Itoa(teamID)}}
}
