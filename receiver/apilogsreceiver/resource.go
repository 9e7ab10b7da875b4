package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/engine"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadata"
)

// resourceFunc returns the engine's resource filler: the generated
// ResourceBuilder with the config's resource_attributes, in the order the
// receiver always wrote them (api_logs.source, api_logs.api,
// api_logs.stream, server.address, the stream attribute).
//
// The stream attribute is the spec's streams.attribute, set for a named
// stream only. The built-in ones (tines.action.id, make.scenario.id,
// make.module.id) are declared in metadata.yaml and can be switched off; a
// custom spec's own is set as it is (it is no generated setting).
func resourceFunc(cfg metadata.ResourceAttributesConfig, receiverID, api, host, streamAttr string) engine.ResourceFunc {
	setStream := streamAttrSetter(streamAttr)
	return func(res pcommon.Resource, stream string) {
		// A builder per call: it is not safe for concurrent use and the
		// engine's workers fill resources in parallel (one per page).
		rb := metadata.NewResourceBuilder(cfg)
		rb.SetAPILogsSource(receiverID)
		rb.SetAPILogsAPI(api)
		rb.SetAPILogsStream(stream)
		rb.SetServerAddress(host)
		named := streamAttr != "" && stream != engine.DefaultStream
		if named && setStream != nil {
			setStream(rb, stream)
		}
		rb.Emit().MoveTo(res)
		if named && setStream == nil {
			res.Attributes().PutStr(streamAttr, stream)
		}
	}
}

// streamAttrSetter returns the builder's setter of a stream attribute that
// metadata.yaml declares, or nil.
func streamAttrSetter(name string) func(*metadata.ResourceBuilder, string) {
	switch name {
	case "tines.action.id":
		return (*metadata.ResourceBuilder).SetTinesActionID
	case "make.scenario.id":
		return (*metadata.ResourceBuilder).SetMakeScenarioID
	case "make.module.id":
		return (*metadata.ResourceBuilder).SetMakeModuleID
	}
	return nil
}
