package server

import (
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// accessLog writes one line per request to a writer, formatted as slog's
// TextHandler formats the rest of the log (time, level, msg, then method,
// path, status, duration and bytes), so the log reads as one stream and
// tools that parse it see no difference. It is written by hand because it
// runs on every request, the cached tiles' too: it allocates nothing and
// makes one Write per line, into a writer that is expected to buffer (the
// server's caller flushes it on a timer and at shutdown). Only the path is
// logged, never the query string or a header, so no token reaches the log.
type accessLog struct {
	w     io.Writer
	bufs  sync.Pool // *[]byte, one line each
	stamp atomic.Pointer[stamp]
}

// stamp is the time of a line up to its second, formatted once for every
// line in that second: formatting it anew took most of a line's time.
type stamp struct {
	sec        int64
	loc        *time.Location
	date, zone []byte // "2006-01-02T15:04:05", "Z07:00"
}

func newAccessLog(w io.Writer) *accessLog {
	return &accessLog{w: w, bufs: sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}}
}

// line logs one request answered at now.
func (a *accessLog) line(now time.Time, method, path []byte, status int, took time.Duration, size int) {
	if a == nil {
		return
	}
	bp := a.bufs.Get().(*[]byte)
	b := append((*bp)[:0], "time="...)
	b = a.appendTime(b, now)
	b = append(b, " level=INFO msg=request method="...)
	b = appendLogString(b, method)
	b = append(b, " path="...)
	b = appendLogString(b, path)
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, " duration="...)
	b = append(b, took.String()...)
	b = append(b, " bytes="...)
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, '\n')
	a.w.Write(b) //nolint:errcheck // a log that cannot be written must not fail the request
	if cap(b) <= 4096 {
		*bp = b
		a.bufs.Put(bp)
	}
}

// accessLog is the middleware that logs every request the routes answer
// (the cached tiles log their own line, in serveHotTile). An error is
// answered here, so the line has the status and size sent.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if herr := s.handleError(c, err); herr != nil {
			return herr
		}
	}
	// A streamed body is not read here: that would hold it whole in memory
	// (and turn an error in it into the body). Its size is logged as -1.
	size := -1
	if !c.Response().IsBodyStream() {
		size = len(c.Response().Body())
	}
	now := time.Now()
	s.access.line(now, c.Request().Header.Method(), c.Request().URI().PathOriginal(), c.Response().StatusCode(), now.Sub(start), size)
	return nil
}

// appendTime appends now as slog writes a time: RFC 3339 with exactly
// three digits of milliseconds, truncated; from the stamp of its second.
func (a *accessLog) appendTime(b []byte, now time.Time) []byte {
	st := a.stamp.Load()
	if st == nil || st.sec != now.Unix() || st.loc != now.Location() {
		st = &stamp{sec: now.Unix(), loc: now.Location(),
			date: now.AppendFormat(nil, "2006-01-02T15:04:05"), zone: now.AppendFormat(nil, "Z07:00")}
		a.stamp.Store(st)
	}
	ms := now.Nanosecond() / int(time.Millisecond)
	b = append(b, st.date...)
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	return append(b, st.zone...)
}

// appendLogString appends s as slog's TextHandler writes a string value:
// as it is, or Go-quoted when it is empty or holds a space, '=', '"', a
// control character or anything not printable (so a crafted path cannot
// start a line of its own).
func appendLogString(b, s []byte) []byte {
	if !needsQuoting(s) {
		return append(b, s...)
	}
	return strconv.AppendQuote(b, string(s))
}

func needsQuoting(s []byte) bool {
	if len(s) == 0 {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}
