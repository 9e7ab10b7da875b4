// Package httpclient is the transport under the poll engine: origin pinning,
// authentication, client-side rate limiting, retries with backoff, honoring
// server throttling, bounded body reads and credential-free errors.
//
// The files, one job each:
//   - client.go: Client, Request, Response and Do, the retry loop around
//     one API call.
//   - attempt.go: one HTTP exchange (credentials applied, the body read
//     within its bound, the outcome and the server's quota noted).
//   - retry.go: which failures are retried, the backoff, Retry-After and
//     the rate-limit headers.
//   - limiter.go: the client-side request budget and the secondary share.
//   - errors.go: the errors callers classify (status, throttled, transport).
//   - auth.go, oauth.go: header and scheme credentials, OAuth2 client
//     credentials.
//   - origin.go: same-origin checks for next links and redirects.
//   - redact.go: secrets out of errors, log fields and quoted bodies.
package httpclient
