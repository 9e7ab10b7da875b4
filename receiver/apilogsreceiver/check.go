package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"context"
	"fmt"
	"net/http"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/engine"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// Check is a receiver built for one poll of its streams by
// cmd/apilogs-check: the same HTTP client, credentials, request budget and
// engine settings as Start builds, with cursors in memory and no
// scheduling, storage extension, coordinator or leader elector.
type Check struct {
	// Source polls on the caller's goroutine (Streams, PollOnce).
	Source *engine.Source
	// Redactor knows every credential of the config and the OAuth tokens
	// obtained so far: everything the check prints goes through it.
	Redactor *httpclient.Redactor
	// Unused names the settings of the config the check leaves alone
	// (storage, coordinator, k8s_leader_elector), with their values.
	Unused map[string]string

	receiver *logsReceiver
}

// Close flushes and closes what the check opened: the request trace file
// of a receiver with `trace`, so that its last lines are written before
// the command exits.
func (c *Check) Close() error { return c.receiver.closeTrace() }

// NewCheck prepares cfg's receiver as Start does, delivering to next;
// wrap, when set, wraps the HTTP transport (the check lists the requests
// it made). It does no I/O. Extensions the config names (an auth
// extension of the HTTP client) are not available.
func NewCheck(ctx context.Context, set receiver.Settings, cfg *Config, next consumer.Logs, wrap func(http.RoundTripper) http.RoundTripper) (*Check, error) {
	lr, err := newLogsReceiver(set, cfg, next, newBudgets())
	if err != nil {
		return nil, err
	}
	if lr.resolved.spec.Auth.Type == apispec.AuthOAuth2Refresh {
		// Its token request would rotate the refresh token and the check
		// keeps nothing: the collector's token would be retired (or, on a
		// server that detects reuse, the whole token family revoked).
		return nil, fmt.Errorf("%q: a check cannot poll with auth %s: its token request would rotate the refresh token "+
			"that the collector holds, and the check stores nothing", "refresh_token", apispec.AuthOAuth2Refresh)
	}
	err = lr.prepare(ctx, noExtensions{}, wrap)
	if err != nil {
		return nil, err
	}
	deps := lr.engineDeps
	// In memory, and no component status: the check reports what it saw.
	deps.Store, deps.Consumer, deps.Status = cursor.NewStore(nil), next, nil
	src, err := engine.New(lr.engineSettings, deps)
	if err != nil {
		_ = lr.closeTrace()
		return nil, err
	}
	unused := map[string]string{}
	if cfg.Storage != nil {
		unused["storage"] = cfg.Storage.String()
	}
	if cfg.Coordinator != nil {
		unused["coordinator"] = cfg.Coordinator.String()
	}
	if cfg.K8sLeaderElector != nil {
		unused["k8s_leader_elector"] = cfg.K8sLeaderElector.String()
	}
	return &Check{Source: src, Redactor: deps.Redactor, Unused: unused, receiver: lr}, nil
}

// noExtensions is the host of a check: no extension runs.
type noExtensions struct{}

func (noExtensions) GetExtensions() map[component.ID]component.Component { return nil }
