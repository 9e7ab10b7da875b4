package simulator

import (
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var githubAuth = []string{"Authorization", "Bearer ghp_demoGitHubAuditToken"}

type githubEvent struct {
	Timestamp  int64  `json:"@timestamp"`
	CreatedAt  int64  `json:"created_at"`
	DocumentID string `json:"_document_id"`
	Action     string `json:"action"`
	Actor      string `json:"actor"`
	Business   string `json:"business"`
}

var nextLink = regexp.MustCompile(`<([^>]+)>; rel="next"`)

// githubWalk follows rel="next" from first and returns the events and the requests.
func githubWalk(t *testing.T, first string) (events []githubEvent, requests int) {
	t.Helper()
	next := first
	for next != "" {
		r := get(t, next, githubAuth...)
		requests++
		require.Equal(t, 200, r.code, string(r.body))
		var page []githubEvent
		r.json(t, &page)
		events = append(events, page...)
		link := r.header.Get("Link")
		require.Contains(t, link, `rel="first"`)
		next = ""
		if m := nextLink.FindStringSubmatch(link); m != nil {
			next = m[1]
			u, err := url.Parse(next)
			require.NoError(t, err)
			require.NotEmpty(t, u.Query().Get("after"), "the next page is after a cursor")
			require.Contains(t, u.Query(), "before")
		}
		require.Less(t, requests, 100)
	}
	return events, requests
}

func githubURL(base, query string) string {
	return base + "/github/enterprises/" + GitHubEnterprise + "/audit-log?" + query
}

// The GitHub route: newest first (asc on request), the created qualifier
// with seconds, ends at B.000 or holding B's whole second, pages linked by
// after cursors, the last page with or without a link to an empty page,
// include web|git|all.
func TestGitHubAuditLog(t *testing.T) {
	for _, v := range []struct {
		name             string
		wholeSecond, nxt bool
		perPage          int
	}{{"end=B.000", false, false, 4}, {"end=B.999", true, false, 4}, {"next_on_last_page", false, true, 11}} {
		t.Run(v.name, func(t *testing.T) {
			o := quietOpts()
			o.GitHub = GitHubOptions{WholeSecondEnd: v.wholeSecond, NextOnLastPage: v.nxt}
			s, srv := newSim(t, o)
			base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			// Ten seconds of events, two a second at .000 and .500 (ties of two at .000).
			for i := range 10 {
				at := base.Add(time.Duration(i) * time.Second)
				s.AddRecords(APIGitHubAuditLog, "", 2, at)
				s.AddRecords(APIGitHubAuditLog, "", 1, at.Add(500*time.Millisecond))
			}
			phrase := url.QueryEscape("created:2026-01-02T03:04:06+00:00..2026-01-02T03:04:09+00:00")
			events, requests := githubWalk(t, githubURL(srv.URL, "include=all&per_page="+strconv.Itoa(v.perPage)+"&phrase="+phrase))
			// 03:04:06.000 to 03:04:09.000: 3 full seconds (9) and the ties at :09.000 (2);
			// with the whole second, :09.500 too.
			want := 11
			if v.wholeSecond {
				want = 12
			}
			require.Len(t, events, want)
			seen := map[string]bool{}
			for i, e := range events {
				assert.False(t, seen[e.DocumentID])
				seen[e.DocumentID] = true
				assert.Equal(t, e.Timestamp, e.CreatedAt)
				assert.Equal(t, GitHubEnterprise, e.Business)
				assert.Len(t, e.DocumentID, 22)
				if i > 0 {
					assert.LessOrEqual(t, e.Timestamp, events[i-1].Timestamp, "newest first")
				}
			}
			pages := (want + v.perPage - 1) / v.perPage
			if v.nxt && want%v.perPage == 0 {
				pages++
			}
			assert.Equal(t, pages, requests)

			// order=asc reads the same events oldest first.
			asc, _ := githubWalk(t, githubURL(srv.URL, "include=all&order=asc&per_page=5&phrase="+phrase))
			require.Len(t, asc, want)
			for i := range asc {
				assert.Equal(t, events[len(events)-1-i].Timestamp, asc[i].Timestamp)
			}
		})
	}
}

func TestGitHubIncludeAndQualifiers(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 40 {
		s.AddRecords(APIGitHubAuditLog, "", 1, base.Add(time.Duration(i)*time.Minute))
	}
	count := func(query string) int {
		events, _ := githubWalk(t, githubURL(srv.URL, query))
		return len(events)
	}
	all, web, git := count("include=all&per_page=100"), count("per_page=100"), count("include=git&per_page=100")
	assert.Equal(t, 40, all)
	assert.Equal(t, all, web+git)
	assert.Positive(t, git, "some Git events")
	assert.Equal(t, web, count("include=web&per_page=100"), "web is the default")
	// A day, >=, <, and other qualifiers left alone.
	assert.Equal(t, 40, count("include=all&phrase="+url.QueryEscape("created:2026-01-02 action:repo")))
	assert.Zero(t, count("include=all&phrase="+url.QueryEscape("created:2026-01-03")))
	assert.Equal(t, 30, count("include=all&phrase="+url.QueryEscape("created:>=2026-01-02T03:14:05+00:00")))
	assert.Equal(t, 10, count("include=all&phrase="+url.QueryEscape("created:<2026-01-02T03:14:05Z")))
	// per_page above 100 is served as 100; the default is 30.
	r := get(t, githubURL(srv.URL, "include=all"), githubAuth...)
	var page []githubEvent
	r.json(t, &page)
	assert.Len(t, page, 30)
}

func TestGitHubAuthAndErrors(t *testing.T) {
	_, srv := newSim(t, quietOpts())
	u := githubURL(srv.URL, "")
	r := get(t, u)
	assert.Equal(t, 401, r.code)
	assert.JSONEq(t, `{"message":"Requires authentication","documentation_url":"https://docs.github.com/rest","status":"401"}`, string(r.body))
	r = get(t, u, "Authorization", "Bearer ghp_wrong")
	assert.Equal(t, 401, r.code)
	assert.Contains(t, string(r.body), `"Bad credentials"`)
	assert.Equal(t, 200, get(t, u, "Authorization", "token ghp_demoGitHubAuditToken").code, "the token scheme too")
	assert.Equal(t, 404, get(t, srv.URL+"/github/enterprises/other/audit-log", githubAuth...).code)
	for _, q := range []string{"include=none", "order=up", "per_page=x", "after=%21%21", "phrase=" + url.QueryEscape("created:yesterday")} {
		assert.Equal(t, 422, get(t, githubURL(srv.URL, q), githubAuth...).code, q)
	}
}

// With LinkLosesPhrase the next link keeps include, order and per_page but
// not the phrase, so the pages after the first run on below the window.
func TestGitHubLinkLosesPhrase(t *testing.T) {
	o := quietOpts()
	o.GitHub.LinkLosesPhrase = true
	s, srv := newSim(t, o)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 10 {
		s.AddRecords(APIGitHubAuditLog, "", 1, base.Add(time.Duration(i)*time.Minute))
	}
	phrase := url.QueryEscape("created:>=2026-01-02T03:10:05+00:00") // the newest 4
	r := get(t, githubURL(srv.URL, "include=all&per_page=3&phrase="+phrase), githubAuth...)
	m := nextLink.FindStringSubmatch(r.header.Get("Link"))
	require.NotNil(t, m)
	u, err := url.Parse(m[1])
	require.NoError(t, err)
	assert.NotContains(t, u.Query(), "phrase")
	assert.Equal(t, "all", u.Query().Get("include"))
	events, requests := githubWalk(t, m[1])
	assert.Len(t, events, 7, "the 1 left in the window and the 6 below it")
	assert.Equal(t, 3, requests)
}
