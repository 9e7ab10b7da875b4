package simulator

import (
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type tinesMeta struct {
	CurrentPage    string `json:"current_page"`
	PreviousPage   any    `json:"previous_page"`
	NextPage       any    `json:"next_page"`
	NextPageNumber *int   `json:"next_page_number"`
	PerPage        int    `json:"per_page"`
	Pages          int    `json:"pages"`
	Count          int    `json:"count"`
}

type tinesActionPage struct {
	ActionLogs []struct {
		ID           int64  `json:"id"`
		Level        int    `json:"level"`
		Message      string `json:"message"`
		CreatedAt    string `json:"created_at"`
		InboundEvent any    `json:"inbound_event"`
	} `json:"action_logs"`
	Meta tinesMeta `json:"meta"`
}

func TestTinesActionLogsOrderAndPaging(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	base := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	s.AddRecords(APITinesActionLogs, "1001", 3, base)                  // a tie at second precision
	s.AddRecords(APITinesActionLogs, "1001", 2, base.Add(time.Second)) // newer
	s.AddRecords(APITinesActionLogs, "1001", 1, base.Add(-time.Hour))  // added later, but older
	s.AddRecords(APITinesActionLogs, "2002", 1, base)                  // another action

	var ids []int64
	next := srv.URL + "/tines/api/v1/actions/1001/logs?per_page=4"
	pages := 0
	for next != "" {
		r := get(t, next, tinesAuth...)
		require.Equal(t, 200, r.code, string(r.body))
		var p tinesActionPage
		r.json(t, &p)
		pages++
		assert.Equal(t, 6, p.Meta.Count)
		assert.Equal(t, 2, p.Meta.Pages)
		assert.Equal(t, 4, p.Meta.PerPage)
		for _, l := range p.ActionLogs {
			ids = append(ids, l.ID)
			_, err := time.Parse("2006-01-02T15:04:05Z", l.CreatedAt)
			require.NoError(t, err, "second precision with Z")
			assert.Contains(t, []int{2, 3, 4}, l.Level)
		}
		if p.Meta.NextPage == nil {
			assert.Nil(t, p.Meta.NextPageNumber)
			next = ""
			continue
		}
		next = p.Meta.NextPage.(string)
		u, err := url.Parse(next)
		require.NoError(t, err)
		assert.Equal(t, srv.Listener.Addr().String(), u.Host, "absolute URL on the request host")
		assert.Equal(t, "/tines/api/v1/actions/1001/logs", u.Path)
		assert.Equal(t, "4", u.Query().Get("per_page"))
		assert.Equal(t, 2, *p.Meta.NextPageNumber)
	}
	assert.Equal(t, 2, pages)
	require.Len(t, ids, 6)
	// Newest first by created_at, then id desc; the older record added last comes last.
	all := s.Records(APITinesActionLogs)
	var want []int64
	for _, r := range all {
		if r.Stream == "1001" {
			want = append(want, mustAtoi(t, r.ID))
		}
	}
	sort.Slice(want, func(i, j int) bool { return want[i] > want[j] })
	assert.Equal(t, append(want[1:], want[0]), ids)

	// Past the end: empty list, next_page null.
	r := get(t, srv.URL+"/tines/api/v1/actions/1001/logs?per_page=4&page=9", tinesAuth...)
	var p tinesActionPage
	r.json(t, &p)
	assert.Empty(t, p.ActionLogs)
	assert.Nil(t, p.Meta.NextPage)

	// Level filter.
	r = get(t, srv.URL+"/tines/api/v1/actions/1001/logs?level=3&per_page=500", tinesAuth...)
	r.json(t, &p)
	for _, l := range p.ActionLogs {
		assert.Equal(t, 3, l.Level)
	}
	// per_page is capped at 500.
	r = get(t, srv.URL+"/tines/api/v1/actions/1001/logs?per_page=5000", tinesAuth...)
	r.json(t, &p)
	assert.Equal(t, 500, p.Meta.PerPage)
}

func TestTinesStringNullQuirkAndAuth(t *testing.T) {
	o := quietOpts()
	o.StringNullNextPage = true
	s, srv := newSim(t, o)
	s.AddRecords(APITinesActionLogs, "7", 1, time.Now())
	r := get(t, srv.URL+"/tines/api/v1/actions/7/logs", "X-User-Token", "demo-tines-key")
	require.Equal(t, 200, r.code)
	var p tinesActionPage
	r.json(t, &p)
	assert.Equal(t, "null", p.Meta.NextPage)

	assert.Equal(t, 401, get(t, srv.URL+"/tines/api/v1/actions/7/logs").code)
	assert.Equal(t, 401, get(t, srv.URL+"/tines/api/v1/actions/7/logs", "Authorization", "Bearer wrong").code)
	assert.Equal(t, 401, get(t, srv.URL+"/tines/api/v1/audit_logs", "Authorization", "Token demo-tines-key").code)
}

type tinesAuditPage struct {
	AuditLogs []map[string]any `json:"audit_logs"`
	Meta      tinesMeta        `json:"meta"`
}

func TestTinesAuditLogsFilters(t *testing.T) {
	for _, inclusive := range []bool{true, false} {
		o := quietOpts()
		o.ExclusiveFilters = !inclusive
		s, srv := newSim(t, o)
		t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
		for i := 0; i < 5; i++ {
			s.AddRecords(APITinesAuditLogs, "", 2, t0.Add(time.Duration(i)*time.Second))
		}
		q := url.Values{"after": {t0.Add(time.Second).Format(time.RFC3339)}, "before": {t0.Add(3 * time.Second).Format(time.RFC3339)}, "per_page": {"500"}}
		r := get(t, srv.URL+"/tines/api/v1/audit_logs?"+q.Encode(), tinesAuth...)
		require.Equal(t, 200, r.code, string(r.body))
		var p tinesAuditPage
		r.json(t, &p)
		if inclusive {
			assert.Len(t, p.AuditLogs, 6, "seconds 1,2,3")
		} else {
			assert.Len(t, p.AuditLogs, 2, "second 2 only")
		}
		for i := 1; i < len(p.AuditLogs); i++ {
			assert.GreaterOrEqual(t, p.AuditLogs[i-1]["created_at"], p.AuditLogs[i]["created_at"])
			assert.Greater(t, p.AuditLogs[i-1]["id"], p.AuditLogs[i]["id"])
		}
		for _, k := range []string{"created_at", "operation_name", "id", "inputs", "request_ip", "request_user_agent", "tenant_id", "updated_at", "user_email", "user_id", "user_name"} {
			assert.Contains(t, p.AuditLogs[0], k)
		}
		// operation_name[] filter.
		op := p.AuditLogs[0]["operation_name"].(string)
		r = get(t, srv.URL+"/tines/api/v1/audit_logs?per_page=500&operation_name[]="+op, tinesAuth...)
		r.json(t, &p)
		require.NotEmpty(t, p.AuditLogs)
		for _, l := range p.AuditLogs {
			assert.Equal(t, op, l["operation_name"])
		}
		assert.Equal(t, 400, get(t, srv.URL+"/tines/api/v1/audit_logs?after=yesterday", tinesAuth...).code)
	}
}
