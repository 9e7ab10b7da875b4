package simulator

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var onePasswordAuth = []string{"Authorization", "Bearer demo-1password-token", "Content-Type", "application/json"}

type onePasswordPage struct {
	Cursor  string `json:"cursor"`
	HasMore bool   `json:"has_more"`
	Items   []struct {
		UUID       string    `json:"uuid"`
		Timestamp  time.Time `json:"timestamp"`
		Category   string    `json:"category"`
		TargetUser struct {
			Email string `json:"email"`
		} `json:"target_user"`
	} `json:"items"`
}

func onePasswordPost(t *testing.T, base, body string) onePasswordPage {
	t.Helper()
	r := do(t, http.MethodPost, base+"/onepassword/api/v1/signinattempts", body, onePasswordAuth...)
	require.Equal(t, http.StatusOK, r.code, string(r.body))
	var p onePasswordPage
	r.json(t, &p)
	require.NotEmpty(t, p.Cursor, "every answer has a cursor")
	return p
}

func cursorBody(c string) string { return `{"cursor":` + strconv.Quote(c) + `}` }

func TestOnePasswordResetCursorThenCursors(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	s.AddRecords(APIOnePasswordSignInAttempts, "", 5, t0.Add(-time.Hour)) // before start_time
	for i := range 250 {
		s.AddRecords(APIOnePasswordSignInAttempts, "", 1, t0.Add(time.Duration(i/4)*time.Second)) // ties of four
	}
	p := onePasswordPost(t, srv.URL, `{"limit":100,"start_time":"`+t0.Format(time.RFC3339)+`"}`)
	var got []string
	var sizes []int
	var more []bool
	for {
		sizes, more = append(sizes, len(p.Items)), append(more, p.HasMore)
		for _, it := range p.Items {
			got = append(got, it.UUID)
		}
		if !p.HasMore {
			break
		}
		p = onePasswordPost(t, srv.URL, cursorBody(p.Cursor))
	}
	assert.Equal(t, []int{100, 100, 50}, sizes)
	assert.Equal(t, []bool{true, true, false}, more)
	want := s.Records(APIOnePasswordSignInAttempts)[5:]
	require.Len(t, got, 250)
	for i, r := range want {
		assert.Equal(t, r.ID, got[i])
	}
	// The last cursor keeps the position: nothing, then what is new.
	idle := onePasswordPost(t, srv.URL, cursorBody(p.Cursor))
	assert.Empty(t, idle.Items)
	assert.False(t, idle.HasMore)
	s.AddRecords(APIOnePasswordSignInAttempts, "", 2, time.Now())
	fresh := onePasswordPost(t, srv.URL, cursorBody(idle.Cursor))
	assert.Len(t, fresh.Items, 2)
	assert.False(t, fresh.HasMore)
	// The cursor kept the reset's limit of 100; v2 serves the same records.
	r := do(t, http.MethodPost, srv.URL+"/onepassword/api/v2/signinattempts", `{"limit":3,"start_time":"`+t0.Format(time.RFC3339)+`"}`, onePasswordAuth...)
	require.Equal(t, http.StatusOK, r.code)
	var v2 onePasswordPage
	r.json(t, &v2)
	assert.Len(t, v2.Items, 3)
	assert.True(t, v2.HasMore)
	assert.Equal(t, int64(6), s.Stats().Requests[APIOnePasswordSignInAttempts]["200"]) // 3 + idle + fresh + v2
}

func TestOnePasswordFullPageHasMoreEndsOnAnEmptyPage(t *testing.T) {
	o := quietOpts()
	o.Public.OnePasswordFullPageHasMore = true
	s, srv := newSim(t, o)
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	s.AddRecords(APIOnePasswordSignInAttempts, "", 200, t0)
	p := onePasswordPost(t, srv.URL, `{"limit":100,"start_time":"`+t0.Format(time.RFC3339)+`"}`)
	sizes := []int{len(p.Items)}
	for p.HasMore {
		p = onePasswordPost(t, srv.URL, cursorBody(p.Cursor))
		sizes = append(sizes, len(p.Items))
	}
	assert.Equal(t, []int{100, 100, 0}, sizes, "has_more true may be followed by an empty page")
}

func TestOnePasswordAuthAndRefusals(t *testing.T) {
	o := quietOpts()
	o.Public.OnePasswordCursorTTL = time.Nanosecond
	_, srv := newSim(t, o)
	var e struct {
		Error struct{ Message string }
	}
	r := do(t, http.MethodPost, srv.URL+"/onepassword/api/v1/signinattempts", `{}`, "Authorization", "Bearer wrong")
	require.Equal(t, http.StatusUnauthorized, r.code)
	r.json(t, &e)
	assert.Equal(t, "Unauthorized", e.Error.Message)
	r = do(t, http.MethodPost, srv.URL+"/onepassword/api/v1/signinattempts", `{"limit":1001}`, onePasswordAuth...)
	assert.Equal(t, http.StatusBadRequest, r.code)
	r = do(t, http.MethodPost, srv.URL+"/onepassword/api/v1/signinattempts", `{"start_time":"yesterday"}`, onePasswordAuth...)
	assert.Equal(t, http.StatusBadRequest, r.code)
	p := onePasswordPost(t, srv.URL, `{}`) // defaults: the last hour, 100 per page
	r = do(t, http.MethodPost, srv.URL+"/onepassword/api/v1/signinattempts", cursorBody(p.Cursor), onePasswordAuth...)
	assert.Equal(t, http.StatusBadRequest, r.code, "an expired cursor is refused (CursorTTL)")
	r = do(t, http.MethodPost, srv.URL+"/onepassword/api/v1/signinattempts", cursorBody("not-a-cursor"), onePasswordAuth...)
	assert.Equal(t, http.StatusBadRequest, r.code)
}
