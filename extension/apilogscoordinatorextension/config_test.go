package apilogscoordinatorextension

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(component.MustNewType("api_logs_coordinator"), name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestConfigDefaults(t *testing.T) {
	cfg := loadConfig(t, "")
	require.NoError(t, cfg.Validate())
	assert.Equal(t, []string{"http://etcd-0.etcd:2379"}, cfg.Endpoints)
	assert.Equal(t, "/otelcol-api-logs/", cfg.KeyPrefix)
	assert.Equal(t, 10*time.Second, cfg.LeaseTTL)
	assert.Equal(t, 5*time.Second, cfg.DialTimeout)
	assert.Empty(t, cfg.MemberID)
	assert.Nil(t, cfg.TLS)
}

func TestConfigFull(t *testing.T) {
	cfg := loadConfig(t, "full")
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "/team-a/", cfg.KeyPrefix)
	assert.Equal(t, "collector-0", cfg.MemberID)
	assert.Equal(t, 2*time.Second, cfg.LeaseTTL, "lease_ttl down to 2s is accepted")
	assert.Equal(t, 3*time.Second, cfg.DialTimeout)
	assert.Equal(t, "collector", cfg.Username)
	assert.Equal(t, "secret", string(cfg.Password))
	require.NotNil(t, cfg.TLS)
	assert.Equal(t, configtls.ClientConfig{InsecureSkipVerify: true}.InsecureSkipVerify, cfg.TLS.InsecureSkipVerify)
}

func TestConfigInvalid(t *testing.T) {
	tests := map[string][]string{
		"no_endpoints": {`"endpoints": at least one etcd client URL is required (http://host:2379)`},
		"bad": {
			`"endpoints": "etcd-0:2379" is not an http:// or https:// URL with a host`,
			`"endpoints": "ftp://etcd" is not an http:// or https:// URL with a host`,
			`"key_prefix": "otelcol" must start and end with "/" (default /otelcol-api-logs/)`,
			`"lease_ttl": 1.5s must be a whole number of seconds, at least 2s (etcd leases count seconds)`,
			`"dial_timeout": 0s must be positive`,
			`"password" is set without "username"`,
			`"member_id": "a/b" must not contain "/"`,
		},
		"short_ttl": {`"lease_ttl": 1s must be a whole number of seconds, at least 2s (etcd leases count seconds)`},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			err := loadConfig(t, name).Validate()
			require.Error(t, err)
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				got = append(got, e.Error())
			}
			assert.Equal(t, want, got)
		})
	}
}
