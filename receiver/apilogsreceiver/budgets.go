package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// budgets are the request budgets of one collector's api_logs receivers.
// Receivers that spend the same vendor budget (the same credential on the
// same host, where the vendor counts their endpoints together) share one
// limiter, so that together they stay within the vendor's limit. The
// factory owns the registry: one per collector, no global.
type budgets struct {
	mu     sync.Mutex
	byName map[string]*budget
}

type budget struct {
	limiter *httpclient.Limiter
	members map[string]float64 // receiver id → requests per minute it asked for
	burst   int
}

func newBudgets() *budgets { return &budgets{byName: map[string]*budget{}} }

// join adds a receiver to the budget key and returns the shared limiter, the
// other members and the rate the budget runs at: the lowest any member
// asked for, so no member's limit is exceeded.
func (b *budgets) join(key, receiverID string, perMinute float64, burst int) (limiter *httpclient.Limiter, others []string, rate float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bg := b.byName[key]
	if bg == nil {
		bg = &budget{limiter: httpclient.NewLimiter(perMinute, burst), members: map[string]float64{}, burst: burst}
		b.byName[key] = bg
	}
	for id := range bg.members {
		if id != receiverID {
			others = append(others, id)
		}
	}
	slices.Sort(others)
	bg.members[receiverID] = perMinute
	bg.burst = min(bg.burst, burst)
	rate = bg.apply()
	return bg.limiter, others, rate
}

// leave removes a receiver; the budget of the others goes back to the
// lowest rate among them.
func (b *budgets) leave(key, receiverID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bg := b.byName[key]
	if bg == nil {
		return
	}
	delete(bg.members, receiverID)
	if len(bg.members) == 0 {
		delete(b.byName, key)
		return
	}
	bg.apply()
}

// apply sets the limiter to the lowest positive rate of the members (a
// member with no limit does not lift the others').
func (bg *budget) apply() float64 {
	lowest := 0.0
	for _, r := range bg.members {
		if r > 0 && (lowest == 0 || r < lowest) {
			lowest = r
		}
	}
	bg.limiter.SetLimit(lowest, bg.burst)
	return lowest
}

// budgetKey names the budget a receiver spends. An explicit
// rate_limit.shared_budget wins; otherwise receivers share when their API
// declares the vendor's budget and they use the same host and credential.
// The credential enters only as a hash.
func budgetKey(cfg *Config, r *resolved, receiverID string) string {
	if name := cfg.RateLimit.SharedBudget; name != "" {
		return "named\x00" + name
	}
	if r.spec.Budget == "" {
		return "receiver\x00" + receiverID
	}
	h := sha256.New()
	for _, part := range []string{string(cfg.APIKey), cfg.Username, string(cfg.Password), cfg.ClientID} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "vendor\x00" + r.spec.Budget + "\x00" + strings.ToLower(r.endpoint.Host) + "\x00" + hex.EncodeToString(h.Sum(nil))
}
