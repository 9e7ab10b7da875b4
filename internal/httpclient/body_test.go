package httpclient

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func gzipped(t *testing.T, chunks int, chunk []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	require.NoError(t, err)
	for range chunks {
		_, err = zw.Write(chunk)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return b.Bytes()
}

const gzipJSON = `{"data":[{"id":1},{"id":2}]}`

// Every way a gzip body arrives is read as the JSON it holds: the
// transport's own (it asked, the server compressed), Content-Encoding
// when the request asked itself (the transport leaves the body compressed
// then), and a gzip body without any header (a gzip file served as JSON).
func TestGzipBodiesAreDecompressed(t *testing.T) {
	packed := gzipped(t, 1, []byte(gzipJSON))
	srv := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("header") == "1" {
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(packed)
	})
	c, obs, _ := newTestClient(t, srv, nil)
	for _, tc := range []struct {
		name, query, acceptEncoding string
	}{
		{"transport asked", "?header=1", ""},
		{"request asked", "?header=1", "gzip"},
		{"no header", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.acceptEncoding != "" {
				h.Set("Accept-Encoding", tc.acceptEncoding)
			}
			resp, err := c.Do(context.Background(), Request{URL: srv.URL + "/logs" + tc.query, Header: h})
			require.NoError(t, err)
			assert.JSONEq(t, gzipJSON, string(resp.Body))
		})
	}
	outcomes, _, _ := obs.snapshot()
	assert.Equal(t, []Outcome{Outcome2xx, Outcome2xx, Outcome2xx}, outcomes)
}

// A gzip bomb (16 MiB of zeros in about 16 KiB) fails with body_too_large
// against a 64 KiB max_body_size, by whichever path it is decompressed,
// and decompressing it allocates a small multiple of the limit, never the
// 16 MiB it expands to.
func TestGzipBombIsBoundedByMaxBodySize(t *testing.T) {
	const limit = 64 << 10
	bomb := gzipped(t, 256, make([]byte, 64<<10))
	require.Less(t, len(bomb), limit, "the compressed bomb itself is under the limit")
	srv := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("header") == "1" {
			w.Header().Set("Content-Encoding", "gzip")
		}
		_, _ = w.Write(bomb)
	})
	c, obs, _ := newTestClient(t, srv, func(cfg *Config) { cfg.MaxBodySize = limit })
	for _, tc := range []struct {
		name, query, acceptEncoding string
	}{
		{"transport asked", "?header=1", ""},
		{"request asked", "?header=1", "gzip"},
		{"no header", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.acceptEncoding != "" {
				h.Set("Accept-Encoding", tc.acceptEncoding)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := c.Do(context.Background(), Request{URL: srv.URL + "/logs" + tc.query, Header: h})
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, ErrBodyTooLarge)
			assert.Contains(t, err.Error(), "max_body_size 65536 bytes")
			assert.Contains(t, err.Error(), "after gzip decompression")
			allocated := after.TotalAlloc - before.TotalAlloc
			assert.Less(t, allocated, uint64(1<<20), "decompressing the bomb allocated %d bytes", allocated)
		})
	}
	outcomes, retries, _ := obs.snapshot()
	assert.Equal(t, []Outcome{OutcomeBodyTooLarge, OutcomeBodyTooLarge, OutcomeBodyTooLarge}, outcomes)
	assert.Zero(t, retries)
}

// A body that says gzip and is not is a failed read, named as such.
func TestCorruptGzipBodyIsAnError(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte{0x1f, 0x8b, 'n', 'o', 't', ' ', 'g', 'z', 'i', 'p', ' ', 'a', 't', ' ', 'a', 'l', 'l'})
	})
	c, _, _ := newTestClient(t, srv, func(cfg *Config) { cfg.MaxAttempts = 1 })
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/logs"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gzip-compressed body")
}
