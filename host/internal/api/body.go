package api

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"io"
	"net/http"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
)

// bodyKey caches the decoded body of a request in its locals.
const bodyKey = "decodedBody"

// rawBody returns the request body, decompressed when Content-Encoding asks
// for it, never larger than the body limit: a small compressed body cannot
// expand into memory unchecked. Fiber's c.Body() decompresses without a cap,
// so it is not used.
func (s *server) rawBody(c *fiber.Ctx) ([]byte, error) {
	if b, ok := c.Locals(bodyKey).([]byte); ok {
		return b, nil
	}
	b := c.Request().Body()
	enc := strings.ToLower(strings.TrimSpace(string(c.Request().Header.Peek(fiber.HeaderContentEncoding))))
	var r io.Reader
	switch enc {
	case "", "identity":
		return b, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, badRequest("the body is not valid gzip: %v", err)
		}
		defer zr.Close()
		r = zr
	case "deflate":
		zr := flate.NewReader(bytes.NewReader(b))
		defer zr.Close()
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	default:
		return nil, apiErr(http.StatusUnsupportedMediaType, CodeMediaType, "Content-Encoding %q is not supported; send one of gzip, deflate, br or none", enc)
	}
	limit := s.BodyLimit
	if limit <= 0 {
		limit = 5 << 20
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, badRequest("the body could not be decompressed (%s): %v", enc, err)
	}
	if len(out) > limit {
		return nil, apiErr(http.StatusRequestEntityTooLarge, CodeTooLarge, "the decompressed body is larger than the limit (HTTP_REQUEST_BODY_SIZE_LIMIT_MB)")
	}
	c.Locals(bodyKey, out)
	return out, nil
}
