package decode

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"
)

func mustJSON(tb testing.TB, s string) *fastjson.Value {
	tb.Helper()
	v, err := fastjson.Parse(s)
	require.NoError(tb, err, s)
	return v
}

func ns(t time.Time) int64 { return t.UnixNano() }

func TestParseTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, n int) int64 {
		return ns(time.Date(y, mo, d, h, mi, s, n, time.UTC))
	}
	tests := []struct {
		json, format string
		want         int64
		wantErr      bool
	}{
		{`"2023-12-20T14:41:15Z"`, "rfc3339", utc(2023, 12, 20, 14, 41, 15, 0), false},
		{`"2023-12-20T14:41:15.1Z"`, "rfc3339", utc(2023, 12, 20, 14, 41, 15, 100_000_000), false},
		{`"2023-12-01T08:25:56.088353Z"`, "rfc3339", utc(2023, 12, 1, 8, 25, 56, 88_353_000), false},
		{`"2023-12-01T08:25:56.123456789123Z"`, "rfc3339", utc(2023, 12, 1, 8, 25, 56, 123_456_789), false},
		{`"2023-12-20T16:41:15+02:00"`, "rfc3339", utc(2023, 12, 20, 14, 41, 15, 0), false},
		{`"2023-12-20T10:11:15-0430"`, "rfc3339", utc(2023, 12, 20, 14, 41, 15, 0), false},
		{`"2023-12-20T16:41:15+02"`, "rfc3339", utc(2023, 12, 20, 14, 41, 15, 0), false},
		{`"2023-12-20t14:41:15z"`, "rfc3339", utc(2023, 12, 20, 14, 41, 15, 0), false},
		{`"2023-12-20T14:41:15"`, "rfc3339", utc(2023, 12, 20, 14, 41, 15, 0), false},         // naive = UTC
		{`"2023-12-20T14:41:15.250"`, "rfc3339", utc(2023, 12, 20, 14, 41, 15, 250e6), false}, // naive with fraction
		{`"2023-12-20 14:41:15"`, "rfc3339", utc(2023, 12, 20, 14, 41, 15, 0), false},         // space form
		{`"2024-02-29"`, "rfc3339", utc(2024, 2, 29, 0, 0, 0, 0), false},
		{`"2023-12-20T14:41:15.5Z"`, "rfc3339_ms", utc(2023, 12, 20, 14, 41, 15, 5e8), false}, // lenient for all rfc3339*
		{`"1969-12-31T23:59:59Z"`, "rfc3339", -1e9, false},
		{`"2023-02-29T00:00:00Z"`, "rfc3339", 0, true},
		{`"2023-12-20T24:00:00Z"`, "rfc3339", 0, true},
		{`"2023-12-20T14:41:15.Z"`, "rfc3339", 0, true},
		{`"2023-12-20T14:41:15 Z"`, "rfc3339", 0, true},
		{`"2023-12-20T14:41:15+2:00"`, "rfc3339", 0, true},
		{`"1500-01-01T00:00:00Z"`, "rfc3339", 0, true}, // beyond int64 ns
		{`"x"`, "rfc3339", 0, true},
		{`""`, "rfc3339", 0, true},
		{`1700000000`, "rfc3339", 0, true},
		{`null`, "rfc3339", 0, true},

		{`1700000000`, "unix_s", 1_700_000_000e9, false},
		{`1700000000.5`, "unix_s", 1_700_000_000_500_000_000, false},
		{`"1700000000"`, "unix_s", 1_700_000_000e9, false},
		{`1700000000123`, "unix_ms", 1_700_000_000_123e6, false},
		{`1700000000123.0`, "unix_ms", 1_700_000_000_123e6, false},
		{`1.700000000123e12`, "unix_ms", 1_700_000_000_123e6, false},
		{`42.0`, "unix_ms", 42e6, false},
		{`" 1700000000123 "`, "unix_ms", 1_700_000_000_123e6, false},
		{`1700000000123456`, "unix_us", 1_700_000_000_123_456e3, false},
		{`1700000000123456789`, "unix_ns", 1_700_000_000_123_456_789, false},
		{`1700000000123456789.9`, "unix_ns", 1_700_000_000_123_456_789, false}, // below ns truncated
		{`-1500`, "unix_ms", -1500e6, false},
		{`0`, "unix_ms", 0, false},
		{`99999999999999999999`, "unix_ns", 0, true},
		{`"abc"`, "unix_ms", 0, true},
		{`NaN`, "unix_ms", 0, true},
		{`true`, "unix_ms", 0, true},

		{`"20/12/2023 14:41"`, "layout:02/01/2006 15:04", utc(2023, 12, 20, 14, 41, 0, 0), false},
		{`"Wed, 20 Dec 2023 14:41:15 GMT"`, "layout:" + time.RFC1123, utc(2023, 12, 20, 14, 41, 15, 0), false},
		{`20231220`, "layout:20060102", utc(2023, 12, 20, 0, 0, 0, 0), false},
		{`"2023"`, "layout:02/01/2006", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.format+" "+tt.json, func(t *testing.T) {
			got, err := ParseTime(mustJSON(t, tt.json), tt.format)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got, "got %s", time.Unix(0, got).UTC())
		})
	}
	_, err := ParseTime(mustJSON(t, `1`), "iso")
	require.ErrorContains(t, err, "unknown time format")
	_, err = ParseTime(nil, "rfc3339")
	assert.Error(t, err)
}

func TestParseISOMatchesTimeParse(t *testing.T) {
	for _, s := range []string{
		"2023-12-20T14:41:15Z", "2000-02-29T23:59:59.999999999Z", "1970-01-01T00:00:00Z",
		"2262-04-11T23:47:15Z", "1678-01-01T00:00:00Z", "2023-06-30T12:00:00.5+05:30", "2023-01-01T00:00:00-12:00",
	} {
		want, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		got, ok := parseISO(s)
		require.True(t, ok, s)
		assert.Equal(t, want.UnixNano(), got, s)
	}
}

func TestFormatTime(t *testing.T) {
	at := time.Date(2023, 12, 20, 14, 41, 15, 123_456_789, time.UTC).UnixNano()
	want := map[string]string{
		"rfc3339":               "2023-12-20T14:41:15Z",
		"":                      "2023-12-20T14:41:15Z",
		"rfc3339_ms":            "2023-12-20T14:41:15.123Z",
		"rfc3339_us":            "2023-12-20T14:41:15.123456Z",
		"rfc3339_nano":          "2023-12-20T14:41:15.123456789Z",
		"unix_s":                "1703083275",
		"unix_ms":               "1703083275123",
		"unix_us":               "1703083275123456",
		"unix_ns":               "1703083275123456789",
		"layout:2006-01-02":     "2023-12-20",
		"layout:20060102150405": "20231220144115",
		"nonsense":              "",
		"layout:":               "",
	}
	for format, w := range want {
		assert.Equal(t, w, FormatTime(at, format), format)
	}
	assert.Equal(t, "-2", FormatTime(-1500e6, "unix_s"), "floor for negative times")
	_, err := compileTimeFormat("unix_ms")
	require.NoError(t, err)
	_, err = compileTimeFormat("epoch")
	assert.ErrorContains(t, err, "rfc3339, rfc3339_ms")
}

// Parse(Format(t)) == t truncated to the format's precision.
func TestTimeRoundTrip(t *testing.T) {
	precision := map[string]time.Duration{
		"rfc3339": time.Second, "rfc3339_ms": time.Millisecond, "rfc3339_us": time.Microsecond,
		"rfc3339_nano": 1, "unix_s": time.Second, "unix_ms": time.Millisecond, "unix_us": time.Microsecond,
		"unix_ns": 1, "layout:2006-01-02T15:04:05.000": time.Millisecond,
	}
	for _, at := range []int64{0, 1, 999_999_999, 1_703_083_275_123_456_789, 4_102_444_800_000_000_000} {
		for format, p := range precision {
			text := FormatTime(at, format)
			var v *fastjson.Value
			if text[0] >= '0' && text[0] <= '9' && format[0] == 'u' {
				v = mustJSON(t, text)
			} else {
				v = mustJSON(t, `"`+text+`"`)
			}
			got, err := ParseTime(v, format)
			require.NoError(t, err, "%s %s", format, text)
			assert.Equal(t, at-at%int64(p), got, "%s %s", format, text)
		}
	}
}
