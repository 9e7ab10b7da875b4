// Package chaosrun holds what the end-to-end tests and the chaos command share:
// the collector configuration for the simulator's APIs, the collector process,
// and the loss/duplicate accounting against the simulator's record list.
package chaosrun

import (
	"strings"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// Receiver is one api_logs receiver pointed at the simulator.
type Receiver struct {
	ID string // receiver id without the "api_logs/" prefix
	// API is the value the records carry in api_logs.api ("custom" for a custom spec).
	API string
	// SimAPI is the simulator API whose records the receiver reads.
	SimAPI string
	// Settings are the receiver's own YAML lines (api, endpoint, credentials, streams),
	// without indentation; the common polling settings are added by the config writer.
	Settings []string
	// Secrets are the credential values that must never show up in the collector's output.
	Secrets []string
	// Streams is how many streams the receiver polls (for the duplicate bound).
	Streams int
	// SimStreams are the simulator streams the receiver reads; a lazily created
	// stream only appears in the simulator's record list once it was requested.
	SimStreams []string
	// PageSize overrides Config.PageSize for this receiver (0: use Config.PageSize).
	PageSize int
	// RequestsPerMinute overrides Config.RequestsPerMinute for this receiver
	// (0: use Config.RequestsPerMinute).
	RequestsPerMinute int
	// TiePageSize is the page size of the receiver's tie reads, where the API
	// orders records sharing a timestamp anew on every request (Logto: its
	// largest page); 0: none. A SIGKILL during a tie read repeats up to one
	// such page.
	TiePageSize int
}

// Receiver ids of the built-in set.
const (
	TinesActions  = "tines_actions"
	TinesAudit    = "tines_audit"
	StackOne      = "stackone"
	Logto         = "logto"
	OMS           = "oms"
	MakeScenarios = "make_scenarios"
	MakeModules   = "make_modules"
	MakeAudit     = "make_audit"
	CustomAudit   = "custom_tines_audit"
)

// BuiltinReceivers returns one receiver per built-in API, all reading the simulator at simURL.
func BuiltinReceivers(simURL string) []Receiver {
	k := simulator.DefaultKeys()
	return []Receiver{
		{
			ID: TinesActions, API: simulator.APITinesActionLogs, SimAPI: simulator.APITinesActionLogs, Streams: 2,
			SimStreams: []string{"1001", "1002"}, Secrets: []string{k.Tines},
			Settings: []string{"api: tines_action_logs", "endpoint: " + simURL + "/tines", "api_key: " + k.Tines, "action_ids: [1001, 1002]"},
		},
		{
			ID: TinesAudit, API: simulator.APITinesAuditLogs, SimAPI: simulator.APITinesAuditLogs, Streams: 1,
			SimStreams: []string{""}, Secrets: []string{k.Tines},
			Settings: []string{"api: tines_audit_logs", "endpoint: " + simURL + "/tines", "api_key: " + k.Tines},
		},
		{
			ID: StackOne, API: simulator.APIStackOneActionLogs, SimAPI: simulator.APIStackOneActionLogs, Streams: 1,
			SimStreams: []string{""}, Secrets: []string{k.StackOne},
			Settings: []string{"api: stackone_action_logs", "endpoint: " + simURL + "/stackone", "api_key: " + k.StackOne},
		},
		{
			ID: Logto, API: simulator.APILogtoLogs, SimAPI: simulator.APILogtoLogs, Streams: 1, TiePageSize: logtoMaxPage,
			SimStreams: []string{""}, Secrets: []string{k.LogtoClientSecret},
			Settings: []string{"api: logto_logs", "endpoint: " + simURL + "/logto", "client_id: " + k.LogtoClientID, "client_secret: " + k.LogtoClientSecret, "resource: " + simulator.LogtoResource},
		},
		{
			ID: OMS, API: simulator.APIOMSActionLogs, SimAPI: simulator.APIOMSActionLogs, Streams: 1,
			SimStreams: []string{""}, Secrets: []string{k.OMS},
			Settings: []string{"api: oms_action_logs", "endpoint: " + simURL + "/oms", "api_key: " + k.OMS},
		},
		// Team 7 owns scenarios 7001..7003 in the simulator: the streams come from discovery.
		{
			ID: MakeScenarios, API: simulator.APIMakeScenarioLogs, SimAPI: simulator.APIMakeScenarioLogs, Streams: 3,
			SimStreams: []string{"7001", "7002", "7003"}, Secrets: []string{k.Make},
			Settings: []string{"api: make_scenario_logs", "endpoint: " + simURL + "/make", "api_key: " + k.Make, "team_id: 7"},
		},
		{
			ID: MakeModules, API: simulator.APIMakeModuleLogs, SimAPI: simulator.APIMakeModuleLogs, Streams: 2,
			SimStreams: []string{"7001/1", "7001/2"}, Secrets: []string{k.Make},
			Settings: []string{"api: make_module_logs", "endpoint: " + simURL + "/make", "api_key: " + k.Make, "scenario_id: 7001", "module_ids: [1, 2]"},
		},
		{
			ID: MakeAudit, API: simulator.APIMakeAuditLogs, SimAPI: simulator.APIMakeAuditLogs, Streams: 1,
			SimStreams: []string{"21"}, Secrets: []string{k.Make},
			Settings: []string{"api: make_audit_logs", "endpoint: " + simURL + "/make", "api_key: " + k.Make, "organization_id: 21"},
		},
	}
}

// CustomTinesAudit reads Tines audit logs through an `api: custom` receiver
// whose spec is a copy of the built-in one, with `body: record`: the
// record as the body and the message as an attribute, as before messages.
func CustomTinesAudit(simURL string) Receiver {
	k := simulator.DefaultKeys()
	settings := []string{"api: custom", "endpoint: " + simURL + "/tines", "api_key: " + k.Tines, "body: record", "custom:"}
	for _, line := range strings.Split(strings.TrimSpace(TinesAuditSpec), "\n") {
		settings = append(settings, "  "+line)
	}
	return Receiver{
		ID: CustomAudit, API: "custom", SimAPI: simulator.APITinesAuditLogs, Streams: 1,
		SimStreams: []string{""}, Secrets: []string{k.Tines}, Settings: settings,
	}
}

// Select keeps the receivers with the given ids, in the given order.
func Select(all []Receiver, ids ...string) []Receiver {
	out := make([]Receiver, 0, len(ids))
	for _, id := range ids {
		for _, r := range all {
			if r.ID == id {
				out = append(out, r)
			}
		}
	}
	return out
}

// ReceiverStream is the api_logs.stream value of a simulator stream: Make module
// streams are "<scenarioId>/<moduleId>" in the simulator and the module id in the
// receiver; single-stream APIs are "default".
func ReceiverStream(simAPI, simStream string) string {
	switch simAPI {
	case simulator.APITinesActionLogs, simulator.APIMakeScenarioLogs:
		return simStream
	case simulator.APIMakeModuleLogs:
		if i := strings.LastIndexByte(simStream, '/'); i >= 0 {
			return simStream[i+1:]
		}
		return simStream
	default:
		return "default"
	}
}
