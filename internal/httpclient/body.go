package httpclient

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// gzipMagic opens every gzip stream (RFC 1952). No JSON or NDJSON body can
// start with it: JSON allows only space, tab, CR and LF before a value, and
// 0x1f is none of them. So a body that starts with it is decompressed
// whatever its headers say: an API that serves a gzip file (an export as
// application/gzip, or application/json without Content-Encoding) is read
// without a spec key, and no valid body is ever misread.
var gzipMagic = []byte{0x1f, 0x8b}

// readLimited reads a 2xx body of at most limit bytes, after decompression
// when it is gzip-compressed. Go's transport already decompresses when it
// asked for gzip itself (no Accept-Encoding in the request); a body it left
// compressed (the spec set Accept-Encoding, or the server compressed
// unasked, or a gzip file) is decompressed here. Either way the limit
// applies to the decompressed bytes, read through a LimitReader: a gzip
// bomb costs at most limit+1 bytes before it fails with ErrBodyTooLarge.
func readLimited(resp *http.Response, limit int64) (data []byte, gzipped bool, err error) {
	gzipped = resp.Uncompressed
	encoded := !resp.Uncompressed && strings.EqualFold(strings.TrimSpace(resp.Header.Get("Content-Encoding")), "gzip")
	if !encoded && resp.ContentLength > limit {
		return nil, false, ErrBodyTooLarge
	}
	br := bufio.NewReader(resp.Body)
	var body io.Reader = br
	if head, _ := br.Peek(len(gzipMagic)); encoded || bytes.Equal(head, gzipMagic) {
		gz, gzErr := gzip.NewReader(br)
		if gzErr != nil {
			return nil, true, fmt.Errorf("gzip-compressed body: %w", gzErr)
		}
		defer gz.Close()
		body, gzipped = gz, true
	}
	data, err = io.ReadAll(io.LimitReader(body, limit+1))
	switch {
	case err != nil && gzipped:
		return nil, true, fmt.Errorf("gzip-compressed body: %w", err)
	case err != nil:
		return nil, false, err
	case int64(len(data)) > limit:
		return nil, gzipped, ErrBodyTooLarge
	}
	return data, gzipped, nil
}
