package mapper

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// maxInterned bounds the key and text caches, so APIs whose keys are data
// (ids as keys) cannot grow them without end.
const maxInterned = 4096

// converter turns fastjson values into pcommon values. keys, when not nil,
// interns object keys: records of one API repeat the same keys, and a map
// hit saves one allocation per field.
type converter struct {
	keys    map[string]string
	arena   *decode.Arena // string values; nil: one allocation each
	scratch []byte        // number text (a local array would escape through MarshalTo)
	// slots remembers the keys of the previous record by visit position:
	// records of one API share their shape, and a string compare is
	// cheaper than a map lookup. Reset slot at each record.
	slots []string
	slot  int

	big   protoBuilder    // objects above bigMap members
	done  <-chan struct{} // closed: stop (err is set)
	ticks int
	err   error
}

// errCancelled: done was closed while a record was mapped.
var errCancelled = fmt.Errorf("mapping abandoned: %w", context.Canceled)

// count counts n values about to be mapped and checks done whenever the
// count passes a multiple of 4096; false once the mapping is to stop.
// Containers count their members before mapping them (one addition per
// object or array, not per value), and loops over more than 4096 elements
// check as they go, so that at most about 4096 values are mapped after
// done closes.
func (c *converter) count(n int) bool {
	before := c.ticks
	c.ticks += n
	if c.ticks>>12 != before>>12 && c.done != nil {
		select {
		case <-c.done:
			c.err = errCancelled
		default:
		}
	}
	return c.err == nil
}

// tick is count(1).
func (c *converter) tick() bool { return c.count(1) }

// check checks done now.
func (c *converter) check() bool {
	c.ticks = c.ticks>>12<<12 - 1
	return c.count(1)
}

// ToValue writes v into dst: objects become maps (key order kept), arrays
// slices, strings strings, true/false bools, null an empty value, numbers
// int64 when integral and in range, else double.
func ToValue(dst pcommon.Value, v *fastjson.Value) {
	var c converter
	c.value(dst, v)
}

func (c *converter) value(dst pcommon.Value, v *fastjson.Value) {
	if v == nil || c.err != nil {
		return
	}
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		c.fillMap(dst.SetEmptyMap(), o)
	case fastjson.TypeArray:
		arr, _ := v.Array()
		if !c.count(len(arr)) {
			return
		}
		s := dst.SetEmptySlice()
		s.EnsureCapacity(len(arr))
		for i, e := range arr {
			if i&4095 == 4095 && !c.check() || c.err != nil {
				return
			}
			c.value(s.AppendEmpty(), e)
		}
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		dst.SetStr(c.str(b))
	case fastjson.TypeNumber:
		n, f, kind := c.number(v)
		switch kind {
		case numInt:
			dst.SetInt(n)
		case numDouble:
			dst.SetDouble(f)
		default:
			dst.SetStr(string(c.scratch))
		}
	case fastjson.TypeTrue:
		dst.SetBool(true)
	case fastjson.TypeFalse:
		dst.SetBool(false)
	}
	// null: dst stays empty.
}

// put is value for a map entry: the Put* calls skip the reset that
// PutEmpty followed by Set* costs, which matters at one call per field.
func (c *converter) put(m pcommon.Map, k string, v *fastjson.Value) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		c.fillMap(m.PutEmptyMap(k), o)
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		m.PutStr(k, c.str(b))
	case fastjson.TypeNumber:
		n, f, kind := c.number(v)
		switch kind {
		case numInt:
			m.PutInt(k, n)
		case numDouble:
			m.PutDouble(k, f)
		default:
			m.PutStr(k, string(c.scratch))
		}
	case fastjson.TypeTrue:
		m.PutBool(k, true)
	case fastjson.TypeFalse:
		m.PutBool(k, false)
	case fastjson.TypeNull:
		m.PutEmpty(k)
	default:
		c.value(m.PutEmpty(k), v)
	}
}

func (c *converter) str(b []byte) string {
	if c.arena != nil {
		return c.arena.String(b)
	}
	return toString(b)
}

type numKind uint8

const (
	numInt numKind = iota
	numDouble
	numText // loose text fastjson let through ("1-2"): kept as a string, in c.scratch
)

// number reads a JSON number: int64 when integral and in range (42.0 and
// 1e3 included), else double.
func (c *converter) number(v *fastjson.Value) (int64, float64, numKind) {
	c.scratch = v.MarshalTo(c.scratch[:0])
	raw := c.scratch
	if n, ok := parseInt(raw); ok {
		return n, 0, numInt
	}
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(raw), len(raw)), 64) //nolint:gosec // raw is not changed while the string is in use
	switch {
	case err != nil && !isRangeErr(err):
		return 0, 0, numText
	case f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63:
		return int64(f), 0, numInt
	}
	return 0, f, numDouble
}

func isRangeErr(err error) bool {
	ne := &strconv.NumError{}
	ok := errors.As(err, &ne)
	return ok && errors.Is(ne.Err, strconv.ErrRange)
}

// fillMap appends every field of o to m, in order: with Put* for small
// objects, through fillBig above bigMap members (see bigMap).
func (c *converter) fillMap(m pcommon.Map, o *fastjson.Object) {
	if o.Len() > bigMapAt && c.fillBig(m, o, nil) || !c.count(o.Len()) {
		return
	}
	m.EnsureCapacity(o.Len())
	o.Visit(func(k []byte, v *fastjson.Value) {
		if c.err == nil {
			c.put(m, c.key(k), v)
		}
	})
}

// b2s views b as a string, for values used within one call or while the
// parser's buffer they point into is not reused.
func b2s(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b)) //nolint:gosec // see above
}

func (c *converter) key(k []byte) string {
	if c.keys == nil {
		return toString(k)
	}
	i := c.slot
	c.slot++
	if i < len(c.slots) && c.slots[i] == string(k) {
		return c.slots[i]
	}
	s, ok := c.keys[string(k)] // no allocation for the lookup
	if !ok {
		s = toString(k)
		if len(c.keys) < maxInterned {
			c.keys[s] = s
		}
	}
	switch {
	case i < len(c.slots):
		c.slots[i] = s
	case i < maxInterned:
		c.slots = append(c.slots, s)
	}
	return s
}

// toString copies b (it points into the parser's reused buffer). fastjson
// does not validate UTF-8; invalid bytes become U+FFFD so exporters that
// require valid proto strings do not drop the whole batch.
func toString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// parseInt reads a plain JSON integer that fits int64.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}
