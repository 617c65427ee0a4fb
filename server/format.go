package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

const (
	formatJSON = "json"
	formatHTML = "html"
)

// format picks the response format: the f parameter first, then Accept.
// No Accept, or */*, means JSON: GIS clients often send nothing.
func format(c *fiber.Ctx) (string, error) {
	switch f := c.Query("f"); f {
	case "json", "geojson":
		return formatJSON, nil
	case "html":
		return formatHTML, nil
	case "":
	default:
		return "", badRequest("f=%s is not a known format: use f=json or f=html", f)
	}
	accept := c.Get(fiber.HeaderAccept)
	for _, part := range strings.Split(accept, ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		switch mt {
		case "text/html", "application/xhtml+xml":
			return formatHTML, nil
		case "application/json", "application/geo+json", "*/*", "application/*":
			return formatJSON, nil
		}
	}
	return formatJSON, nil
}

// formatOf checks the query parameters against those the resource takes,
// then picks the response format.
func formatOf(c *fiber.Ctx, known ...string) (string, error) {
	if err := allowParams(c, known...); err != nil {
		return "", err
	}
	return format(c)
}

// allowParams answers 400 naming the first query parameter the route does
// not know: a typo should not silently return everything.
func allowParams(c *fiber.Ctx, known ...string) error {
	var bad string
	c.Context().QueryArgs().VisitAll(func(k, _ []byte) {
		if bad != "" {
			return
		}
		for _, n := range known {
			if string(k) == n {
				return
			}
		}
		bad = string(k)
	})
	if bad != "" {
		return badRequest("unknown query parameter %q; this resource takes %s", bad, strings.Join(known, ", "))
	}
	return nil
}
