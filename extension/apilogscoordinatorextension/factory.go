package apilogscoordinatorextension // import "github.com/otelcol-api-logs/otelcol-api-logs/extension/apilogscoordinatorextension"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-api-logs/otelcol-api-logs/extension/apilogscoordinatorextension/internal/metadata"
)

// NewFactory returns the factory of the api_logs_coordinator extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, func() component.Config { return createDefaultConfig() }, create, metadata.ExtensionStability)
}

func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newCoordinator(set, cfg.(*Config))
}
