package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"
)

// loadConfig reads one receiver's config from the collector configs at
// uris as the collector does: the files merged in order by confmap's
// resolver (a plain path is a file: URI, env:VAR a whole config from the
// environment), ${env:VAR} and ${VAR} expanded, the factory's default
// config with the receiver's section unmarshalled on top, then every
// Validate of the config tree (confmap.Validate).
func loadConfig(ctx context.Context, uris []string, id component.ID, log *zap.Logger) (*apilogsreceiver.Config, error) {
	factory := apilogsreceiver.NewFactory()
	if id.Type() != factory.Type() {
		return nil, fmt.Errorf("--receiver %s: not an %s receiver", id, factory.Type())
	}
	resolver, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs:              uris,
		ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
		ProviderSettings:  confmap.ProviderSettings{Logger: log},
		// The collector's default: ${VAR} reads the environment.
		DefaultScheme: "env",
	})
	if err != nil {
		return nil, err
	}
	conf, err := resolver.Resolve(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve the configuration: %w", err)
	}
	receivers, err := conf.Sub("receivers")
	if err != nil {
		return nil, err
	}
	if !receivers.IsSet(id.String()) {
		var names []string
		for k := range receivers.ToStringMap() {
			if strings.HasPrefix(k, factory.Type().String()) {
				names = append(names, k)
			}
		}
		slices.Sort(names)
		return nil, fmt.Errorf("receivers::%s: not in the configuration (its %s receivers: %s)", id, factory.Type(), strings.Join(names, ", "))
	}
	sub, err := receivers.Sub(id.String())
	if err != nil {
		return nil, err
	}
	cfg := factory.CreateDefaultConfig()
	// The collector's words (otelcol's configunmarshaler and Validate).
	if err := sub.Unmarshal(&cfg); err != nil {
		return nil, fmt.Errorf("error reading configuration for %q: %w", id, err)
	}
	if err := confmap.Validate(cfg); err != nil {
		return nil, fmt.Errorf("receivers::%s: %w", id, err)
	}
	rc, ok := cfg.(*apilogsreceiver.Config)
	if !ok {
		return nil, errors.New("the factory's config is not an api_logs config")
	}
	return rc, nil
}
