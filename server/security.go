package server

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// contentSecurityPolicy allows only this server's own origin for every kind
// of resource the map needs (MapLibre's workers may start from blob: URLs).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'"

// dataSecurityPolicy is the policy of a response that is data only.
const dataSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"

// embedded reports whether a path may be shown inside another site's frame.
func embedded(path string) bool {
	return path == "/embed" || strings.HasPrefix(path, "/embed/")
}

// securityHeaders sets the headers every response carries: no MIME sniffing,
// a same-origin Content-Security-Policy, a referrer policy, and framing
// allowed only on embed routes; tiles get the data policy instead. Reads
// are open to every origin (CORS).
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	s.setSecurityHeaders(c)
	return c.Next()
}

func (s *Server) setSecurityHeaders(c *fiber.Ctx) {
	h := &c.Response().Header
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if strings.HasPrefix(c.Path(), "/tiles/") {
		// Tiles and TileJSON are data, never a document: nothing in them
		// may load or run (the API policy OWASP gives), and no referrer
		// policy, which only governs what a document requests. Shorter
		// headers matter here: a map asks for dozens of tiles per view.
		h.Set(fiber.HeaderContentSecurityPolicy, dataSecurityPolicy)
		h.Set(fiber.HeaderXFrameOptions, "DENY")
		h.Set(fiber.HeaderAccessControlAllowOrigin, "*")
		h.Set(fiber.HeaderAccessControlExposeHeaders, "ETag")
		return
	}
	h.Set(fiber.HeaderReferrerPolicy, "strict-origin-when-cross-origin")
	if embedded(c.Path()) {
		h.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy+"; frame-ancestors "+s.cfg.frameAncestors())
	} else {
		h.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy+"; frame-ancestors 'none'")
		h.Set(fiber.HeaderXFrameOptions, "DENY")
	}
	h.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	h.Set(fiber.HeaderAccessControlExposeHeaders, "ETag, Content-Disposition, Link")
}

// frameAncestors is the CSP source list of sites that may frame embeds.
func (cfg Config) frameAncestors() string {
	if len(cfg.FrameAncestors) == 0 {
		return "*"
	}
	return strings.Join(cfg.FrameAncestors, " ")
}

// methods answers OPTIONS (CORS preflight included) and refuses methods a
// resource does not take: everything is read-only but the write API's
// routes, which exist only when the server has an editor.
func (s *Server) methods(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead:
		return c.Next()
	case fiber.MethodOptions:
		allow, items := s.itemsAllow(c)
		if !items {
			allow = "GET, HEAD, OPTIONS"
		}
		c.Set(fiber.HeaderAllow, allow)
		c.Set(fiber.HeaderAccessControlAllowMethods, "GET, HEAD, OPTIONS")
		c.Set(fiber.HeaderAccessControlAllowHeaders, "Accept, Accept-Encoding, If-None-Match, Content-Type")
		c.Set(fiber.HeaderAccessControlMaxAge, "86400")
		c.Set(fiber.HeaderVary, "Authorization")
		return c.SendStatus(fiber.StatusNoContent)
	}
	if s.cfg.Editor != nil && writeRoute(c.Method(), c.Path()) {
		if err := identityBody(c); err != nil {
			return err
		}
		return c.Next()
	}
	c.Set(fiber.HeaderAllow, "GET, HEAD, OPTIONS")
	return fiber.NewError(fiber.StatusMethodNotAllowed, c.Method()+" is not allowed: this resource is read-only (GET, HEAD, OPTIONS)")
}

// limiter bounds how many expensive requests run at once; a request that
// finds no slot within wait is answered 503 with Retry-After, so a burst
// cannot exhaust memory.
type limiter struct {
	slots chan struct{}
	wait  time.Duration
}

func newLimiter(n int, wait time.Duration) *limiter {
	return &limiter{slots: make(chan struct{}, n), wait: wait}
}

// busyError is the answer when no slot frees up in time: a 503 with
// Retry-After (see handleError).
type busyError struct{ retryAfter time.Duration }

func (e *busyError) Error() string {
	return "too many expensive requests at once; retry shortly"
}

// run runs fn in a slot. It gives up with a busyError when none frees up
// within the limiter's wait, and with ctx's error when ctx ends first.
func (l *limiter) run(ctx context.Context, fn func() error) error {
	release, err := l.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn()
}

// acquire takes a slot for work that spans more than one call (a
// picture's layers read for its view, then drawn) and returns the func
// that frees it, which may be called more than once. It fails as run does.
func (l *limiter) acquire(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return sync.OnceFunc(func() { <-l.slots }), nil
	case <-t.C:
		return nil, &busyError{retryAfter: l.wait}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// do is run for a request.
func (l *limiter) do(c *fiber.Ctx, fn func() error) error { return l.run(c.UserContext(), fn) }

// handler is do as a middleware.
func (l *limiter) handler(c *fiber.Ctx) error { return l.do(c, c.Next) }
