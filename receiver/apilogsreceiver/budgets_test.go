package apilogsreceiver

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadata"
)

func makeConfig(endpoint, key, api string) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API = api
	cfg.ClientConfig.Endpoint = endpoint
	cfg.APIKey = configopaqueString(key)
	switch api {
	case "make_scenario_logs":
		cfg.ScenarioIDs = []int64{7001}
	case "make_audit_logs":
		cfg.OrganizationID = 21
	case "tines_action_logs":
		cfg.ActionIDs = []int64{1}
	}
	return cfg
}

// Receivers share a budget where the vendor counts their requests together:
// the same API family budget, host and credential; or an explicit name.
func TestBudgetKeys(t *testing.T) {
	key := func(cfg *Config, id string) string {
		r, err := cfg.resolve()
		require.NoError(t, err)
		return budgetKey(cfg, r, id)
	}
	scenarios := makeConfig("https://eu1.make.com", "token-1", "make_scenario_logs")
	audit := makeConfig("https://EU1.make.com", "token-1", "make_audit_logs")
	otherToken := makeConfig("https://eu1.make.com", "token-2", "make_audit_logs")
	otherZone := makeConfig("https://us1.make.com", "token-1", "make_audit_logs")
	tinesActions := makeConfig("https://acme.tines.com", "k", "tines_action_logs")
	tinesAudit := makeConfig("https://acme.tines.com", "k", "tines_audit_logs")

	assert.Equal(t, key(scenarios, "a"), key(audit, "b"), "one Make token on one zone is one budget")
	assert.NotEqual(t, key(scenarios, "a"), key(otherToken, "b"))
	assert.NotEqual(t, key(scenarios, "a"), key(otherZone, "b"))
	assert.NotEqual(t, key(tinesActions, "a"), key(tinesAudit, "b"), "Tines counts actions and audit_logs apart")
	assert.NotContains(t, key(scenarios, "a"), "token-1", "the credential enters only as a hash")

	logto := NewFactory().CreateDefaultConfig().(*Config)
	logto.API, logto.ClientConfig.Endpoint, logto.ClientID, logto.ClientSecret = "logto_logs", "https://t.logto.app", "id", "secret"
	assert.NotEqual(t, key(logto, "a"), key(logto, "b"), "no documented budget: each receiver has its own")

	otherToken.RateLimit.SharedBudget = "acme-make"
	otherZone.RateLimit.SharedBudget = "acme-make"
	assert.Equal(t, key(otherToken, "a"), key(otherZone, "b"), "an explicit shared_budget joins any receivers")
}

// A shared budget runs at the lowest rate any member asked for, and goes
// back up when that member leaves.
func TestBudgetRateIsTheLowestMembers(t *testing.T) {
	b := newBudgets()
	la, others, rate := b.join("k", "a", 120, 0)
	assert.Empty(t, others)
	assert.InDelta(t, 120.0, rate, 0)
	lb, others, rate := b.join("k", "b", 60, 0)
	assert.Same(t, la, lb)
	assert.Equal(t, []string{"a"}, others)
	assert.InDelta(t, 60.0, rate, 0)
	assert.InDelta(t, 59.0, la.PerMinute(), 1e-9, "60 a minute with one request of burst")
	b.leave("k", "b")
	assert.InDelta(t, 119.0, la.PerMinute(), 1e-9)
	b.leave("k", "a")
	assert.Empty(t, b.byName)
}

func namedSettings(name string, logger *zap.Logger) receiver.Settings {
	set := nopSettings()
	set.ID = component.NewIDWithName(metadata.Type, name)
	set.Logger = logger
	return set
}

// Two receivers of one factory (one collector) on the same Make token share
// one limiter from Start to Shutdown, and say so.
func TestReceiversOfOneTokenShareABudget(t *testing.T) {
	sim := startSim(t, simulator.Options{InitialRecords: -1})
	f := NewFactory()
	core, logs := zapobserver.New(zap.InfoLevel)
	start := func(name, api string) receiver.Logs {
		cfg := makeConfig(sim.URL()+"/make", simulator.DefaultKeys().Make, api)
		cfg.CollectionInterval = time.Hour
		rcv, err := f.CreateLogs(context.Background(), namedSettings(name, zap.New(core)), cfg, consumertest.NewNop())
		require.NoError(t, err)
		require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
		return rcv
	}
	a := start("scenarios", "make_scenario_logs")
	b := start("audit", "make_audit_logs")
	ra, rb := a.(*logsReceiver), b.(*logsReceiver)
	require.Same(t, ra.budgets, rb.budgets)
	require.Equal(t, ra.budget, rb.budget)
	assert.Len(t, ra.budgets.byName[ra.budget].members, 2)
	shared := logs.FilterMessageSnippet("Sharing one request budget").All()
	require.Len(t, shared, 1)
	assert.Equal(t, []any{"api_logs/scenarios"}, shared[0].ContextMap()["with"])

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.Shutdown(ctx))
	assert.Len(t, ra.budgets.byName[ra.budget].members, 1)
	require.NoError(t, a.Shutdown(ctx))
	assert.Empty(t, ra.budgets.byName)
}

func TestRateAboveTheDocumentedLimitIsWarned(t *testing.T) {
	core, logs := zapobserver.New(zap.WarnLevel)
	cfg := makeConfig("http://127.0.0.1:1", "k", "make_audit_logs")
	cfg.RateLimit.RequestsPerMinute = 5000
	rcv, err := NewFactory().CreateLogs(context.Background(), namedSettings("x", zap.New(core)), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	shutdownOnCleanup(t, rcv)
	warned := logs.FilterMessageSnippet("above the highest limit the vendor documents").All()
	require.Len(t, warned, 1)
	assert.InDelta(t, 1000.0, warned[0].ContextMap()["documented_limit"], 0)
}

// One info line at start says what the receiver polls and with what budget,
// and one at stop.
func TestStartAndStopAreLoggedOnce(t *testing.T) {
	core, logs := zapobserver.New(zap.InfoLevel)
	cfg := makeConfig("http://127.0.0.1:1", "k", "tines_action_logs")
	cfg.ActionIDs = []int64{1, 2}
	rcv, err := NewFactory().CreateLogs(context.Background(), namedSettings("x", zap.New(core)), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, rcv.Shutdown(ctx))

	started := logs.FilterMessage("Polling").All()
	require.Len(t, started, 1)
	fields := started[0].ContextMap()
	assert.Equal(t, "tines_action_logs", fields["api"])
	assert.Equal(t, "127.0.0.1:1", fields["endpoint_host"])
	assert.Equal(t, []any{"1", "2"}, fields["streams"])
	assert.Equal(t, "none (cursors in memory)", fields["storage"])
	assert.InDelta(t, 100.0, fields["requests_per_minute"], 0)
	assert.Equal(t, 1, logs.FilterMessage("Stopped polling").Len())
	for _, e := range logs.All() {
		assert.NotContains(t, e.Message+fmt.Sprint(e.ContextMap()), "Bearer k", "never a secret")
	}
}
