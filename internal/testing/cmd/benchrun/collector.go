package main

import "fmt"

// exporterYAML is the exporter both paths use: otlphttp, protobuf, no
// compression (both ends are local; gzip would only burn the shared CPU) and
// no batch processor. Without queue, ConsumeLogs returns only once the sink
// answered, the crash-safe setting; with queue, the exporter's default
// in-memory sending queue (10 consumers) takes the records and exports them
// in parallel, the usual production setting.
func exporterYAML(sinkURL string, queue bool) string {
	return fmt.Sprintf(`exporters:
  otlphttp:
    endpoint: %s
    compression: none
    sending_queue:
      enabled: %t
`, sinkURL, queue)
}

// telemetryYAML keeps the collector's own telemetry quiet and off the network.
const telemetryYAML = `  telemetry:
    logs:
      level: warn
    metrics:
      level: none
`
