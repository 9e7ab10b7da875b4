package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// namespaces are the attributes under which each API writes its records'
// fields (records.attributes_namespace of the built-in specs), restated.
var namespaces = map[string]string{
	simulator.APITinesActionLogs: "tines", simulator.APITinesAuditLogs: "tines",
	simulator.APIStackOneActionLogs: "stackone", simulator.APILogtoLogs: "logto", simulator.APIOMSActionLogs: "oms",
	simulator.APIMakeScenarioLogs: "make", simulator.APIMakeModuleLogs: "make", simulator.APIMakeAuditLogs: "make",
}

// recordFields are the vendor fields of a delivered record of simAPI: the
// map attribute of its namespace (the body is the message) or, with `body:
// record`, its body.
func recordFields(simAPI string, lr plog.LogRecord) map[string]any {
	if lr.Body().Type() == pcommon.ValueTypeMap {
		return lr.Body().Map().AsRaw()
	}
	fields, _ := lr.Attributes().AsRaw()[namespaces[simAPI]].(map[string]any)
	return fields
}

// at is the value at a dotted path of nested maps; nil when there is none.
func at(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// checkMessage: every record names its event and carries the message its
// API's spec writes, restated here from the delivered fields: in the body,
// or in api_logs.message for a receiver with `body: record` (the custom one).
func checkMessage(t *testing.T, r chaosrun.Receiver, rec tapped, fields map[string]any) {
	t.Helper()
	stream, _ := rec.resource["api_logs.stream"].(string)
	api := r.API
	if api == "custom" {
		api = r.SimAPI // the custom receiver's spec is the built-in one
	}
	event, want := expectedMessage(api, fields, stream)
	if want == "" {
		want = event + " " + rec.uid
	}
	assert.Equal(t, event, rec.record.EventName(), "%s: event name", r.ID)
	if r.API == "custom" {
		require.Equal(t, pcommon.ValueTypeMap, rec.record.Body().Type(), "%s: body: record keeps the record as the body", r.ID)
		msg, ok := rec.record.Attributes().Get("api_logs.message")
		require.True(t, ok, "%s: body: record puts the message in api_logs.message", r.ID)
		assert.Equal(t, want, msg.Str(), "%s: message of %v", r.ID, fields)
		return
	}
	require.Equal(t, pcommon.ValueTypeStr, rec.record.Body().Type(), "%s: the body is the message", r.ID)
	assert.Equal(t, want, rec.record.Body().Str(), "%s: message of %v", r.ID, fields)
	_, hasID := fields["id"]
	_, hasUUID := fields["uuid"]
	_, hasLogID := fields["log_id"]
	_, hasImtID := fields["imtId"]
	assert.True(t, hasID || hasUUID || hasLogID || hasImtID, "%s: the vendor fields are in the namespace map %s: %v", r.ID, namespaces[r.SimAPI], fields)
	// Nothing of the vendor's at the top level: one map, and the
	// receiver's own attributes.
	for key := range rec.record.Attributes().AsRaw() {
		if key != namespaces[r.SimAPI] && key != "log.record.uid" && !strings.HasPrefix(key, "api_logs.") {
			assert.Failf(t, "a vendor field at the top level", "%s: attribute %q", r.ID, key)
		}
	}
}

// expectedMessage restates the messages of the built-in specs
// (records.message in internal/apispec/builtin) from the record's fields
// and what enrichment put beside them; "" when none of the parts is present
// (the message is then the event name and the id).
func expectedMessage(api string, f map[string]any, stream string) (event, msg string) {
	if stream == "default" {
		stream = ""
	}
	var b strings.Builder
	part := func(prefix string, v any, suffix string) {
		if s := text(v); s != "" {
			b.WriteString(prefix + s + suffix)
		}
	}
	status := map[string]string{"0": "pending", "1": "success", "2": "warning", "3": "error"}
	word := func(v any) string {
		if w, ok := status[text(v)]; ok {
			return w
		}
		return text(v)
	}
	switch api {
	case simulator.APITinesActionLogs:
		event = "tines.action_log"
		part("", f["message"], "")
	case simulator.APITinesAuditLogs:
		event = "tines.audit_log"
		part("", f["operation_name"], "")
		part(" by ", f["user_name"], "")
		part(" <", f["user_email"], ">")
		part(" from ", f["request_ip"], "")
	case simulator.APIStackOneActionLogs:
		event = "stackone.action_log"
		part("", f["http_method"], "")
		part(" ", f["url"], "")
		part(" ", f["status_code"], "")
	case simulator.APILogtoLogs:
		event = "logto.log"
		payload, _ := f["payload"].(map[string]any)
		errObj, _ := payload["error"].(map[string]any)
		part("", f["key"], "")
		part(" ", payload["result"], "")
		part(": ", errObj["message"], "")
		part(": ", payload["error"], "")
	case simulator.APIOMSActionLogs:
		event = "oms.action_log"
		part("", f["message"], "")
	case simulator.APIMakeScenarioLogs:
		event = "make.scenario_log"
		part("scenario ", stream, "")
		part(" ", f["type"], " run")
		part(": ", word(f["status"]), "")
		part(": ", at(f, "execution.error.name"), "")
		part(": ", at(f, "execution.error.message"), "")
		part(" (module ", at(f, "execution.error.module"), ")")
	case simulator.APIMakeModuleLogs:
		event = "make.module_log"
		errObj, _ := f["error"].(map[string]any)
		warning, _ := f["warning"].(map[string]any)
		part("scenario ", f["scenarioId"], "")
		part(" module ", stream, "")
		part(": ", word(f["status"]), "")
		part(": ", errObj["message"], "")
		part(": ", warning["message"], "")
	case simulator.APIMakeAuditLogs:
		event = "make.audit_log"
		actor, _ := f["actor"].(map[string]any)
		part("", f["eventName"], "")
		part(" by ", actor["name"], "")
		part(" <", actor["email"], ">")
		part(" (target ", f["targetId"], ")")
	}
	return event, strings.TrimSpace(b.String())
}

// text is a scalar as a message writes it; "" for anything else.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}
