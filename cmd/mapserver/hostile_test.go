package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawGet sends a request line and headers as written, so URLs no client
// library would build (dot segments, bad escapes) reach the server.
func rawGet(t *testing.T, addr, method, target string, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	for k, v := range headers {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	if _, err := conn.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %.80s: %v", method, target, err)
	}
	defer res.Body.Close()
	var body []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := res.Body.Read(buf)
		body = append(body, buf[:n]...)
		if err != nil {
			break
		}
	}
	return res.StatusCode, res.Header, body
}

// TestHostileRequests is the battery of bad requests: each gets a clear 4xx
// with a problem body naming what is wrong, and the server keeps answering.
func TestHostileRequests(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "map.db"))
	addr := strings.TrimPrefix(s.base, "http://")
	long := strings.Repeat("a", 20<<10)
	tests := []struct {
		name, method, target string
		headers              map[string]string
		status               int
		detail               string // "" = any problem body
	}{
		{"bbox 3 numbers", "GET", "/collections/bases/items?bbox=1,2,3", nil, 400, "bbox needs 4 numbers"},
		{"bbox 5 numbers", "GET", "/collections/bases/items?bbox=1,2,3,4,5", nil, 400, "bbox needs 4 numbers"},
		{"bbox min>max lat", "GET", "/collections/bases/items?bbox=40,45,41,44", nil, 400, "greater than maxLat"},
		{"bbox NaN", "GET", "/collections/bases/items?bbox=NaN,1,2,3", nil, 400, "not a finite number"},
		{"bbox Infinity", "GET", "/collections/bases/items?bbox=1,Infinity,2,3", nil, 400, "not a finite number"},
		{"bbox words", "GET", "/collections/bases/items?bbox=a,b,c,d", nil, 400, "not a finite number"},
		{"bbox empty", "GET", "/collections/bases/items?bbox=", nil, 400, "bbox"},
		{"bbox-crs other", "GET", "/collections/bases/items?bbox=1,2,3,4&bbox-crs=EPSG:3857", nil, 400, "bbox-crs"},
		{"datetime garbage", "GET", "/collections/events/items?datetime=tomorrow", nil, 400, "datetime must be"},
		{"datetime reversed", "GET", "/collections/events/items?datetime=2025-12-01/2025-01-01", nil, 400, "ends before it starts"},
		{"datetime half garbage", "GET", "/collections/events/items?datetime=2025-01-01/soon", nil, 400, "end"},
		{"datetime month 13", "GET", "/collections/events/items?datetime=2025-13-01", nil, 400, "datetime"},
		{"limit -1", "GET", "/collections/bases/items?limit=-1", nil, 400, "at least 1"},
		{"limit 0", "GET", "/collections/bases/items?limit=0", nil, 400, "at least 1"},
		{"limit 10^12 clamps", "GET", "/collections/bases/items?limit=1000000000000", nil, 200, ""},
		{"limit overflow", "GET", "/collections/bases/items?limit=99999999999999999999999", nil, 400, "limit=99999999999999999999999 is out of range"},
		{"limit text", "GET", "/collections/bases/items?limit=ten", nil, 400, "limit=ten must be a whole number"},
		{"offset past end", "GET", "/collections/bases/items?offset=1000", nil, 200, ""},
		{"offset negative", "GET", "/collections/bases/items?offset=-3", nil, 400, "offset"},
		{"unknown parameter", "GET", "/collections/bases/items?colour=red", nil, 400, `unknown query parameter "colour"`},
		{"unknown parameter on collections", "GET", "/collections?x=1", nil, 400, `unknown query parameter "x"`},
		{"unknown property", "GET", "/collections/bases/items?properties=secret", nil, 400, `"secret" is not a property`},
		{"bad format", "GET", "/collections?f=xml", nil, 400, "f=xml"},
		{"unknown layer items", "GET", "/collections/atlantis/items", nil, 404, `layer "atlantis" does not exist`},
		{"unknown layer", "GET", "/collections/atlantis", nil, 404, `"atlantis"`},
		{"unknown feature", "GET", "/collections/bases/items/nowhere", nil, 404, `feature "nowhere" does not exist`},
		{"unknown download", "GET", "/layers/atlantis.geojson", nil, 404, `"atlantis"`},
		{"unknown download format", "GET", "/layers/bases.exe", nil, 404, "no download"},
		{"unknown source", "GET", "/sources/nope", nil, 404, `source "nope"`},
		{"unknown passage", "GET", "/passages/nope", nil, 404, `passage "nope"`},
		{"annotations page", "GET", "/annotations?page=-2", nil, 400, "page"},
		{"bad tile zoom", "GET", "/tiles/bases/40/0/0.mvt", nil, 400, "z=40 must be a whole number from 0 to 16"},
		{"bad tile x", "GET", "/tiles/bases/1/5/0.mvt", nil, 400, "x=5 must be a whole number from 0 to 1"},
		{"tile of an unknown layer", "GET", "/tiles/atlantis/0/0/0.mvt", nil, 404, `"atlantis"`},
		{"tilejson unknown", "GET", "/tiles/atlantis.json", nil, 404, ""},
		{"traversal", "GET", "/static/../../etc/passwd", nil, 404, ""},
		{"traversal encoded", "GET", "/static/%2e%2e/%2e%2e/etc/passwd", nil, 404, ""},
		{"traversal assets", "GET", "/assets/../../../etc/passwd", nil, 404, ""},
		{"traversal ui", "GET", "/ui/%2e%2e/%2e%2e/go.mod", nil, 404, ""},
		{"traversal double encoded", "GET", "/ui/%252e%252e/go.mod", nil, 404, ""},
		{"unknown route", "GET", "/wp-admin/install.php", nil, 404, "no route"},
		{"invalid utf-8 in path", "GET", "/collections/%ff%fe", nil, 404, ""},
		{"invalid utf-8 in query", "GET", "/collections/bases/items?name=%ff", nil, 200, ""},
		{"very long URL", "GET", "/collections/bases/items?name=" + long, nil, 431, ""},
		{"very long header", "GET", "/collections", map[string]string{"X-Junk": long}, 431, ""},
		{"POST", "POST", "/collections", nil, 405, "read-only"},
		{"PUT without credentials", "PUT", "/collections/bases/items/gyumri-102nd-base", nil, 401, "needs credentials"},
		{"PUT with a wrong token", "PUT", "/collections/bases/items/gyumri-102nd-base", map[string]string{"Authorization": "Bearer nope"}, 401, "wrong or revoked"},
		{"token in the query", "GET", "/collections?access_token=abc", nil, 400, "never accepted in URLs"},
		{"DELETE", "DELETE", "/layers/bases.geojson", nil, 405, "read-only"},
		{"PATCH", "PATCH", "/sources/004_70ff61cf739652f9", nil, 405, "read-only"},
		{"TRACE", "TRACE", "/", nil, 405, ""},
		{"body over the limit", "POST", "/collections", map[string]string{"Content-Length": "10000000"}, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := rawGet(t, addr, tt.method, tt.target, tt.headers)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %.300s", status, tt.status, body)
			}
			if status >= 400 {
				if ct := h.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("content type %q, want application/problem+json", ct)
				}
				var p struct {
					Title, Detail string
					Status        int
				}
				if err := json.Unmarshal(body, &p); err != nil || p.Status != status || p.Title == "" {
					t.Errorf("problem body %.300s (%v)", body, err)
				}
				if !strings.Contains(p.Detail, tt.detail) {
					t.Errorf("detail %q, want %q", p.Detail, tt.detail)
				}
			}
			if res, _ := get(t, s.base+"/healthz"); res.StatusCode != 200 {
				t.Fatalf("healthz %d after %s", res.StatusCode, tt.name)
			}
		})
	}
	// HEAD and OPTIONS answer on every route.
	for _, target := range []string{"/", "/healthz", "/collections", "/collections/bases", "/collections/bases/items", "/collections/bases/items/gyumri-102nd-base",
		"/collections/bases/queryables", "/conformance", "/api", "/layers/bases.geojson", "/layers/bases.gpkg", "/layers/bases.csv", "/passages.csv",
		"/sources", "/sources/004_70ff61cf739652f9", "/passages", "/passages/p004-06", "/annotations", "/tiles/bases.json", "/tiles/bases/0/0/0.mvt"} {
		if status, _, body := rawGet(t, addr, "HEAD", target, nil); status != 200 || len(body) != 0 {
			t.Errorf("HEAD %s: %d, %d bytes", target, status, len(body))
		}
		if status, h, _ := rawGet(t, addr, "OPTIONS", target, map[string]string{"Origin": "https://x.example", "Access-Control-Request-Method": "GET"}); status != 204 || h.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("OPTIONS %s: %d", target, status)
		}
	}
}

// TestHostileImports feeds mapserver import bad files: each fails naming
// the file and what is wrong, and the database is left as it was.
func TestHostileImports(t *testing.T) {
	db := filepath.Join(t.TempDir(), "map.db")
	if _, stderr, code := run(t, "import", "../../data", "--db", db); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	exportBefore, stderr, code := run(t, "export", "bases", "--db", db)
	if code != 0 || !strings.Contains(exportBefore, "FeatureCollection") {
		t.Fatalf("export before: exit %d %s", code, stderr)
	}
	dir := t.TempDir()
	claims := `"claims":[{"passage":"p004-06","aspect":"existence","relation":"supports","basis":"explicit"}]`
	feature := func(id, geom string) string {
		return `{"type":"Feature","id":"` + id + `","geometry":` + geom + `,"properties":{"name":"x",` + claims + `}}`
	}
	fc := func(features ...string) string {
		return `{"type":"FeatureCollection","layer":{"id":"bases","kind":"bases"},"features":[` + strings.Join(features, ",") + `]}`
	}
	var big strings.Builder
	big.WriteString(`{"type":"LineString","coordinates":[`)
	for i := 0; i <= 1_000_000; i++ {
		if i > 0 {
			big.WriteByte(',')
		}
		fmt.Fprintf(&big, "[%d.5,40]", 40+i%5)
	}
	big.WriteString("]}")
	tests := []struct {
		name, body, want string
	}{
		{"malformed", fc(feature("a", `{"type":"Point","coordinates":[44,40]}`)) + "}", "malformed JSON"},
		{"truncated", fc(feature("a", `{"type":"Point","coordinates":[44,40]}`))[:120], "malformed JSON"},
		{"invalid utf-8", "{\"type\":\"FeatureCollection\",\"features\":[\xff]}", "malformed JSON"},
		{"deeply nested", strings.Repeat("[", 100000) + strings.Repeat("]", 100000), "malformed"},
		{"not a collection", `{"type":"Feature"}`, "FeatureCollection"},
		{"empty file", ``, "malformed JSON"},
		{"NaN coordinate", fc(`{"type":"Feature","id":"n","geometry":{"type":"Point","coordinates":[NaN,40]},"properties":{}}`), "malformed JSON"},
		{"out of range", fc(feature("far", `{"type":"Point","coordinates":[44,95]}`)), "outside lon"},
		{"unclosed ring", fc(feature("ring", `{"type":"Polygon","coordinates":[[[44,40],[45,40],[45,41],[44,41]]]}`)), "not closed"},
		{"self-intersecting", fc(feature("bowtie", `{"type":"Polygon","coordinates":[[[44,40],[45,41],[45,40],[44,41],[44,40]]]}`)), "invalid geometry"},
		{"million vertices", fc(feature("huge", big.String())), "more than 1000000 vertices"},
		{"missing passage", fc(`{"type":"Feature","id":"o","geometry":{"type":"Point","coordinates":[44,40]},"properties":{"claims":[{"passage":"p-none","aspect":"existence","relation":"supports","basis":"explicit"}]}}`), `"p-none"`},
		{"no evidence in a cited layer", fc(`{"type":"Feature","id":"bare","geometry":{"type":"Point","coordinates":[44,40]},"properties":{}}`), "no supporting passage"},
		{"bad relation", fc(`{"type":"Feature","id":"r","geometry":{"type":"Point","coordinates":[44,40]},"properties":{"claims":[{"passage":"p004-06","aspect":"existence","relation":"maybe","basis":"explicit"}]}}`), "relation"},
		{"duplicate ids", fc(feature("d", `{"type":"Point","coordinates":[44,40]}`), feature("d", `{"type":"Point","coordinates":[44,40]}`)), "duplicate"},
		{"bad id", fc(feature("Not A Slug", `{"type":"Point","coordinates":[44,40]}`)), "slug"},
		{"no id", fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":[44,40]},"properties":{}}`), "no id"},
		{"unknown kind", `{"type":"FeatureCollection","layer":{"id":"x","kind":"rivers"},"features":[]}`, "kind"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(dir, fmt.Sprintf("case%02d.geojson", i))
			if err := os.WriteFile(f, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := run(t, "import", f, "--db", db)
			if code == 0 {
				t.Fatal("import succeeded")
			}
			if !strings.Contains(stderr, filepath.Base(f)) || !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr does not name the file and %q:\n%.600s", tt.want, stderr)
			}
		})
	}
	if after, stderr, code := run(t, "export", "bases", "--db", db); code != 0 || after != exportBefore {
		t.Logf("export after: exit %d %s", code, stderr)
		t.Error("the bases layer changed")
	}
	if out, _, code := run(t, "check", "--db", db); code != 0 || !strings.Contains(out, "ok:") {
		t.Errorf("check after the bad imports: %s", out)
	}
}
