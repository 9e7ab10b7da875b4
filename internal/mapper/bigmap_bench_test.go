package mapper

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// BenchmarkBigMap fills one pcommon.Map from a JSON object of n members
// (strings and integers, distinct keys) three ways, and reports ns/key:
//   - proto: fillBig, the hand-written OTLP protobuf (bigmap.go);
//   - put: the pdata API as the small path uses it, EnsureCapacity(n)
//     then one Put* per member (the converter's put);
//   - fromraw: the object as map[string]any, then Map.FromRaw.
//
// bigmap.go's comment quotes the figures. put/200000 is the quadratic
// case: its one iteration takes about 90 s, most of `make bench-micro`.
func BenchmarkBigMap(b *testing.B) {
	for _, n := range []int{64, 1_000, 200_000} {
		v, err := fastjson.Parse(flatObject(n))
		require.NoError(b, err)
		obj, err := v.Object()
		require.NoError(b, err)
		newConv := func() *converter {
			return &converter{keys: make(map[string]string, 64), arena: &decode.Arena{}}
		}
		perKey := func(b *testing.B) {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
		}
		b.Run(fmt.Sprintf("proto/%d", n), func(b *testing.B) {
			c := newConv()
			for b.Loop() {
				m := pcommon.NewMap()
				require.True(b, c.fillBig(m, obj, nil))
				require.Equal(b, n, m.Len())
			}
			perKey(b)
		})
		b.Run(fmt.Sprintf("put/%d", n), func(b *testing.B) {
			c := newConv()
			for b.Loop() {
				m := pcommon.NewMap()
				m.EnsureCapacity(obj.Len())
				c.slot = 0
				obj.Visit(func(k []byte, v *fastjson.Value) { c.put(m, c.key(k), v) })
				require.Equal(b, n, m.Len())
			}
			perKey(b)
		})
		b.Run(fmt.Sprintf("fromraw/%d", n), func(b *testing.B) {
			for b.Loop() {
				raw := make(map[string]any, obj.Len())
				obj.Visit(func(k []byte, v *fastjson.Value) { raw[string(k)] = rawOf(v) })
				m := pcommon.NewMap()
				require.NoError(b, m.FromRaw(raw))
				require.Equal(b, n, m.Len())
			}
			perKey(b)
		})
	}
}

// flatObject is an object of n members, every other one a string.
func flatObject(n int) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		if i%2 == 0 {
			fmt.Fprintf(&sb, `"k%07d":"value %d"`, i, i)
		} else {
			fmt.Fprintf(&sb, `"k%07d":%d`, i, i)
		}
	}
	sb.WriteByte('}')
	return sb.String()
}

// rawOf is the Go value FromRaw takes for the scalars of flatObject.
func rawOf(v *fastjson.Value) any {
	switch v.Type() {
	case fastjson.TypeString:
		return string(v.GetStringBytes())
	case fastjson.TypeNumber:
		n, err := strconv.ParseInt(string(v.MarshalTo(nil)), 10, 64)
		if err != nil {
			return v.GetFloat64()
		}
		return n
	}
	return nil
}
