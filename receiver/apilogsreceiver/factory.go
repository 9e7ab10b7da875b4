package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/mapper"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadata"
)

// NewFactory creates the api_logs receiver factory.
// Each factory keeps the request budgets its receivers share.
func NewFactory() receiver.Factory {
	shared := newBudgets()
	create := func(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
		return newLogsReceiver(set, cfg.(*Config), next, shared)
	}
	return receiver.NewFactory(metadata.Type, createDefaultConfig,
		receiver.WithLogs(create, metadata.LogsStability))
}

func createDefaultConfig() component.Config {
	client := confighttp.NewDefaultClientConfig()
	client.Timeout = apispec.DefaultRequestTimeout
	backOff := configretry.NewDefaultBackOffConfig()
	backOff.InitialInterval = time.Second // a poll should recover from a blip well within its interval
	return &Config{
		ClientConfig:       client,
		CollectionInterval: defaultInterval,
		StartAt:            defaultStartAt,
		Settle:             defaultSettle,
		MaxPending:         apispec.DefaultMaxPending,
		MaxBodySize:        apispec.DefaultMaxBodySize,
		MaxPagesPerPoll:    defaultMaxPages,
		MaxConcurrentPolls: apispec.DefaultConcurrentPolls,
		EnrichExecutions:   true,
		Body:               mapper.BodyNameMessage,
		ResourceAttributes: metadata.DefaultResourceAttributesConfig(),
		BackOff:            backOff,
	}
}
