package server

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

func TestSecurityHeaders(t *testing.T) {
	s := newServer(t)
	for _, target := range []string{"/", "/collections", "/layers/bases.geojson", "/nope", "/sources/s004?f=html"} {
		res, _ := do(t, s, "GET", target)
		h := res.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: headers %v", target, h)
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: CSP %q, X-Frame-Options %q", target, csp, h.Get("X-Frame-Options"))
		}
	}
}

func TestEmbedRoutesMayBeFramed(t *testing.T) {
	s := newServer(t)
	res, _ := do(t, s, "GET", "/embed")
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") || res.Header.Get("X-Frame-Options") != "" {
		t.Errorf("embed: CSP %q, X-Frame-Options %q", csp, res.Header.Get("X-Frame-Options"))
	}
	s2, err := New(s.store, Config{FrameAncestors: []string{"https://news.example"}})
	if err != nil {
		t.Fatal(err)
	}
	res, _ = do(t, s2, "GET", "/embed/x")
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://news.example") {
		t.Errorf("configured embed CSP %q", csp)
	}
}

func TestMethods(t *testing.T) {
	s := newServer(t)
	res, b := do(t, s, "HEAD", "/layers/bases.geojson")
	if res.StatusCode != 200 || len(b) != 0 || res.Header.Get("ETag") == "" {
		t.Errorf("HEAD: %d, %d bytes", res.StatusCode, len(b))
	}
	res, _ = do(t, s, "OPTIONS", "/collections", "Origin", "https://other.example", "Access-Control-Request-Method", "GET")
	if res.StatusCode != 204 || !strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "GET") || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("OPTIONS: %d %v", res.StatusCode, res.Header)
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		res, b := do(t, s, m, "/collections")
		if res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD, OPTIONS" || !strings.Contains(string(b), "read-only") {
			t.Errorf("%s: %d %s", m, res.StatusCode, b)
		}
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(1, 50*time.Millisecond)
	app := fiber.New()
	release := make(chan struct{})
	started := make(chan struct{})
	app.Get("/slow", l.handler, func(c *fiber.Ctx) error {
		close(started)
		<-release
		return c.SendString("done")
	})
	app.Get("/other", l.handler, func(c *fiber.Ctx) error { return c.SendString("ok") })
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		app.Test(httptest.NewRequest("GET", "/slow", nil), -1)
	}()
	<-started
	res, err := app.Test(httptest.NewRequest("GET", "/other", nil), -1)
	if err != nil || res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
		t.Errorf("over the limit: %v %v", res.StatusCode, err)
	}
	close(release)
	wg.Wait()
	if res, _ := app.Test(httptest.NewRequest("GET", "/other", nil), -1); res.StatusCode != 200 {
		t.Errorf("after the slot freed: %d", res.StatusCode)
	}
}

func TestLRUBuildsOnce(t *testing.T) {
	c := newLRU[int](4)
	var builds int32
	var mu sync.Mutex
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.getOr("k", func() (int, error) {
				mu.Lock()
				builds++
				mu.Unlock()
				<-release
				return 42, nil
			})
			if err != nil || v != 42 {
				t.Errorf("getOr = %d, %v", v, err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the goroutines pile up on the build
	close(release)
	wg.Wait()
	if builds != 1 {
		t.Errorf("built %d times", builds)
	}
	for i := 0; i < 10; i++ {
		c.put(itoa(i), i)
	}
	if c.len() != 4 {
		t.Errorf("len %d, want the bound 4", c.len())
	}
}

func TestLRUBytes(t *testing.T) {
	c := newBytesLRU(100, 100, func(b []byte) int { return len(b) })
	for i := 0; i < 10; i++ {
		c.put(itoa(i), make([]byte, 20))
	}
	if c.len() != 5 || c.bytes != 100 {
		t.Errorf("len %d, bytes %d; want 5 entries, 100 bytes", c.len(), c.bytes)
	}
	if _, ok := c.get("9"); !ok {
		t.Error("the newest entry was evicted")
	}
	c.put("huge", make([]byte, 101)) // over the whole budget: not kept
	if _, ok := c.get("huge"); ok || c.bytes != 100 {
		t.Errorf("an oversized value was kept (bytes %d)", c.bytes)
	}
	c.put("big", make([]byte, 60)) // pushes out the oldest
	if _, ok := c.get("big"); !ok || c.bytes > 100 || c.len() != 3 {
		t.Errorf("after a big value: len %d, bytes %d", c.len(), c.bytes)
	}
}
