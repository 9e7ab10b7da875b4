package e2e

import (
	"fmt"
	"strconv"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// expectedSeverity restates the built-in severity rules for the field values
// the simulator produces; ok is false for values these checks leave alone.
func expectedSeverity(api string, body map[string]any) (plog.SeverityNumber, string, bool) {
	field := func(name string) string { return fmt.Sprint(body[name]) }
	switch api {
	case simulator.APITinesActionLogs:
		switch field("level") {
		case "2":
			return plog.SeverityNumberWarn, "warning", true
		case "3":
			return plog.SeverityNumberInfo, "info", true
		case "4":
			return plog.SeverityNumberError, "error", true
		}
	case simulator.APITinesAuditLogs, simulator.APIMakeAuditLogs, "custom":
		return plog.SeverityNumberInfo, "", true
	case simulator.APIStackOneActionLogs:
		// success and status_code are nullable (the simulator's
		// StackOneNullable mode serves every case).
		var code int64
		hasCode := true
		switch c := body["status_code"].(type) {
		case int64: // pdata's map of a JSON integer
			code = c
		case float64:
			code = int64(c)
		default:
			hasCode = false
		}
		status := strconv.FormatInt(code, 10)
		switch {
		case body["success"] == true:
			return plog.SeverityNumberInfo, "success", true
		case hasCode && code >= 400 && code <= 499:
			return plog.SeverityNumberWarn, status, true
		case hasCode && (code < 200 || code > 299):
			return plog.SeverityNumberError, status, true
		case body["success"] == false:
			return plog.SeverityNumberError, "failure", true
		case hasCode:
			return plog.SeverityNumberInfo, status, true
		case body["success"] == nil && body["status_code"] == nil:
			return plog.SeverityNumberUnspecified, "", true
		}
	case simulator.APILogtoLogs:
		payload, _ := body["payload"].(map[string]any)
		switch fmt.Sprint(payload["result"]) {
		case "Success":
			return plog.SeverityNumberInfo, "Success", true
		case "Error":
			return plog.SeverityNumberError, "Error", true
		}
	case simulator.APIOMSActionLogs:
		switch field("level") {
		case "10":
			return plog.SeverityNumberDebug, "DEBUG", true
		case "20":
			return plog.SeverityNumberInfo, "INFO", true
		case "30":
			return plog.SeverityNumberWarn, "WARNING", true
		case "40":
			return plog.SeverityNumberError, "ERROR", true
		case "50":
			return plog.SeverityNumberFatal, "CRITICAL", true
		}
	case simulator.APIMakeScenarioLogs, simulator.APIMakeModuleLogs:
		switch field("status") {
		case "1":
			return plog.SeverityNumberInfo, "success", true
		case "2":
			return plog.SeverityNumberWarn, "warning", true
		case "3":
			return plog.SeverityNumberError, "error", true
		}
	}
	return 0, "", false
}
