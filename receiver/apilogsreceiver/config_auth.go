package apilogsreceiver

import (
	"fmt"
	"maps"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// resolveEndpointParams merges the extra token-request parameters: the
// spec's auth.endpoint_params, then the receiver's endpoint_params over
// them. Their values are sent in the token request's form and are not
// treated as secrets (an audience or a tenant names, it does not prove).
func (cfg *Config) resolveEndpointParams(r *resolved) []error {
	var errs []error
	specKey := "auth.endpoint_params"
	if cfg.Custom != nil {
		specKey = "custom." + specKey
	}
	if err := httpclient.CheckEndpointParams(r.spec.Auth.EndpointParams); err != nil {
		errs = append(errs, fmt.Errorf("%q: %w", specKey, err))
	}
	if err := httpclient.CheckEndpointParams(cfg.EndpointParams); err != nil {
		errs = append(errs, fmt.Errorf("%q: %w", "endpoint_params", err))
	}
	if len(r.spec.Auth.EndpointParams)+len(cfg.EndpointParams) == 0 {
		return errs
	}
	r.endpointParams = maps.Clone(r.spec.Auth.EndpointParams)
	if r.endpointParams == nil {
		r.endpointParams = map[string]string{}
	}
	maps.Copy(r.endpointParams, cfg.EndpointParams)
	return errs
}
