package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// makeExecution: GET /api/v2/scenarios/{id}/executions/{executionId} -> status, outputs, error.
//
// maxBytes is a byte budget for the outputs. Make's own SDK documents it as
// "Reject the request with a 413 instead of returning outputs larger than this
// many bytes" and sends it as the query parameter maxBytes=<number>
// (integromat/make-typescript-sdk, src/endpoints/executions.ts,
// GetExecutionDetailOptions; test/executions.spec.ts asks ?maxBytes=512000).
// So outputs are never truncated: they come whole or not at all. The source
// fixes only the status; the 413 and 400 bodies below use Make's usual error
// shape, and "larger" is measured on the outputs' JSON encoding.
func (s *Simulator) makeExecution(w http.ResponseWriter, r *http.Request) {
	limit := 0
	if v := r.URL.Query().Get("maxBytes"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			makeError(w, http.StatusBadRequest, "maxBytes must be a positive integer")
			return
		}
		limit = n
	}
	rec := s.makeExecutionRecord(w, r)
	if rec == nil {
		return
	}
	outputs := map[string]any{"output1": "text output", "output2": 123}
	resp := map[string]any{"status": "SUCCESS"}
	switch {
	case rec.running():
		resp["status"], outputs = "RUNNING", map[string]any{}
	case rec.level == 2:
		resp["status"], outputs = "WARNING", map[string]any{}
		resp["error"] = map[string]any{
			"name": "BundleValidationError", "message": "Validation failed for 1 parameter(s).",
			"causeModule": map[string]string{"name": "json:ParseJSON", "appName": "json"},
		}
	case rec.level == 3:
		resp["status"], outputs = "ERROR", map[string]any{}
		resp["error"] = map[string]any{
			"name": "ConnectionError", "message": "Request failed with status code 502",
			"causeModule": map[string]string{"name": "http:ActionSendData", "appName": "http"},
		}
	}
	raw := padOutputs(outputs, s.opts.MakeExecutionOutputBytes)
	if limit > 0 && len(raw) > limit {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{
			"message": "Payload too large",
			"detail":  fmt.Sprintf("Execution outputs are %d bytes, more than maxBytes=%d.", len(raw), limit),
		})
		return
	}
	resp["outputs"] = raw
	writeJSON(w, http.StatusOK, resp)
}

// outputFiller is plain ASCII so its JSON encoding is exactly as long as it is.
const outputFiller = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. "

// padOutputs encodes outputs, grown with a "data" string to about size bytes when size > 0.
func padOutputs(outputs map[string]any, size int) json.RawMessage {
	b, _ := json.Marshal(outputs)
	// `"data":""` plus a comma when outputs already has members.
	overhead := len(b) + len(`"data":""`)
	if len(outputs) > 0 {
		overhead++
	}
	if size <= 0 || size <= overhead {
		return b
	}
	n := size - overhead
	outputs["data"] = strings.Repeat(outputFiller, n/len(outputFiller)+1)[:n]
	b, _ = json.Marshal(outputs)
	return b
}
