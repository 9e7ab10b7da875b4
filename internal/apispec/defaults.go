package apispec

import "time"

// Defaults of the receiver configuration that the layers under the receiver
// (the engine, the HTTP client) also need when they are used on their own.
// The receiver's configuration defaults are these constants; the other
// layers import them instead of keeping their own copy.
const (
	// DefaultPageSize is {{page_size}} when the spec names neither
	// pagination.max_page_size nor pagination.default_page_size.
	DefaultPageSize = 100
	// DefaultMaxBodySize bounds a response body (max_body_size): 32 MiB.
	DefaultMaxBodySize = 32 << 20
	// DefaultConcurrentPolls is how many streams of a source are polled at
	// the same time (max_concurrent_polls).
	DefaultConcurrentPolls = 4
	// DefaultRequestTimeout bounds one HTTP request (timeout).
	DefaultRequestTimeout = 30 * time.Second
	// DefaultDiscoveryInterval is how often discovered streams are listed
	// again when neither discovery_interval nor streams.discover.refresh says.
	DefaultDiscoveryInterval = 10 * time.Minute
)
