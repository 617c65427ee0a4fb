package server

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/gofiber/fiber/v2"
)

// sendTagged sends a body built for this request with an ETag hashed from
// its bytes, so the tag changes whenever anything the body shows does (a
// quote, a claim's basis or note, a source's title), and answers 304 when
// the client holds it. The tag is weak: the compression middleware may
// send other bytes for the same representation.
func sendTagged(c *fiber.Ctx, contentType string, b []byte) error {
	h := sha256.Sum256(b)
	tag := hex.EncodeToString(h[:10])
	c.Set(fiber.HeaderETag, `W/"`+tag+`"`)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatch(inm, tag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(b)
}

// sendJSON is c.JSON with a tag from sendTagged.
func sendJSON(c *fiber.Ctx, v any) error {
	return sendJSONAs(c, fiber.MIMEApplicationJSON, v)
}

func sendJSONAs(c *fiber.Ctx, contentType string, v any) error {
	b, err := c.App().Config().JSONEncoder(v)
	if err != nil {
		return err
	}
	return sendTagged(c, contentType, b)
}
