package simulator

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Slack Audit Logs API, GET /audit/v1/logs, as its public docs describe it
// (not a built-in API: examples/slack_audit_logs.yaml describes it as a
// custom spec):
//   - https://docs.slack.dev/reference/audit-logs-api/methods-actions-reference
//     (base https://api.slack.com/audit/v1/, GET /logs, `Authorization: Bearer
//     xoxp-...` with auditlogs:read, Tier 3 rate limit: 50 calls a minute,
//     counted organization-wide);
//   - https://docs.slack.dev/admins/audit-logs-api/ (the answer: `entries`
//     and `response_metadata.next_cursor`; entries with id, date_create in
//     unix seconds, action, actor, entity, context);
//   - the arguments as the Slack SDKs send them (slack.dev python-slack-sdk
//     slack_sdk.audit_logs.v1.client, java-slack-sdk AuditClient#getLogs):
//     oldest and latest (unix seconds, both inclusive), limit (at most
//     9999), cursor, action, actor, entity.
//
// Entries come newest first when oldest/latest are given (the older
// https://api.slack.com/admins/audit-logs-call#endpoints, quoted in
// elastic/integrations#6958), and a cursor holds where to continue, not the
// first request's oldest (elastic/integrations#8163): each request is
// served from its own arguments. The docs do not say what the last page's
// cursor is; Slack's Web API convention is an empty next_cursor.
// SlackOptions serve the other plausible last pages. The cursor is a key
// (the last entry's time and sequence), so entries created during a walk
// never shift a page.

const (
	slackMaxLimit     = 9999
	slackDefaultLimit = 100
)

// Slack's last pages (SlackOptions.LastPage).
const (
	// SlackLastEmptyCursor: next_cursor is "" on the last page (the default).
	SlackLastEmptyCursor = ""
	// SlackLastNoMetadata: the last page has no response_metadata at all.
	SlackLastNoMetadata = "no_metadata"
	// SlackLastCursorToEmpty: a full last page still carries a cursor, and
	// the page it leads to is empty (next_cursor "").
	SlackLastCursorToEmpty = "cursor_to_empty"
)

// SlackOptions are the habits of the Slack route the docs leave open.
type SlackOptions struct {
	// LastPage is one of SlackLastEmptyCursor, SlackLastNoMetadata,
	// SlackLastCursorToEmpty.
	LastPage string
}

var slackActions = []string{"user_login", "user_logout", "file_downloaded", "public_channel_created", "app_installed", "role_change_to_admin", "file_shared"}

type slackUser struct{ ID, Name, Email string }

var slackUsers = []slackUser{
	{"W123AB456", "Charlie Parker", "bird@birdland.example"},
	{"W234BC567", "Ella Fitzgerald", "ella@birdland.example"},
	{"W345CD678", "Miles Davis", "miles@birdland.example"},
}

func buildSlackAudit(st *stream, _ int64, t time.Time) *record {
	rng := st.rng
	id := uuid(rng)
	action := pick(rng, slackActions)
	actor := pick(rng, slackUsers)
	userMap := func(u slackUser) map[string]any {
		return map[string]any{"id": u.ID, "name": u.Name, "email": u.Email}
	}
	entity := map[string]any{"type": "user", "user": userMap(pick(rng, slackUsers))}
	switch action {
	case "file_downloaded", "file_shared":
		entity = map[string]any{"type": "file", "file": map[string]any{"id": fmt.Sprintf("F%08X", rng.Uint32()), "name": "roadmap.pdf", "filetype": "pdf", "title": "Roadmap"}}
	case "public_channel_created":
		entity = map[string]any{"type": "channel", "channel": map[string]any{"id": fmt.Sprintf("C%08X", rng.Uint32()), "name": "announcements", "privacy": "public", "is_shared": false, "is_org_shared": false}}
	case "app_installed":
		entity = map[string]any{"type": "app", "app": map[string]any{"id": fmt.Sprintf("A%08X", rng.Uint32()), "name": "Pager", "is_distributed": true, "is_directory_approved": false, "scopes": []string{"chat:write"}}}
	}
	entry := map[string]any{
		"id": id, "date_create": t.Unix(), "action": action,
		"actor":  map[string]any{"type": "user", "user": userMap(actor)},
		"entity": entity,
		"context": map[string]any{
			"location":   map[string]any{"type": "enterprise", "id": "E1701NCCA", "name": "Birdland", "domain": "birdland"},
			"ua":         "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
			"ip_address": fmt.Sprintf("203.0.113.%d", 1+rng.Intn(250)),
			"session_id": strconv.FormatInt(800000000000+rng.Int63n(99999999999), 10),
		},
	}
	// details only where the action has some (role changes, in the docs' examples).
	if action == "role_change_to_admin" {
		entry["details"] = map[string]any{"previous_role": "member", "new_role": "admin"}
	}
	return &record{id: id, body: mustJSON(entry), tags: map[string]string{"action": action}}
}

// authSlack: a user token as Bearer. Slack answers its errors as
// {"ok":false,"error":...}.
func (s *Simulator) authSlack(w http.ResponseWriter, r *http.Request) bool {
	v, ok := schemeValue(r, "Bearer")
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"ok": false, "error": "not_authed"})
		return false
	}
	if !keyEqual(v, s.opts.Keys.Slack) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"ok": false, "error": "invalid_authentication"})
		return false
	}
	return true
}

func slackBadRequest(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": code})
}

// keyCursor is a position in a newest-first list: the last record served.
type keyCursor struct {
	t   time.Time
	seq int64
}

func (c keyCursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.t.UnixNano(), 10) + ":" + strconv.FormatInt(c.seq, 10)))
}

func decodeKeyCursor(v string) (keyCursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return keyCursor{}, false
	}
	ns, seq, ok := strings.Cut(string(raw), ":")
	if !ok {
		return keyCursor{}, false
	}
	n, err1 := strconv.ParseInt(ns, 10, 64)
	q, err2 := strconv.ParseInt(seq, 10, 64)
	if err1 != nil || err2 != nil {
		return keyCursor{}, false
	}
	return keyCursor{time.Unix(0, n), q}, true
}

// after reports whether r comes after the cursor in a newest-first list.
func (c keyCursor) after(r *record) bool {
	return r.t.Before(c.t) || r.t.Equal(c.t) && r.seq < c.seq
}

// newestFirstPage returns the records of recs (oldest first) that follow
// cursor (all when cursor is ""), newest first, at most limit, and whether
// more follow them.
func newestFirstPage(recs []*record, cursor string, limit int) (page []*record, more, ok bool) {
	reverse(recs)
	if cursor != "" {
		c, valid := decodeKeyCursor(cursor)
		if !valid {
			return nil, false, false
		}
		i := 0
		for i < len(recs) && !c.after(recs[i]) {
			i++
		}
		recs = recs[i:]
	}
	if len(recs) > limit {
		return recs[:limit], true, true
	}
	return recs, false, true
}

// slackLogs: GET /audit/v1/logs.
func (s *Simulator) slackLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := intParam(q, "limit", slackDefaultLimit)
	if !ok || limit < 1 || limit > slackMaxLimit {
		slackBadRequest(w, "invalid_arguments")
		return
	}
	tr, bad := s.timeRangeOf(bound{"oldest", q.Get("oldest")}, bound{"latest", q.Get("latest")}, parseUnixSecond)
	if bad != "" {
		slackBadRequest(w, "invalid_arguments")
		return
	}
	tr.inclusive = true // both documented inclusive
	if tr.hasLo && tr.hasHi && tr.hi.Before(tr.lo) {
		slackBadRequest(w, "invalid_range")
		return
	}
	actions := strings.Split(q.Get("action"), ",")
	keep := func(rec *record) bool {
		return q.Get("action") == "" || slices.Contains(actions, rec.tags["action"])
	}
	limit, _ = s.capPage(limit)
	recs := s.stores[APISlackAuditLogs].query(s.stream(APISlackAuditLogs, ""), tr, keep)
	page, more, ok := newestFirstPage(recs, q.Get("cursor"), limit)
	if !ok {
		slackBadRequest(w, "invalid_cursor")
		return
	}
	next := ""
	if len(page) > 0 && (more || s.opts.Slack.LastPage == SlackLastCursorToEmpty && len(page) == limit) {
		last := page[len(page)-1]
		next = keyCursor{last.t, last.seq}.encode()
	}
	buf := append([]byte(`{"entries":`), appendArray(nil, s.ordered(r, page))...)
	if next != "" || s.opts.Slack.LastPage != SlackLastNoMetadata {
		buf = append(buf, `,"response_metadata":{"next_cursor":`...)
		buf = strconv.AppendQuote(buf, next)
		buf = append(buf, '}')
	}
	writeRaw(w, http.StatusOK, append(buf, '}'))
}

func parseUnixSecond(v string) (time.Time, error) {
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(sec, 0), nil
}
