package engine

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

const ndjsonSpec = `
request:
  path: /logs
  query:
    page: "{{page}}"
    limit: "{{page_size}}"
    since: "{{window_start}}"
    until: "{{window_end}}"
time_filter: {format: unix_s}
pagination:
  type: %s
%s
records:
  format: ndjson
  order: newest_first
  id_field: id
  time_field: ts
  time_format: unix_s
  time_precision: 1s
`

// ndjsonPages serves n records newest first as NDJSON, pageSize lines a
// page, gzip-compressed without Content-Encoding (a gzip file served as is),
// with a Link header to the next page and an X-Total header.
func ndjsonPages(t *testing.T, base time.Time, n, pageSize int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var body bytes.Buffer
		for i := (page - 1) * pageSize; i < min(page*pageSize, n); i++ {
			fmt.Fprintf(&body, "{\"id\":\"r%d\",\"ts\":%d}\n", n-1-i, base.Add(time.Duration(n-1-i)*time.Second).Unix())
		}
		if page*pageSize < n {
			q := r.URL.Query()
			q.Set("page", strconv.Itoa(page+1))
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?%s>; rel="next"`, r.Host, r.URL.Path, q.Encode()))
		} else {
			w.Header().Set("Link", `<http://`+r.Host+`/logs?page=1>; rel="first"`)
		}
		w.Header().Set("X-Total", strconv.Itoa(n))
		w.Header().Set("Content-Type", "application/x-ndjson")
		zw := gzip.NewWriter(w)
		_, err := zw.Write(body.Bytes())
		assert.NoError(t, err)
		assert.NoError(t, zw.Close())
	}
}

// An NDJSON API read page by page, its answers gzip files: every record
// once, with the requests each way of knowing the last page costs (7
// records, 3 a page): the Link header or the total header end the walk on
// the 3rd page; page numbers alone need the empty 4th.
func TestCustomNDJSONWalk(t *testing.T) {
	for _, tc := range []struct {
		name, typ, extra string
		requests         int
	}{
		{"link header", "link_header", "", 3},
		{"total header", "page", "  total_header: X-Total", 3},
		{"page numbers only", "page", "", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := baseTime()
			clock := &fakeClock{now: base.Add(time.Hour)}
			api := newCustomAPI(t, ndjsonPages(t, base, 7, 3))
			r := newCustomRig(t, fmt.Sprintf(ndjsonSpec, tc.typ, tc.extra), api, clock, 3)
			_, records, err := r.poll()
			require.NoError(t, err)
			assert.Equal(t, 7, records)
			assert.Equal(t, []string{"r6", "r5", "r4", "r3", "r2", "r1", "r0"}, r.consumer.uids())
			assert.Len(t, api.sent(), tc.requests)
			assert.Equal(t, []string{ndjsonAccept}, slices.Compact(api.accepted()))
			assert.Nil(t, r.stored().Walk)
		})
	}
}

// A gzip bomb (8 MiB of newlines in a few KiB, sent with Content-Encoding
// to a request that asked for gzip itself) fails the poll as a body above
// max_body_size after one request: nothing delivered, no walk stored.
func TestCustomGzipBombFailsThePoll(t *testing.T) {
	var packed bytes.Buffer
	zw := gzip.NewWriter(&packed)
	chunk := bytes.Repeat([]byte("\n"), 64<<10)
	for range 128 {
		_, err := zw.Write(chunk)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	base := baseTime()
	clock := &fakeClock{now: base.Add(time.Hour)}
	api := newCustomAPI(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(packed.Bytes())
	})
	spec := fmt.Sprintf(ndjsonSpec, "page", "")
	spec = spec[:len("\nrequest:\n  path: /logs\n")] + "  headers: {Accept-Encoding: gzip}\n" + spec[len("\nrequest:\n  path: /logs\n"):]
	r := newCustomRig(t, spec, api, clock, 3, func(c *httpclient.Config) { c.MaxBodySize = 1 << 20 })
	_, records, err := r.poll()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GET /logs: status 200: response body exceeds size limit (max_body_size 1048576 bytes after gzip decompression)")
	assert.Zero(t, records)
	assert.Empty(t, r.consumer.uids())
	assert.Len(t, api.sent(), 1)
}
