package decode

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

var ndjsonRecords = apispec.Records{Format: apispec.FormatNDJSON, IDField: "id", TimeField: "t", TimeFormat: "unix_s"}

// Every non-blank line is one record, CRLF or LF, with or without a final
// newline; a line that is not JSON is a record with a problem naming its
// line (never its text), and the records around it are read.
func TestNDJSONLines(t *testing.T) {
	d := newDecoder(t, ndjsonRecords, apispec.Pagination{Type: apispec.PaginationLinkHeader, TotalHeader: "X-Total"})
	body := "{\"id\":\"a\",\"t\":1}\r\n\n  {\"id\":2,\"t\":2,\"x\":{\"y\":[1,2]}}  \n{\"id\":\"secret-token\n{\"t\":4}\n[1]\n{\"id\":\"e\",\"t\":5}"
	header := http.Header{"Link": {`<https://x/logs?page=2>; rel="next"`}, "X-Total": {"9"}}
	pg, err := d.Decode([]byte(body), header)
	require.NoError(t, err)
	require.Len(t, pg.Records, 6)
	var ids, problems []string
	var times []int64
	for _, r := range pg.Records {
		ids, times, problems = append(ids, r.ID), append(times, r.Time), append(problems, r.Problem)
		require.NotNil(t, r.Raw)
	}
	assert.Equal(t, []string{"a", "2", "", "", "", "e"}, ids)
	assert.Equal(t, []int64{1e9, 2e9, 0, 4e9, 0, 5e9}, times)
	assert.Empty(t, problems[0]+problems[1]+problems[5])
	assert.Equal(t, "line 4 of the NDJSON body is not JSON", problems[2])
	assert.NotContains(t, strings.Join(problems, " "), "secret")
	assert.NotEmpty(t, problems[3], "no id")
	assert.NotEmpty(t, problems[4], "an array is no record")
	assert.JSONEq(t, `{"id":2,"t":2,"x":{"y":[1,2]}}`, string(pg.Records[1].Raw))
	assert.Equal(t, MoreYes, pg.More)
	assert.Equal(t, "https://x/logs?page=2", pg.Next)
	assert.True(t, pg.HasTotal)
	assert.Equal(t, 9, pg.Total)

	for _, empty := range []string{"", "\n", " \r\n\t\n"} {
		pg, err := d.Decode([]byte(empty), nil)
		require.NoError(t, err)
		assert.Empty(t, pg.Records, "%q", empty)
	}
}

// The records of one page stay bounded by max_body_size as in JSON.
func TestNDJSONTooManyLines(t *testing.T) {
	d := newDecoder(t, ndjsonRecords, apispec.Pagination{Type: apispec.PaginationPage})
	d.SetMaxBodySize(1)
	_, err := d.Decode(bytes.Repeat([]byte("{}\n"), 1025), nil)
	require.EqualError(t, err, "the NDJSON body holds more than 1024 records: more than one per 32 bytes of max_body_size")
	pg, err := d.Decode(bytes.Repeat([]byte("{}\n"), 1024), nil)
	require.NoError(t, err)
	assert.Len(t, pg.Records, 1024)
}

func TestNDJSONRefusesBodyPaths(t *testing.T) {
	rec := ndjsonRecords
	rec.Path = "data"
	_, err := New(rec, apispec.Pagination{Type: apispec.PaginationPage})
	require.ErrorContains(t, err, "ndjson records")
	_, err = New(ndjsonRecords, apispec.Pagination{Type: apispec.PaginationCursor, NextPath: "next"})
	assert.ErrorContains(t, err, "ndjson records")
}

// FuzzNDJSON: any body decodes without panicking, to valid ids; and a body
// whose lines are all JSON objects reads the records that the same values read as
// a JSON array do, in order, with the same ids, times and problems.
func FuzzNDJSON(f *testing.F) {
	f.Add([]byte("{\"id\":1,\"t\":1}\n{\"id\":\"b\",\"t\":\"2\"}\r\n"))
	f.Add([]byte("{\"id\":1,\"t\":1e400}\n\n[1,2]\n\"x\"\nnull\n{\"id\":{},\"t\":[]}"))
	f.Add([]byte("{\"id\":\"\\ud800\",\"t\":1}\n{\"i\\u0064\":3,\"t\":3}"))
	f.Add([]byte("{\"id\":1,\"t\":" + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "}\n"))
	lines := newDecoder(f, ndjsonRecords, apispec.Pagination{Type: apispec.PaginationLinkHeader})
	array := newDecoder(f, apispec.Records{IDField: "id", TimeField: "t", TimeFormat: "unix_s"}, apispec.Pagination{Type: apispec.PaginationLinkHeader})
	f.Fuzz(func(t *testing.T, body []byte) {
		pg, err := lines.Decode(body, nil)
		if err != nil {
			return
		}
		allJSON := true
		var values [][]byte
		for _, r := range pg.Records {
			if !utf8.ValidString(r.ID) {
				t.Fatalf("invalid UTF-8 id %q", r.ID)
			}
			// Objects only: fastjson reads a top-level scalar more loosely
			// than an array element ("+"), which is not what is compared.
			if strings.HasSuffix(r.Problem, "is not JSON") || r.Raw[0] != '{' {
				allJSON = false
			}
			values = append(values, bytes.Clone(r.Raw))
		}
		if !allJSON || len(values) == 0 {
			return
		}
		got := append([]Record(nil), pg.Records...)
		want, err := array.Decode([]byte("["+string(bytes.Join(values, []byte(",")))+"]"), nil)
		if err != nil {
			t.Fatalf("lines %q read as an array: %v", values, err)
		}
		if len(want.Records) != len(got) {
			t.Fatalf("%d records as lines, %d as an array", len(got), len(want.Records))
		}
		for i, w := range want.Records {
			g := got[i]
			if g.ID != w.ID || g.Time != w.Time || g.TimeSource != w.TimeSource || g.Problem != w.Problem {
				t.Fatalf("record %d: lines %+v, array %+v", i, g, w)
			}
		}
	})
}
