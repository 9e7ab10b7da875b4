package apilogscoordinatorextension // import "github.com/otelcol-api-logs/otelcol-api-logs/extension/apilogscoordinatorextension"

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
)

// Defaults.
const (
	defaultKeyPrefix   = "/otelcol-api-logs/"
	defaultLeaseTTL    = 10 * time.Second
	defaultDialTimeout = 5 * time.Second
	// minLeaseTTL is the shortest lease etcd grants with its default
	// heartbeat and election timeout (it rounds shorter ones up).
	minLeaseTTL = 2 * time.Second
)

// Config of the api_logs_coordinator extension. These names are a contract:
// recipes outside this repository use them.
type Config struct {
	// Endpoints are the etcd client URLs (http:// or https://).
	Endpoints []string `mapstructure:"endpoints"`
	// KeyPrefix is where the cluster's keys live in etcd; collectors with
	// the same prefix form one cluster.
	KeyPrefix string `mapstructure:"key_prefix"`
	// MemberID names this collector in the cluster; empty: host name and
	// process id.
	MemberID string `mapstructure:"member_id"`
	// LeaseTTL bounds takeover after a crash: a member whose lease is not
	// renewed loses its units after it, and stops emitting a fifth of it
	// before.
	LeaseTTL    time.Duration           `mapstructure:"lease_ttl"`
	DialTimeout time.Duration           `mapstructure:"dial_timeout"`
	TLS         *configtls.ClientConfig `mapstructure:"tls"`
	Username    string                  `mapstructure:"username"`
	Password    configopaque.String     `mapstructure:"password"`

	// prevent unkeyed literal initialization
	_ struct{}
}

func createDefaultConfig() *Config {
	return &Config{KeyPrefix: defaultKeyPrefix, LeaseTTL: defaultLeaseTTL, DialTimeout: defaultDialTimeout}
}

// Validate names the YAML key of every problem.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Endpoints) == 0 {
		errs = append(errs, errors.New(`"endpoints": at least one etcd client URL is required (http://host:2379)`))
	}
	for _, ep := range c.Endpoints {
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf(`"endpoints": %q is not an http:// or https:// URL with a host`, ep))
		}
	}
	if !strings.HasPrefix(c.KeyPrefix, "/") || !strings.HasSuffix(c.KeyPrefix, "/") || len(c.KeyPrefix) < 2 {
		errs = append(errs, fmt.Errorf(`"key_prefix": %q must start and end with "/" (default %s)`, c.KeyPrefix, defaultKeyPrefix))
	}
	if c.LeaseTTL < minLeaseTTL || c.LeaseTTL%time.Second != 0 {
		errs = append(errs, fmt.Errorf(`"lease_ttl": %s must be a whole number of seconds, at least %s (etcd leases count seconds)`, c.LeaseTTL, minLeaseTTL))
	}
	if c.DialTimeout <= 0 {
		errs = append(errs, fmt.Errorf(`"dial_timeout": %s must be positive`, c.DialTimeout))
	}
	if c.Password != "" && c.Username == "" {
		errs = append(errs, errors.New(`"password" is set without "username"`))
	}
	if strings.Contains(c.MemberID, "/") {
		errs = append(errs, fmt.Errorf(`"member_id": %q must not contain "/"`, c.MemberID))
	}
	return errors.Join(errs...)
}
