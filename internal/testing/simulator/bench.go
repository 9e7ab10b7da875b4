package simulator

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// benchAction is one Tines action holding n records that exist only as a
// function of their index: record i has id i+1 and ten records share each
// second, so memory stays flat however large n is.
type benchAction struct {
	id     string
	n      int
	base   int64    // unix seconds of record 0
	cache  sync.Map // page number -> rendered items for per_page=500 (bounded by cacheN)
	cmu    sync.Mutex
	cacheN int
}

const (
	benchPerSecond = 10
	benchCacheMax  = 256 // about 256 * 60 KB
)

func newBenchAction(id string, n int, now time.Time) *benchAction {
	return &benchAction{id: id, n: n, base: now.Unix() - int64(n/benchPerSecond)}
}

var benchLevels = [...]byte{'3', '3', '3', '2', '3', '4', '3', '3'}

// appendItems renders records at descending positions [from, from+count) as a JSON array.
func (b *benchAction) appendItems(buf []byte, from, count int) []byte {
	buf = append(buf, '[')
	var ts [20]byte
	lastSec := int64(-1)
	for p := from; p < from+count; p++ {
		i := b.n - 1 - p
		id := int64(i + 1)
		if p > from {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"id":`...)
		buf = strconv.AppendInt(buf, id, 10)
		buf = append(buf, `,"level":`...)
		buf = append(buf, benchLevels[i%len(benchLevels)])
		buf = append(buf, `,"message":"Bench action log `...)
		buf = strconv.AppendInt(buf, id, 10)
		buf = append(buf, `","created_at":"`...)
		sec := b.base + int64(i/benchPerSecond)
		if sec != lastSec {
			time.Unix(sec, 0).UTC().AppendFormat(ts[:0], layoutSecond)
			lastSec = sec
		}
		buf = append(buf, ts[:20]...)
		buf = append(buf, `","inbound_event":null}`...)
	}
	return append(buf, ']')
}

// items returns the rendered records for one page, cached for the common per_page=500.
func (b *benchAction) items(page, perPage int) []byte {
	from := (page - 1) * perPage
	if from >= b.n {
		return []byte("[]")
	}
	count := min(perPage, b.n-from)
	if perPage != tinesMaxPerPage {
		return b.appendItems(make([]byte, 0, count*100), from, count)
	}
	if v, ok := b.cache.Load(page); ok {
		return v.([]byte)
	}
	out := b.appendItems(make([]byte, 0, count*100), from, count)
	b.cmu.Lock()
	if b.cacheN < benchCacheMax {
		b.cacheN++
		b.cache.Store(page, out)
	}
	b.cmu.Unlock()
	return out
}

// serveBench answers the bench action from rendered bytes; the level filter is ignored.
func (s *Simulator) serveBench(w http.ResponseWriter, r *http.Request, page, perPage int) {
	items := s.bench.items(page, perPage)
	buf := make([]byte, 0, len(items)+512)
	buf = s.appendTinesEnvelope(buf, r, "action_logs", items, s.bench.n, page, perPage, perPage)
	writeRaw(w, http.StatusOK, buf)
}
