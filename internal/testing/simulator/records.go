package simulator

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"time"
)

// Timestamp layouts at each API's precision.
const (
	layoutSecond = "2006-01-02T15:04:05Z"
	layoutMilli  = "2006-01-02T15:04:05.000Z"
	layoutMicro  = "2006-01-02T15:04:05.000000Z"
)

func (s *Simulator) registerStores() {
	add := func(as *apiStore, lazy, byInsertion bool) {
		as.lazy, as.byInsertion = lazy, byInsertion || s.opts.DisorderBy > 0 && idOrdered(as.name)
		if s.opts.DisorderBy > 0 || s.opts.FutureBy > 0 {
			as.dated = s.dated
		}
		as.seq.Add(s.idBase())
		s.stores[as.name] = as
	}
	add(newAPIStore(APITinesActionLogs, time.Second, 700, buildTinesAction), true, false)
	add(newAPIStore(APITinesAuditLogs, time.Second, 3_700_000, buildTinesAudit), false, false)
	add(newAPIStore(APIStackOneActionLogs, time.Millisecond, 0, s.buildStackOneRecord), false, false)
	add(newAPIStore(APILogtoLogs, time.Millisecond, 0, buildLogto), false, false)
	add(newAPIStore(APIOMSActionLogs, time.Microsecond, 0, buildOMS), false, true)
	add(newAPIStore(APIMakeScenarioLogs, time.Millisecond, 0, s.buildMakeScenario), true, false)
	add(newAPIStore(APIMakeModuleLogs, time.Millisecond, 0, s.buildMakeModule), true, false)
	add(newAPIStore(APIMakeAuditLogs, time.Millisecond, 0, buildMakeAudit), true, false)
	// Lazy: runs that never ask for them (the chaos run) create none of their records.
	add(newAPIStore(APISlackAuditLogs, time.Second, 0, buildSlackAudit), true, false)
	add(newAPIStore(APIGitHubAuditLog, time.Millisecond, 0, buildGitHubAudit), true, false)
	s.registerPublicStores()
}

// idBase is added to every integer id sequence: 0 unless RunID is set.
func (s *Simulator) idBase() int64 { return s.opts.RunID * 1000 }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs and maps are marshaled
	}
	return b
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.Intn(len(xs))] }

func hex32(rng *rand.Rand) string {
	return fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
}

func uuid(rng *rand.Rand) string {
	h := hex32(rng)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

const nanoAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// standardID mimics Logto's generateStandardId: 21 random lowercase alphanumerics.
func standardID(rng *rand.Rand) string {
	var b [21]byte
	for i := range b {
		b[i] = nanoAlphabet[rng.Intn(len(nanoAlphabet))]
	}
	return string(b[:])
}

// --- Tines ---------------------------------------------------------------

var tinesLevels = []int{3, 3, 3, 3, 3, 2, 2, 4}

type tinesActionLog struct {
	ID           int64  `json:"id"`
	Level        int    `json:"level"`
	Message      string `json:"message"`
	CreatedAt    string `json:"created_at"`
	InboundEvent any    `json:"inbound_event"`
}

func buildTinesAction(st *stream, seq int64, t time.Time) *record {
	rng := st.rng
	lvl := pick(rng, tinesLevels)
	var msg string
	switch lvl {
	case 2:
		msg = fmt.Sprintf("Retrying request to https://example.tines.com/api/v1/stories/ (attempt %d)", 1+rng.Intn(3))
	case 4:
		msg = fmt.Sprintf("Request failed with status %d: upstream error", pick(rng, []int{500, 502, 404, 422}))
	default:
		msg = "Sending request to https://example.tines.com/api/v1/stories/ with options:\n  {\n    \"url\": \"https://example.tines.com/api/v1/stories/\",\n    \"method\": \"get\"\n  }"
	}
	var inbound any
	if rng.Intn(3) == 0 {
		inbound = map[string]any{"id": 90000 + seq, "story_id": 146411, "payload": map[string]any{"ok": true, "n": rng.Intn(100)}}
	}
	body := mustJSON(tinesActionLog{ID: seq, Level: lvl, Message: msg, CreatedAt: t.Format(layoutSecond), InboundEvent: inbound})
	return &record{id: strconv.FormatInt(seq, 10), level: lvl, body: body}
}

var tinesOps = []string{"Login", "GlobalResourceCreation", "StoryItemsMovement", "StoryItemsDestruction", "ActionRun", "ActionLogsClearance", "StoryArchive"}

type tinesUser struct {
	id          int
	email, name string
}

var tinesUsers = []tinesUser{{1234, "example.user@your.domain.tld", "Example User"}, {1301, "ops.bot@your.domain.tld", "Ops Bot"}, {1417, "ana.lopez@your.domain.tld", "Ana Lopez"}}

type tinesAuditLog struct {
	CreatedAt        string `json:"created_at"`
	OperationName    string `json:"operation_name"`
	ID               int64  `json:"id"`
	Inputs           any    `json:"inputs"`
	RequestIP        string `json:"request_ip"`
	RequestUserAgent string `json:"request_user_agent"`
	TenantID         int    `json:"tenant_id"`
	UpdatedAt        string `json:"updated_at"`
	UserEmail        string `json:"user_email"`
	UserID           int    `json:"user_id"`
	UserName         string `json:"user_name"`
}

func buildTinesAudit(st *stream, seq int64, t time.Time) *record {
	rng := st.rng
	op := pick(rng, tinesOps)
	u := pick(rng, tinesUsers)
	var inputs any
	switch op {
	case "Login":
	case "GlobalResourceCreation":
		inputs = map[string]any{"inputs": map[string]any{"teamId": 7485, "name": "fleet_url", "value": "\"https://elastic:9002\"", "readAccess": "TEAM"}}
	case "StoryItemsMovement":
		inputs = map[string]any{"storyId": 146411, "inputs": map[string]any{"actionIds": []int{1348423}, "diagramNoteIds": []int{}, "delta": map[string]int{"x": 62, "y": -34}}}
	default:
		inputs = map[string]any{"storyId": 146411, "actionIds": []int{1348000 + rng.Intn(1000)}}
	}
	ts := t.Format(layoutSecond)
	body := mustJSON(tinesAuditLog{
		CreatedAt: ts, OperationName: op, ID: seq, Inputs: inputs, RequestIP: "216.160.83.56",
		RequestUserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
		TenantID:         1234, UpdatedAt: ts, UserEmail: u.email, UserID: u.id, UserName: u.name,
	})
	return &record{
		id: strconv.FormatInt(seq, 10), body: body,
		tags: map[string]string{"operation_name": op, "user_id": strconv.Itoa(u.id)},
	}
}

// --- StackOne ------------------------------------------------------------

type stackOneActionLog struct {
	LogID              string  `json:"log_id"`
	LogType            string  `json:"log_type"`
	ActionRunID        string  `json:"action_run_id"`
	EventTime          string  `json:"event_time"`
	StartTime          string  `json:"start_time"`
	EndTime            string  `json:"end_time"`
	DurationMs         int64   `json:"duration_ms"`
	ProjectID          string  `json:"project_id"`
	AccountID          string  `json:"account_id"`
	Success            bool    `json:"success"`
	StatusCode         int     `json:"status_code"`
	ConnectorKey       string  `json:"connector_key"`
	ConnectorVersion   string  `json:"connector_version"`
	ConnectorOwner     string  `json:"connector_owner"`
	Mode               string  `json:"mode"`
	HTTPMethod         string  `json:"http_method"`
	URL                string  `json:"url"`
	SourceType         string  `json:"source_type"`
	SourceID           string  `json:"source_id"`
	SourceValue        string  `json:"source_value"`
	AuthType           string  `json:"auth_type"`
	AuthID             string  `json:"auth_id"`
	UserAgent          string  `json:"user_agent"`
	IPAddress          string  `json:"ip_address"`
	SessionID          string  `json:"session_id"`
	AgentID            string  `json:"agent_id"`
	TransportType      string  `json:"transport_type"`
	StreamType         string  `json:"stream_type"`
	IsBackground       bool    `json:"is_background"`
	OriginOwnerID      string  `json:"origin_owner_id"`
	OriginOwnerName    string  `json:"origin_owner_name"`
	ActionID           string  `json:"action_id"`
	ConnectorProfileID string  `json:"connector_profile_id"`
	ActionType         string  `json:"action_type"`
	Category           string  `json:"category"`
	RiskLevel          string  `json:"risk_level"`
	Tier2Score         float64 `json:"tier2_score"`
}

var stackOneStatus = []int{200, 200, 200, 200, 200, 201, 204, 400, 401, 404, 429, 500, 502, 503}

var stackOneConnectors = []struct{ key, category, action, path string }{
	{"workday", "hris", "get_employees", "/unified/hris/employees"},
	{"bamboohr", "hris", "list_time_off", "/unified/hris/time_off"},
	{"greenhouse", "ats", "list_candidates", "/unified/ats/candidates"},
	{"salesforce", "crm", "list_contacts", "/unified/crm/contacts"},
}

func buildStackOne(st *stream, _ int64, t time.Time) *record {
	rng := st.rng
	id := uuid(rng)
	code := pick(rng, stackOneStatus)
	c := pick(rng, stackOneConnectors)
	dur := int64(20 + rng.Intn(2000))
	start := t.Add(-time.Duration(dur) * time.Millisecond)
	method := pick(rng, []string{"GET", "GET", "GET", "POST", "PATCH"})
	risk := pick(rng, []string{"low", "low", "low", "medium", "high"})
	l := stackOneActionLog{
		LogID: id, LogType: "action", ActionRunID: id,
		EventTime: t.Format(layoutMilli), StartTime: start.Format(layoutMilli), EndTime: t.Format(layoutMilli),
		DurationMs: dur, ProjectID: "dev-project-68574", AccountID: "45355976281015164504",
		Success: code < 400, StatusCode: code, ConnectorKey: c.key, ConnectorVersion: "1.0.0", ConnectorOwner: "stackone",
		Mode: "production", HTTPMethod: method, URL: "https://api.stackone.com" + c.path,
		SourceType: pick(rng, []string{"DASHBOARD", "API", "MCP"}), SourceID: "1234567890", SourceValue: "ACCOUNT_TESTER",
		AuthType: "API_KEY", AuthID: "auth-123", UserAgent: "Mozilla/5.0", IPAddress: fmt.Sprintf("192.168.1.%d", 1+rng.Intn(250)),
		SessionID: fmt.Sprintf("session-%d", rng.Intn(1000)), AgentID: "agent-123", TransportType: "HTTP", StreamType: "HTTP",
		IsBackground: rng.Intn(4) == 0, OriginOwnerID: "owner-123", OriginOwnerName: "Test Owner", ActionID: c.action,
		ConnectorProfileID: "profile-123", ActionType: pick(rng, []string{"sync", "async"}), Category: c.category,
		RiskLevel: risk, Tier2Score: float64(rng.Intn(100)) / 100,
	}
	return &record{
		id: id, level: code, body: mustJSON(l), n1: start.UnixMilli(), n2: dur,
		tags: map[string]string{
			"success": strconv.FormatBool(l.Success), "status_code": strconv.Itoa(code),
			"action_id": c.action, "connector_key": c.key, "http_method": method, "action_run_id": id,
			"category": c.category, "mode": l.Mode,
		},
	}
}

// --- Logto ---------------------------------------------------------------

var logtoKeys = []string{
	"Interaction.SignIn.Submit", "Interaction.Create", "Interaction.End", "ExchangeTokenBy.RefreshToken",
	"ExchangeTokenBy.AuthorizationCode", "ExchangeTokenBy.ClientCredentials", "RevokeToken", "Action.PostSignIn",
}

type logtoLog struct {
	TenantID  string         `json:"tenantId"`
	ID        string         `json:"id"`
	Key       string         `json:"key"`
	Payload   map[string]any `json:"payload"`
	CreatedAt int64          `json:"createdAt"`
}

func buildLogto(st *stream, _ int64, t time.Time) *record {
	rng := st.rng
	id := standardID(rng)
	key := pick(rng, logtoKeys)
	user := fmt.Sprintf("u%06d", rng.Intn(40))
	app := pick(rng, []string{"demo-spa-app", "demo-m2m-app", "admin-console"})
	payload := map[string]any{
		"key": key, "result": "Success", "ip": fmt.Sprintf("10.0.%d.%d", rng.Intn(10), 1+rng.Intn(250)),
		"userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
		"userAgentParsed": map[string]any{
			"ua":      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
			"browser": map[string]string{"name": "Chrome", "version": "126.0", "major": "126"},
			"device":  map[string]string{}, "engine": map[string]string{"name": "Blink", "version": "126.0"},
			"os": map[string]string{"name": "Linux", "version": "x86_64"}, "cpu": map[string]string{"architecture": "amd64"},
		},
		"userId": user, "applicationId": app, "sessionId": standardID(rng),
		"params": map[string]any{"grant_type": strings.ToLower(strings.TrimPrefix(key, "ExchangeTokenBy."))},
	}
	if rng.Intn(5) == 0 {
		payload["result"] = "Error"
		payload["error"] = map[string]any{"code": "session.invalid_credentials", "message": "Invalid credentials. Please check your input."}
	}
	body := mustJSON(logtoLog{TenantID: "default", ID: id, Key: key, Payload: payload, CreatedAt: t.UnixMilli()})
	return &record{id: id, body: body, tags: map[string]string{"logKey": key, "userId": user, "applicationId": app}}
}

// --- Akinon OMS ----------------------------------------------------------

var omsLevels = []int{20, 20, 20, 20, 10, 30, 30, 40, 50, 0, 25}

type omsActionLog struct {
	ID         int64  `json:"id"`
	Level      int    `json:"level"`
	LoggerName string `json:"logger_name"`
	Message    string `json:"message"`
	AppName    string `json:"app_name"`
	Trace      string `json:"trace"`
	CreatedAt  string `json:"created_at"`
}

func buildOMS(st *stream, seq int64, t time.Time) *record {
	rng := st.rng
	lvl := pick(rng, omsLevels)
	logger := pick(rng, []string{"oms.orders", "oms.packages", "oms.transfers", "oms.integrations.erp"})
	trace := ""
	if lvl >= 40 {
		trace = "Traceback (most recent call last):\n  File \"/app/oms/orders/tasks.py\", line 88, in sync_order\n    raise IntegrationError(\"ERP timeout\")\nIntegrationError: ERP timeout"
	}
	body := mustJSON(omsActionLog{
		ID: seq, Level: lvl, LoggerName: logger,
		Message: fmt.Sprintf("Order %d %s", 100000+rng.Intn(900000), pick(rng, []string{"created", "packaged", "shipped", "sync failed", "cancelled"})),
		AppName: pick(rng, []string{"oms", "oms", "wms"}), Trace: trace, CreatedAt: t.Format(layoutMicro),
	})
	return &record{id: strconv.FormatInt(seq, 10), level: lvl, body: body}
}
