package simulator

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var slackAuth = []string{"Authorization", "Bearer xoxp-demo-slack-token"}

type slackPage struct {
	Entries []struct {
		ID         string `json:"id"`
		DateCreate int64  `json:"date_create"`
		Action     string `json:"action"`
		Actor      struct {
			Type string `json:"type"`
			User struct {
				ID, Name, Email string
			} `json:"user"`
		} `json:"actor"`
		Entity  map[string]any `json:"entity"`
		Context struct {
			Location  map[string]any `json:"location"`
			UA        string         `json:"ua"`
			IPAddress string         `json:"ip_address"`
			SessionID string         `json:"session_id"`
		} `json:"context"`
	} `json:"entries"`
	Meta *struct {
		NextCursor *string `json:"next_cursor"`
	} `json:"response_metadata"`
}

// slackWalk follows next_cursor from the first page of query and returns
// the ids, newest first, and how many requests it took.
func slackWalk(t *testing.T, base, query string) (ids []string, times []int64, requests int) {
	t.Helper()
	cursor := ""
	for {
		u := base + "/slack/audit/v1/logs?" + query
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		r := get(t, u, slackAuth...)
		requests++
		require.Equal(t, 200, r.code, string(r.body))
		var p slackPage
		r.json(t, &p)
		for _, e := range p.Entries {
			ids = append(ids, e.ID)
			times = append(times, e.DateCreate)
			require.Len(t, e.ID, 36, "a UUID")
			require.Equal(t, "user", e.Actor.Type)
			require.NotEmpty(t, e.Actor.User.ID)
			require.NotEmpty(t, e.Context.IPAddress)
			require.Equal(t, "enterprise", e.Context.Location["type"])
		}
		if p.Meta == nil || p.Meta.NextCursor == nil || *p.Meta.NextCursor == "" {
			return ids, times, requests
		}
		cursor = *p.Meta.NextCursor
		require.Less(t, requests, 100)
	}
}

// The Slack route serves entries newest first, oldest and latest inclusive
// in unix seconds, pages cut by a key cursor that records created during a
// walk do not shift, and each of the three last pages.
func TestSlackAuditLogs(t *testing.T) {
	for _, last := range []string{SlackLastEmptyCursor, SlackLastNoMetadata, SlackLastCursorToEmpty} {
		t.Run("last="+last, func(t *testing.T) {
			o := quietOpts()
			o.Slack.LastPage = last
			s, srv := newSim(t, o)
			base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			for i := range 10 {
				s.AddRecords(APISlackAuditLogs, "", 1+i%3, base.Add(time.Duration(i)*time.Second)) // ties of up to 3
			}
			// 19 entries from base to base+9s; the window base+1s..base+8s (inclusive) holds 17.
			window := "&oldest=" + strconv.FormatInt(base.Unix()+1, 10) + "&latest=" + strconv.FormatInt(base.Unix()+8, 10)
			ids, times, requests := slackWalk(t, srv.URL, "limit=4"+window)
			assert.Len(t, ids, 17)
			seen := map[string]bool{}
			for i, id := range ids {
				assert.False(t, seen[id], "entry %s twice", id)
				seen[id] = true
				if i > 0 {
					assert.LessOrEqual(t, times[i], times[i-1], "newest first")
				}
			}
			assert.Equal(t, base.Unix()+8, times[0])
			assert.Equal(t, base.Unix()+1, times[len(times)-1])
			assert.Equal(t, 5, requests, "17 entries in pages of 4")
			// A last page that is full: one page, or two where it points to an empty one.
			ids, _, requests = slackWalk(t, srv.URL, "limit=17"+window)
			assert.Len(t, ids, 17)
			want := 1
			if last == SlackLastCursorToEmpty {
				want = 2
			}
			assert.Equal(t, want, requests)
		})
	}
}

// Entries created in the middle of a walk (newer ones on top) neither
// repeat nor hide entries of the pages still to come.
func TestSlackCursorStableWhileEntriesArrive(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.AddRecords(APISlackAuditLogs, "", 6, base)
	r := get(t, srv.URL+"/slack/audit/v1/logs?limit=3", slackAuth...)
	var p slackPage
	r.json(t, &p)
	require.Len(t, p.Entries, 3)
	s.AddRecords(APISlackAuditLogs, "", 5, base.Add(time.Second)) // on top
	s.AddRecords(APISlackAuditLogs, "", 2, base)                  // the same second, created later
	r = get(t, srv.URL+"/slack/audit/v1/logs?limit=10&cursor="+url.QueryEscape(*p.Meta.NextCursor), slackAuth...)
	var p2 slackPage
	r.json(t, &p2)
	require.Len(t, p2.Entries, 3, "the 3 entries of base below the cursor; the later ones of base sort above it")
	for _, e := range p2.Entries {
		for _, f := range p.Entries {
			assert.NotEqual(t, f.ID, e.ID)
		}
	}
}

func TestSlackAuthErrorsAndArguments(t *testing.T) {
	_, srv := newSim(t, quietOpts())
	u := srv.URL + "/slack/audit/v1/logs"
	r := get(t, u)
	assert.Equal(t, 401, r.code)
	assert.JSONEq(t, `{"ok":false,"error":"not_authed"}`, string(r.body))
	r = get(t, u, "Authorization", "Bearer xoxp-wrong")
	assert.Equal(t, 401, r.code)
	assert.JSONEq(t, `{"ok":false,"error":"invalid_authentication"}`, string(r.body))
	for q, code := range map[string]string{
		"limit=10000":             "invalid_arguments",
		"limit=0":                 "invalid_arguments",
		"oldest=abc":              "invalid_arguments",
		"oldest=20&latest=10":     "invalid_range",
		"cursor=not%20a%20cursor": "invalid_cursor",
	} {
		r = get(t, u+"?"+q, slackAuth...)
		assert.Equal(t, 400, r.code, q)
		assert.JSONEq(t, `{"ok":false,"error":"`+code+`"}`, string(r.body), q)
	}
	r = get(t, u+"?limit=9999", slackAuth...)
	assert.Equal(t, 200, r.code, "9999 is the documented maximum")
}

// The Tier 3 budget applies when the test sets one for vendor "slack".
func TestSlackRateLimit(t *testing.T) {
	o := quietOpts()
	o.RatePerMinute = map[string]int{"slack": 2}
	s, srv := newSim(t, o)
	for range 2 {
		assert.Equal(t, 200, get(t, srv.URL+"/slack/audit/v1/logs", slackAuth...).code)
	}
	r := get(t, srv.URL+"/slack/audit/v1/logs", slackAuth...)
	assert.Equal(t, 429, r.code)
	assert.NotEmpty(t, r.header.Get("Retry-After"))
	assert.Equal(t, RequestCounts{List: 3, Throttled: 1}, s.StreamRequests(APISlackAuditLogs)[""])
}

// A cursor does not remember the first request's oldest (as Slack's does
// not, elastic/integrations#8163): a page asked without it runs on past
// the window, so a client must send oldest with every page.
func TestSlackCursorForgetsOldest(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 6 {
		s.AddRecords(APISlackAuditLogs, "", 1, base.Add(time.Duration(i)*time.Second))
	}
	oldest := "&oldest=" + strconv.FormatInt(base.Unix()+3, 10)
	r := get(t, srv.URL+"/slack/audit/v1/logs?limit=2"+oldest, slackAuth...)
	var p slackPage
	r.json(t, &p)
	require.Len(t, p.Entries, 2) // base+5s, base+4s
	cursor := "&cursor=" + url.QueryEscape(*p.Meta.NextCursor)
	for query, want := range map[string]int{oldest: 1, "": 4} {
		r = get(t, srv.URL+"/slack/audit/v1/logs?limit=10"+cursor+query, slackAuth...)
		var next slackPage
		r.json(t, &next)
		assert.Len(t, next.Entries, want, "oldest %q", query)
	}
}
