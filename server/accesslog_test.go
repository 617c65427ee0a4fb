package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// The access log writes what slog's TextHandler wrote for the same request,
// byte for byte, so the log stays one format (bench/load.sh parses it).
func TestAccessLogFormat(t *testing.T) {
	at := time.Date(2026, 11, 30, 14, 5, 9, 987654321, time.FixedZone("X", 3*3600+30*60))
	for _, c := range []struct {
		method, path string
		status       int
		took         time.Duration
		size         int
	}{
		{"GET", "/tiles/syn21k/8/159/95.mvt", 200, 38131 * time.Nanosecond, 22979},
		{"HEAD", "/", 304, 0, 0},
		{"GET", "/collections/a b", 404, 1500 * time.Millisecond, 139},
		{"GET", `/x"y=z\w`, 400, 999 * time.Nanosecond, 1},
		{"GET", "/a\nlevel=ERROR msg=forged", 404, time.Hour + time.Second, 10},
		{"GET", "/Gyumri/Գյումրի", 404, 12 * time.Microsecond, 2},
		{"GET", "/bad/\xff\x00", 404, 3 * time.Millisecond, 2},
		{"BREW", "", 501, time.Millisecond, 0},
	} {
		var want bytes.Buffer
		h := slog.NewTextHandler(&want, nil)
		r := slog.NewRecord(at, slog.LevelInfo, "request", 0)
		r.AddAttrs(slog.String("method", c.method), slog.String("path", c.path), slog.Int("status", c.status),
			slog.Duration("duration", c.took), slog.Int("bytes", c.size))
		if err := h.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		newAccessLog(&got).line(at, []byte(c.method), []byte(c.path), c.status, c.took, c.size)
		if got.String() != want.String() {
			t.Errorf("%q:\n got %s want %s", c.path, got.String(), want.String())
		}
		if strings.Count(got.String(), "\n") != 1 {
			t.Errorf("%q: %d lines", c.path, strings.Count(got.String(), "\n"))
		}
	}
}

// The stamp of a second gives the text slog's own formatting gives, at
// every millisecond, across seconds, years and zones.
func TestAccessLogTime(t *testing.T) {
	a := newAccessLog(io.Discard)
	zones := []*time.Location{time.UTC, time.FixedZone("X", 3*3600+30*60), time.FixedZone("W", -(9*3600 + 30*60))}
	base := []time.Time{
		time.Date(2026, 11, 30, 23, 59, 58, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999_000_000, time.UTC), // before the epoch
		time.Date(2024, 2, 29, 0, 0, 0, 1, time.UTC),
		time.Now(),
	}
	for _, t0 := range base {
		for _, loc := range zones {
			for _, d := range []time.Duration{0, 999_999, time.Millisecond, 123_456_789, 999_999_999, time.Second, 1500 * time.Millisecond, time.Hour} {
				at := t0.Add(d).In(loc)
				if got, want := string(a.appendTime(nil, at)), string(appendRFC3339Millis(nil, at)); got != want {
					t.Errorf("%v: %q, want %q", at, got, want)
				}
			}
		}
	}
}

// appendRFC3339Millis is slog's: RFC 3339 with exactly three digits of
// milliseconds, truncated.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Round(0).Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...) // drop the 4th digit
}

func TestAccessLogAllocatesNothing(t *testing.T) {
	a := newAccessLog(io.Discard)
	method, path := []byte("GET"), []byte("/tiles/syn21k/8/159/95.mvt")
	now := time.Now()
	if n := testing.AllocsPerRun(200, func() { a.line(now, method, path, 200, 38*time.Microsecond, 22979) }); n != 0 {
		t.Errorf("%v allocations per line", n)
	}
	var nilLog *accessLog // a server without an access log
	nilLog.line(now, method, path, 200, 0, 0)
}

// lines is a writer the server logs into while tests read it.
type lines struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lines) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimSuffix(l.b.String(), "\n")
	l.b.Reset()
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Every request gets its line, the cached tiles' (answered before the
// routes) and the errors' too, with the status and size sent; the query
// string, where a token could be, is never written.
func TestAccessLogEveryRequest(t *testing.T) {
	s := newServer(t)
	var log lines
	s.access = newAccessLog(&log)
	tile := maptile.At(orb.Point{43.84635, 40.79305}, 8)
	target := "/tiles/bases/8/" + itoa(int(tile.X)) + "/" + itoa(int(tile.Y)) + ".mvt"
	for _, c := range []struct {
		method, target string
		headers        []string
		want           string // the line after "level=INFO msg=request "
	}{
		{"GET", "/healthz", nil, "method=GET path=/healthz status=200"},
		{"GET", "/nope?access_token=s3cret", nil, "method=GET path=/nope status=400"},
		{"GET", "/nope", nil, "method=GET path=/nope status=404"},
		{"POST", "/collections", nil, "method=POST path=/collections status=405"},
		{"GET", target, []string{"Accept-Encoding", "gzip"}, "method=GET path=" + target + " status=200"}, // full route
		{"GET", target, []string{"Accept-Encoding", "gzip"}, "method=GET path=" + target + " status=200"}, // hot
		{"HEAD", target, nil, "method=HEAD path=" + target + " status=200"},
		{"GET", target + "?token=s3cret", nil, "method=GET path=" + target + " status=400"},
	} {
		res, body := do(t, s, c.method, c.target, c.headers...)
		got := log.take()
		if len(got) != 1 {
			t.Fatalf("%s %s: %d lines: %q", c.method, c.target, len(got), got)
		}
		line := got[0]
		if !strings.HasPrefix(line, "time=") || !strings.Contains(line, " level=INFO msg=request "+c.want+" duration=") {
			t.Errorf("%s %s: %q, want %q", c.method, c.target, line, c.want)
		}
		if c.method == "GET" && !strings.HasSuffix(line, " bytes="+itoa(len(body))) {
			t.Errorf("%s %s: %q, want bytes=%d (status %d)", c.method, c.target, line, len(body), res.StatusCode)
		}
		if strings.Contains(line, "s3cret") {
			t.Errorf("the token reached the log: %q", line)
		}
	}
	v, _ := s.store.Version(context.Background())
	if _, ok := s.hot.get([]byte(target), v); !ok {
		t.Error("the tile was not served hot, so its own line was not tested")
	}
}
