package apilogscoordinatorextension // import "github.com/otelcol-api-logs/otelcol-api-logs/extension/apilogscoordinatorextension"

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-api-logs/otelcol-api-logs/extension/apilogscoordinatorextension/internal/metadata"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/coord"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/coord/etcdcoord"
)

// coordinator is the extension: an etcd member that receivers join with
// their budget groups (coord.Coordinator).
type coordinator struct {
	cfg      *Config
	set      extension.Settings
	memberID string

	mu     sync.Mutex
	member *etcdcoord.Member
	telem  *metadata.TelemetryBuilder
}

var _ coord.Coordinator = (*coordinator)(nil)

func newCoordinator(set extension.Settings, cfg *Config) (*coordinator, error) {
	id := cfg.MemberID
	if id == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf(`"member_id" is empty and the host name is unknown: %w`, err)
		}
		id = host + "-" + strconv.Itoa(os.Getpid())
	}
	return &coordinator{cfg: cfg, set: set, memberID: id}, nil
}

// Start connects to etcd in the background: it does no blocking I/O.
func (c *coordinator) Start(ctx context.Context, host component.Host) error {
	cfg := c.cfg
	telem, err := metadata.NewTelemetryBuilder(c.set.TelemetrySettings)
	if err != nil {
		return err
	}
	var tlsCfg *tls.Config
	if cfg.TLS != nil {
		if tlsCfg, err = cfg.TLS.LoadTLSConfig(ctx); err != nil {
			return fmt.Errorf(`"tls": %w`, err)
		}
	}
	// The etcd client logs every retried request at warn; its errors
	// reach the member, which says what they mean once.
	clientLog := c.set.Logger.WithOptions(zap.IncreaseLevel(zapcore.ErrorLevel)).Named("etcd-client")
	newClient := func() (*clientv3.Client, error) {
		ecfg := clientv3.Config{
			Endpoints:   cfg.Endpoints,
			DialTimeout: cfg.DialTimeout,
			Username:    cfg.Username,
			Password:    string(cfg.Password),
			Logger:      clientLog,
			// gRPC pings a silent connection every 10 s (its minimum) and
			// drops it after a third of the lease without an answer; the
			// lease itself is renewed, and measured, by the member.
			DialKeepAliveTime:    10 * time.Second,
			DialKeepAliveTimeout: cfg.LeaseTTL / 3,
			TLS:                  tlsCfg,
		}
		return clientv3.New(ecfg)
	}
	member, err := etcdcoord.New(etcdcoord.Config{
		NewClient: newClient,
		Prefix:    cfg.KeyPrefix,
		MemberID:  c.memberID,
		LeaseTTL:  cfg.LeaseTTL,
		Logger:    c.set.Logger,
		Observer:  &observer{telem: telem},
		Status: func(err error) {
			if err != nil {
				componentstatus.ReportStatus(host, componentstatus.NewRecoverableErrorEvent(err))
				return
			}
			componentstatus.ReportStatus(host, componentstatus.NewEvent(componentstatus.StatusOK))
		},
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.member, c.telem = member, telem
	c.mu.Unlock()
	// The member outlives Start's context; it runs until Shutdown.
	member.Start() //nolint:contextcheck // see above
	c.set.Logger.Info("Coordinating api_logs receivers on etcd", zap.String("member_id", c.memberID),
		zap.Strings("endpoints", cfg.Endpoints), zap.String("key_prefix", cfg.KeyPrefix), zap.Duration("lease_ttl", cfg.LeaseTTL))
	return nil
}

// Shutdown runs after the receivers' (they released their units): it
// revokes the lease and closes the client, within ctx.
func (c *coordinator) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	member, telem := c.member, c.telem
	c.member, c.telem = nil, nil
	c.mu.Unlock()
	var err error
	if member != nil {
		err = member.Stop(ctx)
	}
	if telem != nil {
		telem.Shutdown()
	}
	return err
}

// Join implements coord.Coordinator for the receivers.
func (c *coordinator) Join(unit string, h coord.Handler) (coord.Leave, error) {
	c.mu.Lock()
	member := c.member
	c.mu.Unlock()
	if member == nil {
		return nil, fmt.Errorf("the api_logs_coordinator extension %s is not started; list it under service.extensions", c.set.ID)
	}
	return member.Join(unit, h)
}

// MemberID is this collector's name in the cluster.
func (c *coordinator) MemberID() string { return c.memberID }

type observer struct{ telem *metadata.TelemetryBuilder }

func (o *observer) OwnedUnits(n int) {
	o.telem.APILogsCoordinatorOwnedUnits.Record(context.Background(), int64(n))
}

func (o *observer) OwnershipChanged(gained bool) {
	change := "released"
	if gained {
		change = "acquired"
	}
	o.telem.APILogsCoordinatorOwnershipChanges.Add(context.Background(), 1, metric.WithAttributes(attribute.String("change", change)))
}

func (o *observer) WriteRefused() {
	o.telem.APILogsCoordinatorRefusedWrites.Add(context.Background(), 1)
}

func (o *observer) LeaseRenewed(latency time.Duration) {
	o.telem.APILogsCoordinatorLeaseRenewalLatency.Record(context.Background(), latency.Seconds())
}
