package decode

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// idPage has records without an id field; the comments say which share an id.
const idPage = `{"data": [
	{"ts": 1, "user": 1,   "action": "login"},
	{"ts": 1, "user": "1", "action": "login"},
	{"action": "login", "user": 1, "ts": 1},
	{ "ts" : 1 , "user" : 1 , "action" : "login" , "extra": null},
	{"ts": 1, "action": "login"},
	{"ts": 1, "user": null, "action": "login"},
	{"ts": 1, "user": {"b": [1.0, "x"], "a": "caf\u00e9\n"}, "action": "login"},
	{"ts": 1, "user": {"a": "café\u000a", "b": [1.0, "x"]}, "action": "login"},
	{"ts": 1, "user": {"a": "café\n", "b": [1, "x"]}, "action": "login"},
	{"ts": 2, "user": "a,b", "action": "c"},
	{"ts": 2, "user": "a", "action": "b,c"}
]}`

func idDecoder(t *testing.T, rec apispec.Records) *Decoder {
	rec.Path, rec.TimeField, rec.TimeFormat = "data", "ts", "unix_s"
	return newDecoder(t, rec, apispec.Pagination{Type: apispec.PaginationNone})
}

// decodeIDs decodes idPage whole and record by record; both give the same ids.
func decodeIDs(t *testing.T, rec apispec.Records) []string {
	t.Helper()
	var byPath [2][]string
	for i, limit := range []int{WholeBodyLimit, -1} {
		d := idDecoder(t, rec)
		d.SetWholeBodyLimit(limit)
		page, err := d.Decode([]byte(idPage), nil)
		require.NoError(t, err)
		for _, r := range page.Records {
			assert.Empty(t, r.Problem)
			assert.Equal(t, i == 1, r.Raw != nil, "path %d", i)
			byPath[i] = append(byPath[i], r.ID)
		}
	}
	require.Equal(t, byPath[0], byPath[1], "the whole-body and the record-by-record paths agree")
	return byPath[0]
}

func TestIDFieldsJoinTyped(t *testing.T) {
	ids := decodeIDs(t, apispec.Records{IDFields: []string{"ts", "user", "action"}})
	assert.Equal(t, []string{
		`[1,1,"login"]`,
		`[1,"1","login"]`, // a string "1" is not the number 1
		`[1,1,"login"]`,   // key order and white space do not matter
		`[1,1,"login"]`,   // nor fields outside id_fields
		`[1,null,"login"]`,
		`[1,null,"login"]`, // absent and null are the same
		`[1,{"a":"café\u000a","b":[1.0,"x"]},"login"]`,
		`[1,{"a":"café\u000a","b":[1.0,"x"]},"login"]`, // the same value, escaped differently
		`[1,{"a":"café\u000a","b":[1,"x"]},"login"]`,   // numbers as written
		`[2,"a,b","c"]`,
		`[2,"a","b,c"]`, // no separator to confuse
	}, ids)
}

func TestIDHashOfCanonicalJSON(t *testing.T) {
	ids := decodeIDs(t, apispec.Records{ID: apispec.IDHash})
	sum := func(canonical string) string {
		s := sha256.Sum256([]byte(canonical))
		return hex.EncodeToString(s[:])
	}
	assert.Equal(t, sum(`{"action":"login","ts":1,"user":1}`), ids[0])
	assert.Equal(t, sum(`{"action":"login","ts":1,"user":"1"}`), ids[1])
	assert.Equal(t, ids[0], ids[2], "two identical records are one")
	assert.Equal(t, sum(`{"action":"login","extra":null,"ts":1,"user":1}`), ids[3], "null is a value")
	assert.NotEqual(t, ids[4], ids[5], "absent and null differ in a hash")
	assert.Equal(t, sum(`{"action":"login","ts":1,"user":{"a":"café\u000a","b":[1.0,"x"]}}`), ids[6])
	assert.Equal(t, ids[6], ids[7])
	assert.NotEqual(t, ids[7], ids[8], "numbers as written")
	seen := map[string]bool{}
	for _, id := range ids {
		assert.Len(t, id, 64)
		seen[id] = true
	}
	assert.Len(t, seen, 9, "11 records, two pairs of equals")
}

func TestCanonicalJSONDuplicateKeysKeepTheirOrder(t *testing.T) {
	v, err := fastjson.Parse(`{"b":1,"a":2,"b":0,"\u0001":"\t"}`)
	require.NoError(t, err)
	// The exact text, not JSONEq: the text is what is hashed.
	want := `{"\u0001":"\u0009","a":2,"b":1,"b":0}`
	assert.Equal(t, want, string(CanonicalJSON(nil, v)))
}

// A record nested deeper than fastjson parses has no id: an invalid record,
// not a lost page.
func TestIDHashOfTooDeepRecord(t *testing.T) {
	deep := strings.Repeat(`[`, 400) + strings.Repeat(`]`, 400)
	d := idDecoder(t, apispec.Records{ID: apispec.IDHash})
	page, err := d.Decode([]byte(`{"data": [{"ts": 1, "x": `+deep+`}, {"ts": 2}]}`), nil)
	require.NoError(t, err)
	require.Len(t, page.Records, 2)
	assert.Contains(t, page.Records[0].Problem, "cannot be parsed to compute its id")
	assert.Empty(t, page.Records[1].Problem)
	assert.Len(t, page.Records[1].ID, 64)
}

func TestNewRejectsBadIDFields(t *testing.T) {
	_, err := New(apispec.Records{IDFields: []string{"a", "b..c"}, TimeField: "ts", TimeFormat: "unix_s"}, apispec.Pagination{})
	assert.ErrorContains(t, err, `id_fields[1] "b..c"`)
}

// A large value (the record-by-record path gives field lookups an empty
// placeholder for objects above 4 KiB) is in the id whole in both paths.
func TestIDOfLargeRecordBothPaths(t *testing.T) {
	big := strings.Repeat("x", 5000)
	body := []byte(`{"data": [{"ts": 1, "user": {"s": "` + big + `"}}]}`)
	for _, rec := range []apispec.Records{{IDFields: []string{"user"}}, {ID: apispec.IDHash}} {
		var ids []string
		for _, limit := range []int{WholeBodyLimit, -1} {
			d := idDecoder(t, rec)
			d.SetWholeBodyLimit(limit)
			page, err := d.Decode(body, nil)
			require.NoError(t, err)
			ids = append(ids, page.Records[0].ID)
		}
		assert.Equal(t, ids[0], ids[1])
		if rec.ID == "" {
			assert.Equal(t, `[{"s":"`+big+`"}]`, ids[0])
		}
	}
}
