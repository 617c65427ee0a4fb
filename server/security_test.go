package server

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
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

// Tiles are data: the strictest policy, with CORS, and without the page
// headers, whether the answer is a tile, TileJSON or a problem.
func TestSecurityHeadersOnTiles(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		target string
		status int
	}{
		{"/tiles/bases.json", 200},
		{"/tiles/bases/4/10/5.mvt", 200},
		{"/tiles/bases/4/10/5.mvt", 200}, // again: the cached answer
		{"/tiles/nope/4/10/5.mvt", 404},
		{"/tiles/bases/99/0/0.mvt", 400},
	} {
		res, _ := do(t, s, "GET", tc.target)
		h := res.Header
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.target, res.StatusCode, tc.status)
		}
		if csp := h.Get("Content-Security-Policy"); csp != "default-src 'none'; frame-ancestors 'none'" {
			t.Errorf("%s: CSP %q", tc.target, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Expose-Headers") != "ETag" {
			t.Errorf("%s: headers %v", tc.target, h)
		}
		if h.Get("Referrer-Policy") != "" {
			t.Errorf("%s: a referrer policy on data: %q", tc.target, h.Get("Referrer-Policy"))
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
	app := fiber.New(fiber.Config{ErrorHandler: newServer(t).handleError})
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

// TestLRUBuildsOnce proves de-duplication without timing: in a synctest
// bubble, Wait returns only once every caller is blocked, on the build or
// on it finishing.
func TestLRUBuildsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLRU[int](4)
		var builds atomic.Int32
		release := make(chan struct{})
		var wg sync.WaitGroup
		var got atomic.Int32
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := c.getOr(context.Background(), "k", func(context.Context) (int, error) {
					builds.Add(1)
					<-release
					return 42, nil
				})
				if err != nil || v != 42 {
					t.Errorf("getOr = %d, %v", v, err)
					return
				}
				got.Add(1)
			}()
		}
		synctest.Wait() // all 8 callers are waiting and the build is blocked
		if n := builds.Load(); n != 1 {
			t.Errorf("%d builds under way for one key, want 1", n)
		}
		close(release)
		wg.Wait()
		if builds.Load() != 1 || got.Load() != 8 {
			t.Errorf("built %d times, %d of 8 callers got the value", builds.Load(), got.Load())
		}
		if v, ok := c.get("k"); !ok || v != 42 {
			t.Errorf("the built value was not kept: %d %v", v, ok)
		}
		for i := 0; i < 10; i++ {
			c.put(itoa(i), i)
		}
		if c.len() != 4 {
			t.Errorf("len %d, want the bound 4", c.len())
		}
	})
}

// TestLRUBuildPanics: a build that panics answers every caller with an
// error, keeps nothing, and the next request for the key builds afresh
// instead of waiting forever.
func TestLRUBuildPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLRU[int](4)
		release := make(chan struct{})
		var wg sync.WaitGroup
		var failed atomic.Int32
		for i := 0; i < 3; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.getOr(context.Background(), "k", func(context.Context) (int, error) {
					<-release
					panic("boom")
				})
				if err == nil || !strings.Contains(err.Error(), "panic: boom") {
					t.Errorf("getOr after a panicking build: %v", err)
					return
				}
				failed.Add(1)
			}()
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		if failed.Load() != 3 {
			t.Fatalf("%d of 3 callers got the panic as an error", failed.Load())
		}
		if _, ok := c.get("k"); ok {
			t.Error("a failed build was kept")
		}
		v, err := c.getOr(context.Background(), "k", func(context.Context) (int, error) { return 7, nil })
		if err != nil || v != 7 {
			t.Errorf("the next request after a panic: %d, %v", v, err)
		}
	})
}

// TestLRUWaiterGivesUp: a caller whose context ends stops waiting with its
// context's error; the build goes on and is kept for the next caller.
func TestLRUWaiterGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLRU[int](4)
		release := make(chan struct{})
		build := func(ctx context.Context) (int, error) {
			<-release
			return 5, ctx.Err() // the build's context outlives its callers
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := c.getOr(ctx, "k", build)
			done <- err
		}()
		time.Sleep(2 * time.Second) // fake time: the deadline passes at once
		synctest.Wait()
		select {
		case err := <-done:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("the waiter whose deadline passed got %v", err)
			}
		default:
			t.Fatal("a waiter whose context ended is still waiting")
		}
		close(release)
		synctest.Wait()
		if v, ok := c.get("k"); !ok || v != 5 {
			t.Errorf("the build was not kept after its caller left: %d %v", v, ok)
		}
	})
}

// holdSlot takes one slot of l until release, which returns once the slot
// is free again.
func holdSlot(l *limiter) (release func()) {
	stop, held, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		l.run(context.Background(), func() error {
			close(held)
			<-stop
			return nil
		})
		close(done)
	}()
	<-held
	return func() { close(stop); <-done }
}

// TestSnapshotBuildsUseTheLimiter: preparing a layer in memory (for its
// CSV download here; items and tiles read the store's file instead) takes an
// expensive slot, so with every slot taken it waits and then answers 503.
func TestSnapshotBuildsUseTheLimiter(t *testing.T) {
	s := newServer(t)
	s.expensive = newLimiter(1, 10*time.Millisecond)
	release := holdSlot(s.expensive)
	res, b := do(t, s, "GET", "/layers/bases.csv")
	if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "too many expensive requests") {
		t.Errorf("a snapshot build with no slot free: %d %q %s", res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	release() // the slot is free again, not just about to be
	if res, b := do(t, s, "GET", "/layers/bases.csv"); res.StatusCode != 200 {
		t.Errorf("after the slot freed: %d %s", res.StatusCode, b)
	}
}

// TestWaitersGiveUpAtTheirDeadline: a request waiting on a snapshot build
// that cannot get a slot answers 503 when its own time is up; the build goes
// on, and once the slot frees the next request is served from it.
func TestWaitersGiveUpAtTheirDeadline(t *testing.T) {
	s := newServer(t)
	// The layer's description is read first, so the only wait left is the
	// snapshot's, for a slot.
	if _, err := s.layerOf(context.Background(), s.store, "bases"); err != nil {
		t.Fatal(err)
	}
	s.cfg.RequestTimeout = 20 * time.Millisecond
	s.expensive = newLimiter(1, time.Hour) // only the request's deadline can end the wait
	hold := make(chan struct{})
	held := make(chan struct{})
	go s.expensive.run(context.Background(), func() error {
		close(held)
		<-hold
		return nil
	})
	<-held
	res, b := do(t, s, "GET", "/layers/bases.csv")
	if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "time ran out") {
		t.Errorf("a request past its deadline: %d %q %s", res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	close(hold)
	s.cfg.RequestTimeout = time.Minute
	if res, b := do(t, s, "GET", "/layers/bases.csv"); res.StatusCode != 200 {
		t.Errorf("after the slot freed: %d %s", res.StatusCode, b)
	}
}

// TestCacheBudget: the caches' byte caps add up to one stated budget, below
// the peak RSS the load test enforces (bench/load.sh, 512 MiB).
func TestCacheBudget(t *testing.T) {
	s := newServer(t)
	caps := []int{s.bodies.maxBytes, s.snapshots.maxBytes, s.tiles.maxBytes, s.items.maxBytes,
		s.pages.maxBytes, s.pictures.maxBytes, s.layerMeta.maxBytes, s.described.maxBytes}
	sum := 0
	for i, c := range caps {
		if c <= 0 {
			t.Errorf("cache %d has no byte cap", i)
		}
		sum += c
	}
	if sum != CacheBudget {
		t.Errorf("the caches may hold %d MiB, the stated budget is %d MiB", sum>>20, CacheBudget>>20)
	}
	const loadBound = 512 << 20
	if CacheBudget > loadBound/2 {
		t.Errorf("cache budget %d MiB leaves less than half of the load test's %d MiB bound for requests", CacheBudget>>20, loadBound>>20)
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
