package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/citemap/citemap/layers"
)

// listen serves s on 127.0.0.1 until the test ends: the body limit is the
// HTTP server's, which app.Test does not exercise.
func listen(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

// TestBodyLimits: bodies over the stated limits are 413 problems naming the
// limit, a compressed body is 415 (it would be inflated without a bound),
// and none of them writes anything.
func TestBodyLimits(t *testing.T) {
	env := newWriteServer(t, Config{})
	base := listen(t, env.s)
	do := func(method, path string, body []byte, h ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+env.editor)
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	js := []string{"Content-Type", "application/json"}
	page := func(n int) []byte {
		html := "<html><body><article><p>" + strings.Repeat("Engineers surveyed the crossing near Agarak. ", n/45+1) + "</p></article></body></html>"
		b, _ := json.Marshal(map[string]string{"html": html})
		return b
	}
	over := page(maxSourceBody)
	// The server answers as soon as it reads the Content-Length, and may
	// close the connection before a client has sent the body: send the
	// headers alone.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /sources HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", env.editor, len(over))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	wantProblem(t, res, b, 413, "8388608 bytes")

	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(over)
	w.Close()
	res, b = do("POST", "/sources", z.Bytes(), with(js, "Content-Encoding", "gzip")...)
	wantProblem(t, res, b, 415, "Content-Encoding")
	if res.Header.Get("Accept-Encoding") != "identity" {
		t.Errorf("415 for a content coding without Accept-Encoding: identity: %v", res.Header)
	}
	// Over the route's own limit, under the server's: read whole, refused.
	res, b = do("POST", "/collections/bases/items", []byte(`{"type":"Feature","properties":{"name":"`+strings.Repeat("a", maxFeatureBody)+`"}}`),
		"Content-Type", "application/geo+json")
	wantProblem(t, res, b, 413, "limit")

	// Just under the limit is taken.
	res, b = do("POST", "/sources", page(maxSourceBody-4096), js...)
	if res.StatusCode != 201 {
		t.Errorf("a source just under the limit: %d %.300s", res.StatusCode, b)
	}
	cs, err := env.svc.Changesets(context.Background(), editorUser(t, env))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || len(cs[0].Sources) != 1 || len(cs[0].Edits) != 0 {
		t.Errorf("the refused bodies wrote something: %+v", cs)
	}
}

func editorUser(t *testing.T, env *writeEnv) layers.User {
	t.Helper()
	u, err := env.svc.Authenticate(context.Background(), env.editor)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The session cookie is Secure behind https, whether the base URL says so
// or the proxy in front does (X-Forwarded-Proto), and not over plain http,
// where a browser would drop it.
func TestSessionCookieSecureBehindHTTPS(t *testing.T) {
	env := newWriteServer(t, Config{})
	for _, tt := range []struct {
		headers []string
		secure  bool
	}{
		{nil, false},
		{[]string{"X-Forwarded-Proto", "https"}, true},
	} {
		res, b := send(t, env.s, "POST", "/session", "", with(bearer(env.editor), tt.headers...)...)
		if res.StatusCode != 201 {
			t.Fatalf("login: %d %s", res.StatusCode, b)
		}
		if got := strings.Contains(strings.ToLower(res.Header.Get("Set-Cookie")), "; secure"); got != tt.secure {
			t.Errorf("headers %v: cookie %q, want Secure %v", tt.headers, res.Header.Get("Set-Cookie"), tt.secure)
		}
	}
}
