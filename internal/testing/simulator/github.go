package simulator

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GitHub Enterprise Cloud audit log, GET /enterprises/{enterprise}/audit-log,
// as its public docs describe it (not a built-in API:
// examples/github_enterprise_audit_log.yaml describes it as a custom spec):
//   - https://docs.github.com/en/enterprise-cloud@latest/rest/enterprise-admin/audit-log
//     (query phrase, include web|git|all (default web), after/before cursors
//     "as given in the Link header", order desc|asc (default desc),
//     per_page (default 30, max 100); token with read:audit_log; 1,750
//     queries per hour per user and IP address; a rate limit error is
//     typically 403 or 429);
//   - https://docs.github.com/en/enterprise-cloud@latest/admin/monitoring-activity-in-your-enterprise/reviewing-audit-logs-for-your-enterprise/using-the-audit-log-api-for-your-enterprise
//     (github/docs content/admin/.../using-the-audit-log-api-for-your-enterprise.md:
//     times in UTC epoch milliseconds, cursor pagination through the `link`
//     header with rel="next" carrying after=<cursor>);
//   - https://docs.github.com/en/enterprise-cloud@latest/admin/monitoring-activity-in-your-enterprise/reviewing-audit-logs-for-your-enterprise/searching-the-audit-log-for-your-enterprise
//     (github/docs content/admin/.../searching-the-audit-log-for-your-enterprise.md:
//     the created qualifier, YYYY-MM-DD with optional THH:MM:SS+00:00,
//     >, >=, <, <= and A..B ranges).
//
// The docs leave open whether a range's upper second holds its whole second
// (records carry milliseconds, the phrase seconds) and whether the last page
// still links a next page; GitHubOptions serve each plausible answer.

const (
	githubMaxPerPage     = 100
	githubDefaultPerPage = 30
	// GitHubEnterprise is the enterprise slug the simulator serves.
	GitHubEnterprise = "avocado-corp"
)

// GitHubOptions are the habits of the GitHub route the docs leave open.
type GitHubOptions struct {
	// WholeSecondEnd: "created:A..B" and "created:<=B" with a time B hold
	// every record of B's second (B.999 included); without it they end at
	// B.000.
	WholeSecondEnd bool
	// NextOnLastPage: a full last page links a next page, which is empty
	// and links none.
	NextOnLastPage bool
	// LinkLosesPhrase: the links keep the request's parameters but not its
	// phrase (the docs' example Link shows it garbled, "phrase%3A2022-11-01="),
	// so a next page runs on past the window's start.
	LinkLosesPhrase bool
}

var githubWebActions = []string{"org.add_member", "repo.create", "team.add_repository", "business.set_actions_retention_limit", "oauth_application.create", "org.update_member", "repo.access"}

type githubUser struct {
	login string
	id    int
}

var githubUsers = []githubUser{{"octocat", 583231}, {"monalisa", 2}, {"hubot", 480938}}

// buildGitHubAudit renders an audit log event: one in five is a Git event
// (served only with include=git or all).
func buildGitHubAudit(st *stream, _ int64, t time.Time) *record {
	rng := st.rng
	docID := make([]byte, 22)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range docID {
		docID[i] = alphabet[rng.Intn(len(alphabet))]
	}
	id := string(docID)
	actor := pick(rng, githubUsers)
	ms := t.UnixMilli()
	ev := map[string]any{
		"@timestamp": ms, "_document_id": id, "created_at": ms,
		"actor": actor.login, "actor_id": actor.id, "actor_is_bot": false,
		"actor_location": map[string]any{"country_code": pick(rng, []string{"DE", "US", "BR", "JP"})},
		"business":       GitHubEnterprise, "business_id": 13827,
		"org": "avocado-corp-eng", "org_id": 90210,
	}
	kind := "web"
	if rng.Intn(5) == 0 {
		kind = "git"
		ev["action"] = pick(rng, []string{"git.clone", "git.fetch", "git.push"})
		ev["repo"] = "avocado-corp-eng/api"
		ev["repository"] = "avocado-corp-eng/api"
		ev["repository_public"] = false
		ev["transport_protocol"] = 1
		ev["transport_protocol_name"] = "http"
	} else {
		action := pick(rng, githubWebActions)
		ev["action"] = action
		ev["operation_type"] = pick(rng, []string{"create", "modify", "access"})
		ev["request_id"] = fmt.Sprintf("%04X:%04X:%06X:%06X:%08X", rng.Intn(1<<16), rng.Intn(1<<16), rng.Intn(1<<24), rng.Intn(1<<24), rng.Uint32())
		ev["user_agent"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0"
		// The affected user only where the action has one.
		if strings.HasPrefix(action, "org.") {
			u := pick(rng, githubUsers)
			ev["user"], ev["user_id"] = u.login, u.id
		}
		if strings.HasPrefix(action, "repo.") || action == "team.add_repository" {
			ev["repo"] = "avocado-corp-eng/" + pick(rng, []string{"api", "web", "infra"})
		}
	}
	return &record{id: id, body: mustJSON(ev), tags: map[string]string{"include": kind}}
}

// authGitHub: a token as Bearer (or the older "token" scheme), GitHub's
// 401 bodies.
func (s *Simulator) authGitHub(w http.ResponseWriter, r *http.Request) bool {
	v, ok := schemeValue(r, "Bearer")
	if !ok {
		v, ok = schemeValue(r, "token")
	}
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Requires authentication", "documentation_url": "https://docs.github.com/rest", "status": "401"})
		return false
	}
	if !keyEqual(v, s.opts.Keys.GitHub) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
		return false
	}
	return true
}

func githubError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest/enterprise-admin/audit-log", "status": strconv.Itoa(code)})
}

// githubTime parses a created value: a date (its whole day) or a date
// with a time to the second (that second, or only its start).
func (s *Simulator) githubTime(v string) (from, to time.Time, err error) {
	if d, err := time.Parse("2006-01-02", v); err == nil {
		return d, d.Add(24*time.Hour - time.Nanosecond), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			if s.opts.GitHub.WholeSecondEnd {
				return t, t.Add(time.Second - time.Nanosecond), nil
			}
			return t, t, nil
		}
	}
	return time.Time{}, time.Time{}, fmt.Errorf("invalid date %q", v)
}

// githubCreated reads the created qualifiers of a search phrase into an
// inclusive range; other qualifiers are left alone.
func (s *Simulator) githubCreated(phrase string) (timeRange, error) {
	tr := timeRange{inclusive: true}
	for _, term := range strings.Fields(phrase) {
		v, ok := strings.CutPrefix(term, "created:")
		if !ok {
			continue
		}
		lo, hi := func(t time.Time) { tr.lo, tr.hasLo = t, true }, func(t time.Time) { tr.hi, tr.hasHi = t, true }
		var op string
		for _, p := range []string{">=", "<=", ">", "<"} {
			if strings.HasPrefix(v, p) {
				op, v = p, v[len(p):]
				break
			}
		}
		if a, b, ok := strings.Cut(v, ".."); ok && op == "" {
			aFrom, _, err1 := s.githubTime(a)
			_, bTo, err2 := s.githubTime(b)
			if err1 != nil || err2 != nil {
				return tr, fmt.Errorf("invalid created range %q", v)
			}
			lo(aFrom)
			hi(bTo)
			continue
		}
		from, to, err := s.githubTime(v)
		if err != nil {
			return tr, err
		}
		switch op {
		case ">=":
			lo(from)
		case ">":
			lo(to.Add(time.Nanosecond))
		case "<=":
			hi(to)
		case "<":
			hi(from.Add(-time.Nanosecond))
		default:
			lo(from)
			hi(to)
		}
	}
	return tr, nil
}

// githubAuditLog: GET /enterprises/{enterprise}/audit-log.
func (s *Simulator) githubAuditLog(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("enterprise") != GitHubEnterprise {
		githubError(w, http.StatusNotFound, "Not Found")
		return
	}
	q := r.URL.Query()
	perPage, ok := intParam(q, "per_page", githubDefaultPerPage)
	if !ok || perPage < 1 {
		githubError(w, http.StatusUnprocessableEntity, "Invalid per_page")
		return
	}
	perPage, _ = s.capPage(min(perPage, githubMaxPerPage))
	include := q.Get("include")
	if include == "" {
		include = "web"
	}
	if !slices.Contains([]string{"web", "git", "all"}, include) {
		githubError(w, http.StatusUnprocessableEntity, "Invalid include")
		return
	}
	order := q.Get("order")
	if order == "" {
		order = "desc"
	}
	if order != "desc" && order != "asc" {
		githubError(w, http.StatusUnprocessableEntity, "Invalid order")
		return
	}
	if q.Get("before") != "" {
		// Nothing this simulator serves links a previous page.
		githubError(w, http.StatusUnprocessableEntity, "before is not served by the simulator")
		return
	}
	tr, err := s.githubCreated(q.Get("phrase"))
	if err != nil {
		githubError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	keep := func(rec *record) bool { return include == "all" || rec.tags["include"] == include }
	recs := s.stores[APIGitHubAuditLog].query(s.stream(APIGitHubAuditLog, ""), tr, keep)
	var page []*record
	var more bool
	if order == "desc" {
		page, more, ok = newestFirstPage(recs, q.Get("after"), perPage)
	} else {
		page, more, ok = oldestFirstPage(recs, q.Get("after"), perPage)
	}
	if !ok {
		githubError(w, http.StatusUnprocessableEntity, "Invalid after cursor")
		return
	}
	lose := s.opts.GitHub.LinkLosesPhrase
	links := []string{githubLink(r, "", "first", lose)}
	if len(page) > 0 && (more || s.opts.GitHub.NextOnLastPage && len(page) == perPage) {
		last := page[len(page)-1]
		links = append([]string{githubLink(r, keyCursor{last.t, last.seq}.encode(), "next", lose)}, links...)
	}
	w.Header().Set("Link", strings.Join(links, ", "))
	writeRaw(w, http.StatusOK, appendArray(nil, s.ordered(r, page)))
}

// githubLink is the request's URL with after set to cursor and before
// empty, as the docs' Link header shows (without the phrase with losePhrase).
func githubLink(r *http.Request, cursor, rel string, losePhrase bool) string {
	q := r.URL.Query()
	if losePhrase {
		q.Del("phrase")
	}
	q.Set("after", cursor)
	q.Set("before", "")
	u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return "<" + u.String() + `>; rel="` + rel + `"`
}

// oldestFirstPage is newestFirstPage for order=asc.
func oldestFirstPage(recs []*record, cursor string, limit int) (page []*record, more, ok bool) {
	if cursor != "" {
		c, valid := decodeKeyCursor(cursor)
		if !valid {
			return nil, false, false
		}
		i := 0
		for i < len(recs) && (recs[i].t.Before(c.t) || recs[i].t.Equal(c.t) && recs[i].seq <= c.seq) {
			i++
		}
		recs = recs[i:]
	}
	if len(recs) > limit {
		return recs[:limit], true, true
	}
	return recs, false, true
}
