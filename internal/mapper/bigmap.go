package mapper

import (
	"encoding/binary"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// bigMap is the size from which an object is built through pdata's
// protobuf decoder instead of Map.Put*. Every Put* first searches the map
// for its key, so n keys cost n²/2 comparisons. pcommon.Map has no way to
// append without that search, but its protobuf decoder appends: an object
// above bigMap members is written as a protobuf OTLP body, decoded, and
// moved into place, in time linear in its size. Below it, Put* is faster
// (no encoding, interned keys, shared strings).
//
// Why this file stays (issue #21), measured with
// `go test -run '^$' -bench BenchmarkBigMap -benchmem ./internal/mapper/`
// (2 shared vCPUs, ns per key; put = EnsureCapacity then Put*, fromraw =
// a map[string]any then Map.FromRaw):
//
//	keys      proto   put       fromraw
//	64        281     171       245
//	1,000     263     919       193
//	200,000   1,821   437,806   1,061   (put: 87.6 s for one map)
//
// Put* is 3.5 times slower at 1,000 keys and 240 times at 200,000: not
// linear. FromRaw is linear, but it takes a Go map, whose order is random:
// the members would lose the record's order (TestBigMapMatchesPut and the
// goldens hold it) and a repeated key its first position.
const bigMap = 64

// bigMapAt is bigMap; tests lower it.
var bigMapAt = bigMap

// maxProtoLen bounds one length-delimited protobuf field: lengths are
// written as five-byte varints (see closeLen).
const maxProtoLen = 1<<35 - 1

// protoBuilder writes objects as OTLP protobuf and decodes them into pdata.
// The JSON semantics are those of converter: members in the order of
// their first occurrence, a repeated key keeping its last value (as Put*
// on an existing key does), the same numbers, strings and UTF-8 repair.
type protoBuilder struct {
	buf     []byte
	members []member
	index   map[string]int // the members of one object by key, while they are collected
	un      plog.ProtoUnmarshaler
}

type member struct {
	key string // repaired UTF-8; may view the parser's buffer
	v   *fastjson.Value
}

// fillBig replaces m's content with o's members but those skip accepts
// (nil: all), and reports false when it could not (the object is larger
// than protobuf lengths allow here, or the converter was cancelled).
func (c *converter) fillBig(m pcommon.Map, o *fastjson.Object, skip func(k []byte) bool) bool {
	b := &c.big
	b.buf = b.buf[:0]
	// LogsData.resource_logs > ResourceLogs.scope_logs > ScopeLogs.log_records
	// > LogRecord.body > AnyValue.kvlist_value
	outer := []int{b.openLen(1), b.openLen(2), b.openLen(2), b.openLen(5), b.openLen(6)}
	c.kvlist(o, skip)
	ok := c.err == nil
	for i := len(outer) - 1; i >= 0 && ok; i-- {
		ok = b.closeLen(outer[i])
	}
	defer func() {
		if cap(b.buf) > 1<<20 {
			b.buf = nil // do not keep the largest object ever seen
		}
	}()
	if !ok {
		return false
	}
	ld, err := b.un.UnmarshalLogs(b.buf)
	if err != nil {
		return false
	}
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Map().MoveTo(m)
	return true
}

// kvlist writes the members of o as KeyValueList.values. The members are
// collected first (a repeated key replaces the value of its first
// occurrence), then written; nested objects are collected while their
// parent is written, so one index serves every level.
func (c *converter) kvlist(o *fastjson.Object, skip func(k []byte) bool) {
	b := &c.big
	start := len(b.members)
	var index map[string]int
	if o.Len() > 8 {
		if b.index == nil {
			b.index = make(map[string]int, o.Len())
		}
		index = b.index
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		if c.err != nil || skip != nil && skip(k) {
			return
		}
		key := c.keyText(k)
		if index != nil {
			if i, dup := index[key]; dup {
				b.members[i].v = v
				return
			}
			index[key] = len(b.members)
		} else {
			for i := start; i < len(b.members); i++ {
				if b.members[i].key == key {
					b.members[i].v = v
					return
				}
			}
		}
		b.members = append(b.members, member{key, v})
	})
	if index != nil {
		if len(index) > 1<<12 {
			b.index = nil // a cleared map keeps its size
		}
		clear(index) // its keys may view the parser's buffer
	}
	end := len(b.members)
	for i := start; i < end && c.err == nil; i++ {
		kv := b.openLen(1)
		b.bytesField(1, b.members[i].key)
		val := b.openLen(2)
		c.anyValue(b.members[i].v)
		b.closeLen(val)
		b.closeLen(kv)
	}
	clear(b.members[start:end])
	b.members = b.members[:start]
	if cap(b.members) > 1<<16 && start == 0 {
		b.members = nil
	}
}

// anyValue writes the fields of an AnyValue holding v.
func (c *converter) anyValue(v *fastjson.Value) {
	if !c.tick() {
		return
	}
	b := &c.big
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		p := b.openLen(6)
		c.kvlist(o, nil)
		b.closeLen(p)
	case fastjson.TypeArray:
		arr, _ := v.Array()
		p := b.openLen(5)
		for _, e := range arr {
			q := b.openLen(1)
			c.anyValue(e)
			b.closeLen(q)
		}
		b.closeLen(p)
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		b.bytesField(1, c.valueText(s))
	case fastjson.TypeNumber:
		n, f, kind := c.number(v)
		switch kind {
		case numInt:
			b.varintField(3, uint64(n)) //nolint:gosec // G115: protobuf's int64 is its two's complement

		case numDouble:
			b.buf = append(b.buf, 4<<3|1)
			b.buf = binary.LittleEndian.AppendUint64(b.buf, math.Float64bits(f))
		default:
			b.bytesField(1, string(c.scratch))
		}
	case fastjson.TypeTrue:
		b.varintField(2, 1)
	case fastjson.TypeFalse:
		b.varintField(2, 0)
	}
	// null: an AnyValue without a value, an empty pcommon.Value.
}

// keyText is a key as converter.key gives it (toString), viewing k when it
// is valid UTF-8.
func (c *converter) keyText(k []byte) string {
	if utf8.Valid(k) {
		return b2s(k)
	}
	return strings.ToValidUTF8(string(k), "\uFFFD")
}

// valueText is a string value as converter.str gives it.
func (c *converter) valueText(s []byte) string {
	if utf8.Valid(s) {
		return b2s(s)
	}
	if c.arena != nil {
		return c.arena.String(s) // repairs byte by byte, as str does
	}
	return toString(s)
}

func (b *protoBuilder) varint(x uint64) {
	b.buf = binary.AppendUvarint(b.buf, x)
}

func (b *protoBuilder) varintField(field, x uint64) {
	b.varint(field << 3)
	b.varint(x)
}

func (b *protoBuilder) bytesField(field uint64, s string) {
	b.varint(field<<3 | 2)
	b.varint(length(len(s)))
	b.buf = append(b.buf, s...)
}

// openLen starts a length-delimited field; closeLen writes its length.
func (b *protoBuilder) openLen(field uint64) int {
	b.varint(field<<3 | 2)
	b.buf = append(b.buf, 0, 0, 0, 0, 0)
	return len(b.buf) - 5
}

// closeLen writes the length as a five-byte varint (continuation bits on
// the first four bytes, which protobuf decoders accept), so that nothing
// has to move once the content is written.
func (b *protoBuilder) closeLen(at int) bool {
	n := length(len(b.buf) - at - 5)
	if n > maxProtoLen {
		return false
	}
	for i := range 4 {
		b.buf[at+i] = byte(n>>(7*i)&0x7f) | 0x80
	}
	b.buf[at+4] = byte(n >> 28 & 0x7f)
	return true
}

// length is a slice length as protobuf writes it.
func length(n int) uint64 {
	return uint64(max(n, 0))
}
