package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
	"github.com/citemap/citemap/layers/edit"
)

// writeEnv is a server with the write API on a real bbolt file, and a
// token for each role.
type writeEnv struct {
	s                        *Server
	svc                      *edit.Service
	store                    *bolt.Store
	editor, editor2, reviewr string // tokens
}

func newWriteServer(t *testing.T, cfg Config) *writeEnv {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "w.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d, err := layers.ReadDir(testFS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := store.Import(ctx, d.Import(), nil); err != nil {
		t.Fatal(err)
	}
	pub, ok := layers.Store(store).(layers.Publisher)
	if !ok {
		t.Fatal("the bolt store does not implement layers.Publisher")
	}
	ed := store.Editing()
	svc := edit.New(edit.Config{Store: store, Publisher: pub, Users: ed, Changesets: ed})
	cfg.Editor = svc
	s, err := New(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	env := &writeEnv{s: s, svc: svc, store: store}
	for _, u := range []struct {
		name, role string
		tok        *string
	}{{"ed", layers.RoleEditor, &env.editor}, {"ed2", layers.RoleEditor, &env.editor2}, {"rev", layers.RoleReviewer, &env.reviewr}} {
		_, tok, err := svc.AddUser(ctx, u.name, u.role)
		if err != nil {
			t.Fatal(err)
		}
		*u.tok = tok
	}
	return env
}

// send makes a request with a body; headers are name, value pairs.
func send(t *testing.T, s *Server, method, target, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return roundTrip(t, s, req)
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

func with(h []string, more ...string) []string { return append(append([]string{}, h...), more...) }

const newBase = `{"type":"Feature","geometry":{"type":"Point","coordinates":[44.5,40.2]},
 "properties":{"name":"New base","status":"active","claims":[{"passage":"p004-01","aspect":"existence","relation":"supports","basis":"explicit"}]}}`

func wantProblem(t *testing.T, res *http.Response, b []byte, status int, detail string) {
	t.Helper()
	if res.StatusCode != status || res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(b), detail) {
		t.Errorf("got %d %s %s; want %d problem containing %q", res.StatusCode, res.Header.Get("Content-Type"), b, status, detail)
	}
}

func TestWriteAuth(t *testing.T) {
	env := newWriteServer(t, Config{})
	s := env.s
	geo := []string{"Content-Type", "application/geo+json"}
	res, b := send(t, s, "POST", "/collections/bases/items", newBase, geo...)
	wantProblem(t, res, b, 401, "needs credentials")
	if res.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	res, b = send(t, s, "POST", "/collections/bases/items", newBase, with(geo, bearer("not-a-token")...)...)
	wantProblem(t, res, b, 401, "wrong or revoked")
	res, b = send(t, s, "POST", "/collections/bases/items", newBase, with(geo, "Authorization", "Basic abc")...)
	wantProblem(t, res, b, 401, "Bearer")
	res, b = send(t, s, "GET", "/collections?access_token="+env.editor, "")
	wantProblem(t, res, b, 400, "never accepted in URLs")
	// An editor may not publish.
	res, b = send(t, s, "POST", "/changesets/1/publish", "", bearer(env.editor)...)
	wantProblem(t, res, b, 403, "reviewer")
	// Revoked: 401 at once.
	if err := env.svc.RevokeUser(context.Background(), "ed2"); err != nil {
		t.Fatal(err)
	}
	res, b = send(t, s, "POST", "/collections/bases/items", newBase, with(geo, bearer(env.editor2)...)...)
	wantProblem(t, res, b, 401, "wrong or revoked")
	// Methods the API does not take stay 405.
	res, b = send(t, s, "POST", "/collections", "", bearer(env.editor)...)
	wantProblem(t, res, b, 405, "read-only")
}

func TestSessionCookieAndCSRF(t *testing.T) {
	env := newWriteServer(t, Config{BaseURL: "https://maps.example"})
	s := env.s
	res, b := send(t, s, "POST", "/session", "", bearer(env.editor)...)
	if res.StatusCode != 201 {
		t.Fatalf("login: %d %s", res.StatusCode, b)
	}
	cookie := res.Header.Get("Set-Cookie")
	for _, want := range []string{"citemap_session=", "HttpOnly", "SameSite=Strict", "secure"} {
		if !strings.Contains(strings.ToLower(cookie), strings.ToLower(want)) {
			t.Errorf("cookie %q lacks %s", cookie, want)
		}
	}
	var login struct {
		CSRF string `json:"csrf_token"`
		User string `json:"user"`
	}
	json.Unmarshal(b, &login)
	if login.CSRF == "" || login.User != "ed" {
		t.Fatalf("login body %s", b)
	}
	sid := strings.TrimPrefix(strings.Split(cookie, ";")[0], "citemap_session=")
	ck := []string{"Cookie", "citemap_session=" + sid, "Content-Type", "application/geo+json"}

	res, b = send(t, s, "POST", "/collections/bases/items", newBase, ck...)
	wantProblem(t, res, b, 403, "X-CSRF-Token")
	res, b = send(t, s, "POST", "/collections/bases/items", newBase, with(ck, "X-CSRF-Token", "wrong")...)
	wantProblem(t, res, b, 403, "X-CSRF-Token")
	res, b = send(t, s, "POST", "/collections/bases/items", newBase, with(ck, "X-CSRF-Token", login.CSRF, "Origin", "https://evil.example")...)
	wantProblem(t, res, b, 403, "origin")
	res, b = send(t, s, "POST", "/collections/bases/items", newBase, with(ck, "X-CSRF-Token", login.CSRF, "Origin", "https://maps.example")...)
	if res.StatusCode != 201 {
		t.Fatalf("cookie write with CSRF token: %d %s", res.StatusCode, b)
	}
	// A reloaded page asks who it is and gets the same CSRF token back.
	var who struct {
		User string  `json:"user"`
		Role string  `json:"role"`
		CSRF *string `json:"csrf_token"`
	}
	res, b = send(t, s, "GET", "/session", "", "Cookie", "citemap_session="+sid)
	if err := json.Unmarshal(b, &who); err != nil || res.StatusCode != 200 || who.User != "ed" || who.Role != layers.RoleEditor || who.CSRF == nil || *who.CSRF != login.CSRF {
		t.Fatalf("GET /session: %d %s, want ed, editor and the login's CSRF token", res.StatusCode, b)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("GET /session Cache-Control %q", cc)
	}
	// Logging out ends the cookie.
	res, _ = send(t, s, "DELETE", "/session", "", "Cookie", "citemap_session="+sid, "X-CSRF-Token", login.CSRF)
	if res.StatusCode != 204 {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if sc := res.Header.Get("Set-Cookie"); !strings.Contains(sc, "citemap_session=;") || !strings.Contains(sc, "expires=Thu, 01 Jan 1970") {
		t.Errorf("logout does not delete the cookie: %q", sc)
	}
	res, b = send(t, s, "POST", "/collections/bases/items", newBase, with(ck, "X-CSRF-Token", login.CSRF)...)
	wantProblem(t, res, b, 401, "session has ended")
	// An ended session, a made-up one and none at all: nobody, and no token.
	for _, hdr := range [][]string{{"Cookie", "citemap_session=" + sid}, {"Cookie", "citemap_session=made-up"}, nil} {
		res, b = send(t, s, "GET", "/session", "", hdr...)
		if res.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"user":null}` {
			t.Errorf("GET /session with %v: %d %s, want {\"user\":null}", hdr, res.StatusCode, b)
		}
		if sc := res.Header.Get("Set-Cookie"); hdr != nil && (!strings.Contains(sc, "citemap_session=;") || !strings.Contains(sc, "expires=Thu, 01 Jan 1970")) {
			t.Errorf("GET /session with %v does not clear the cookie: %q", hdr, res.Header.Get("Set-Cookie"))
		}
	}
}

func TestOptionsAllow(t *testing.T) {
	env := newWriteServer(t, Config{})
	for _, tt := range []struct {
		path, token, want string
	}{
		{"/collections/bases/items", "", "GET, HEAD, OPTIONS"},
		{"/collections/bases/items", env.editor, "GET, HEAD, OPTIONS, POST"},
		{"/collections/bases/items/gyumri-102nd-base", env.editor, "GET, HEAD, OPTIONS, PUT, PATCH, DELETE"},
		{"/collections/bases/items/unknown_id", env.editor, "GET, HEAD, OPTIONS, PUT, PATCH, DELETE"},
		{"/collections/bases/items/unknown_id", "", "GET, HEAD, OPTIONS"},
	} {
		var h []string
		if tt.token != "" {
			h = bearer(tt.token)
		}
		res, _ := send(t, env.s, "OPTIONS", tt.path, "", h...)
		if res.StatusCode != 204 || res.Header.Get("Allow") != tt.want {
			t.Errorf("OPTIONS %s (token %v): %d Allow %q, want %q", tt.path, tt.token != "", res.StatusCode, res.Header.Get("Allow"), tt.want)
		}
	}
	res, b := send(t, env.s, "GET", "/conformance", "")
	if !strings.Contains(string(b), "ogcapi-features-4/1.0/conf/create-replace-delete") || res.StatusCode != 200 {
		t.Errorf("conformance lacks Part 4: %s", b)
	}
	_, b = send(t, env.s, "GET", "/api", "")
	if !strings.Contains(string(b), `"createFeature"`) || !strings.Contains(string(b), `"updateFeature"`) {
		t.Errorf("/api lacks the write operations")
	}
}

func TestBadWrites(t *testing.T) {
	env := newWriteServer(t, Config{})
	s := env.s
	auth := with(bearer(env.editor), "Content-Type", "application/geo+json")
	feature := func(geom, props string) string {
		return `{"type":"Feature","id":"x1","geometry":` + geom + `,"properties":` + props + `}`
	}
	okClaims := `"claims":[{"passage":"p004-01","aspect":"existence","relation":"supports","basis":"explicit"}]`
	for _, tt := range []struct {
		name, target, body string
		headers            []string
		status             int
		detail             string
	}{
		{"malformed JSON", "/collections/bases/items", "{\n \"type\": \"Feature\",\n \"id\" 1}", auth, 400, "line 3, column"},
		{"wrong content type", "/collections/bases/items", newBase, with(bearer(env.editor), "Content-Type", "text/plain"), 415, "Content-Type"},
		{"too large", "/collections/bases/items", `{"type":"Feature","properties":{"name":"` + strings.Repeat("a", 2<<20) + `"}}`, auth, 413, "limit"},
		{"unknown layer", "/collections/nope/items", newBase, auth, 404, "nope"},
		{"invalid geometry", "/collections/bases/items", feature(`{"type":"Point","coordinates":[200,95]}`, `{"name":"x",`+okClaims+`}`), auth, 422, "x1"},
		{"claim on missing passage", "/collections/bases/items", feature(`{"type":"Point","coordinates":[44,40]}`, `{"name":"x","claims":[{"passage":"p999","aspect":"existence","relation":"supports","basis":"explicit"}]}`), auth, 422, "p999"},
		{"wrong geometry type", "/collections/bases/items", feature(`{"type":"LineString","coordinates":[[44,40],[44.1,40.1]]}`, `{"name":"x",`+okClaims+`}`), auth, 422, "layer bases holds points"},
		{"non-flat property", "/collections/bases/items", feature(`{"type":"Point","coordinates":[44,40]}`, `{"name":"x","nested":{"a":1},`+okClaims+`}`), auth, 422, "nested"},
		{"inferred without note", "/collections/bases/items", feature(`{"type":"Point","coordinates":[44,40]}`, `{"name":"x","claims":[{"passage":"p004-01","aspect":"existence","relation":"supports","basis":"inferred"}]}`), auth, 422, "note"},
		{"existing id", "/collections/bases/items", strings.Replace(newBase, `"type":"Feature"`, `"type":"Feature","id":"gyumri-102nd-base"`, 1), auth, 409, "already exists"},
		{"patch content type", "/collections/bases/items/gyumri-102nd-base", `{"properties":{"status":"closed"}}`, with(bearer(env.editor), "Content-Type", "application/json"), 415, "merge-patch"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			method := "POST"
			if strings.Contains(tt.name, "patch") {
				method = "PATCH"
			}
			res, b := send(t, s, method, tt.target, tt.body, tt.headers...)
			wantProblem(t, res, b, tt.status, tt.detail)
		})
	}
	// Nothing was written: no changeset holds anything.
	_, b := send(t, s, "GET", "/changesets", "", bearer(env.reviewr)...)
	var list struct {
		Changesets []struct {
			Changes []any `json:"changes"`
		} `json:"changesets"`
	}
	json.Unmarshal(b, &list)
	for _, c := range list.Changesets {
		if len(c.Changes) > 0 {
			t.Errorf("a failed write left a change: %s", b)
		}
	}
}

// TestDraftPublishRevert follows a feature from a draft to a published
// version and back, checking who sees what at each step.
func TestDraftPublishRevert(t *testing.T) {
	env := newWriteServer(t, Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>map</title>")}}})
	s := env.s
	ed := with(bearer(env.editor), "Content-Type", "application/geo+json")
	before, _ := send(t, s, "GET", "/collections", "")
	v0 := decode(t, mustBody(t, s, "/collections"))["data_version"].(float64)
	_ = before

	res, b := send(t, s, "POST", "/collections/bases/items", newBase, ed...)
	if res.StatusCode != 201 || !strings.HasSuffix(res.Header.Get("Location"), "/collections/bases/items/new-base") || res.Header.Get("ETag") == "" {
		t.Fatalf("create: %d %v %s", res.StatusCode, res.Header, b)
	}
	cs := int(decode(t, b)["changeset"].(float64))
	if !strings.Contains(res.Header.Get("Link"), fmt.Sprintf("/changesets/%d", cs)) {
		t.Errorf("write answer does not name its changeset: %v", res.Header)
	}
	// The draft: its author and reviewers see it, readers do not.
	if res, _ := send(t, s, "GET", "/collections/bases/items/new-base", ""); res.StatusCode != 404 {
		t.Errorf("anonymous reader sees the draft: %d", res.StatusCode)
	}
	for _, tok := range []string{env.editor, env.reviewr} {
		if res, b := send(t, s, "GET", "/collections/bases/items/new-base", "", bearer(tok)...); res.StatusCode != 200 || !strings.Contains(string(b), `"draft":true`) {
			t.Errorf("author/reviewer do not see the draft: %d %s", res.StatusCode, b)
		}
	}
	// The author's items list shows the draft (QGIS reloads the layer after
	// an edit); not another editor's.
	if res, b := send(t, s, "GET", "/collections/bases/items", "", bearer(env.editor)...); !strings.Contains(string(b), "New base") || res.Header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("the author's items list lacks the draft: %v %s", res.Header, b)
	}
	if _, b := send(t, s, "GET", "/collections/bases/items", "", bearer(env.editor2)...); strings.Contains(string(b), "New base") {
		t.Errorf("another editor's items list shows the draft")
	}
	// The draft is laid over the stored layer: counted, placed, filtered
	// and paged as a published feature would be.
	matched := func(path string, h ...string) float64 {
		t.Helper()
		_, b := send(t, s, "GET", path, "", h...)
		n, ok := decode(t, b)["numberMatched"].(float64)
		if !ok {
			t.Fatalf("%s: no numberMatched: %.200s", path, b)
		}
		return n
	}
	for _, tc := range []struct {
		path  string
		extra float64
	}{
		{"/collections/bases/items?limit=1", 1},
		{"/collections/bases/items?bbox=44.4,40.1,44.6,40.3", 1}, // around the draft
		{"/collections/bases/items?bbox=30,30,31,31", 0},         // away from it
		{"/collections/bases/items?status=active&limit=2", 1},    // a property it has
		{"/collections/bases/items?status=no-such-value", 0},     // one it has not
	} {
		if pub, own := matched(tc.path), matched(tc.path, bearer(env.editor)...); own != pub+tc.extra {
			t.Errorf("%s: the author's list matches %v, the published %v; want %v more", tc.path, own, pub, tc.extra)
		}
	}
	if res, _ := send(t, s, "GET", "/collections/bases/items/new-base", "", bearer(env.editor2)...); res.StatusCode != 404 {
		t.Errorf("another editor sees the draft: %d", res.StatusCode)
	}
	if res, _ := send(t, s, "GET", fmt.Sprintf("/changesets/%d", cs), ""); res.StatusCode != 404 {
		t.Errorf("anonymous reader sees the open changeset: %d", res.StatusCode)
	}
	// Readers, downloads, tiles and pictures read published versions only;
	// each of these paths shows the feature once it is published (below).
	readPaths := []string{"/collections/bases/items", "/layers/bases.geojson", "/layers/bases.csv", "/tiles/bases/5/19/12.mvt"}
	for _, path := range readPaths {
		if _, b := send(t, s, "GET", path, ""); strings.Contains(string(b), "New base") {
			t.Errorf("%s shows the draft", path)
		}
		// Downloads and tiles read published versions only, whoever asks.
		if _, b := send(t, s, "GET", path, "", bearer(env.editor)...); strings.Contains(string(b), "New base") && !strings.Contains(path, "/items") {
			t.Errorf("%s shows the draft to its author", path)
		}
	}

	// Static maps and embeds draw published versions only, whoever asks:
	// a draft feature named in one is unknown.
	pictures := []string{"/static/map.svg?layers=bases&feature=bases/new-base", "/static/map.png?layers=bases&feature=bases/new-base&width=300&height=200", "/embed?layers=bases&feature=bases/new-base"}
	for _, path := range pictures {
		for _, h := range [][]string{nil, bearer(env.editor)} {
			if res, b := send(t, s, "GET", path, "", h...); res.StatusCode == 200 {
				t.Errorf("%s (token: %v) draws the draft: %d %.200s", path, h != nil, res.StatusCode, b)
			}
		}
	}

	// A claim that is not explicit cannot be published.
	res, b = send(t, s, "PATCH", "/collections/bases/items/new-base",
		`{"properties":{"claims":[{"passage":"p004-01","aspect":"existence","relation":"supports","basis":"inferred","note":"the base is named, not placed"}]}}`,
		with(bearer(env.editor), "Content-Type", "application/merge-patch+json", "If-Match", res.Header.Get("ETag"))...)
	if res.StatusCode != 200 {
		t.Fatalf("patch: %d %s", res.StatusCode, b)
	}
	etag := res.Header.Get("ETag")
	res, b = send(t, s, "POST", fmt.Sprintf("/changesets/%d/publish", cs), "", bearer(env.reviewr)...)
	wantProblem(t, res, b, 422, "bases/new-base")
	if !strings.Contains(string(b), `"problems"`) {
		t.Errorf("refusal does not list the features: %s", b)
	}
	// A stale ETag is 412; the current one works.
	res, b = send(t, s, "PATCH", "/collections/bases/items/new-base", `{"properties":{"status":"x"}}`,
		with(bearer(env.editor), "Content-Type", "application/merge-patch+json", "If-Match", `"stale"`)...)
	wantProblem(t, res, b, 412, "changed")
	res, b = send(t, s, "PUT", "/collections/bases/items/new-base", newBase, with(ed, "If-Match", etag)...)
	if res.StatusCode != 200 {
		t.Fatalf("put: %d %s", res.StatusCode, b)
	}

	res, b = send(t, s, "POST", fmt.Sprintf("/changesets/%d/publish", cs), `{"message":"A new base"}`, with(bearer(env.reviewr), "Content-Type", "application/json")...)
	if res.StatusCode != 200 {
		t.Fatalf("publish: %d %s", res.StatusCode, b)
	}
	v1 := decode(t, b)["version"].(float64)
	if v1 != v0+1 {
		t.Errorf("publish made version %v after %v", v1, v0)
	}
	res, b = send(t, s, "GET", "/collections/bases/items/new-base", "")
	if res.StatusCode != 200 || !strings.Contains(string(b), "As announced by the Ukrainian") {
		t.Errorf("published feature not visible with its quote: %d %s", res.StatusCode, b)
	}
	for _, path := range readPaths {
		if _, b := send(t, s, "GET", path, ""); !strings.Contains(string(b), "New base") {
			t.Errorf("%s does not show the published feature", path)
		}
	}
	for _, path := range pictures {
		if res, b := send(t, s, "GET", path, ""); res.StatusCode != 200 {
			t.Errorf("%s does not draw the published feature: %d %.200s", path, res.StatusCode, b)
		}
	}
	if res, _ := send(t, s, "GET", fmt.Sprintf("/collections/bases/items/new-base?v=%d", int(v0)), ""); res.StatusCode != 404 {
		t.Errorf("the earlier version changed: %d", res.StatusCode)
	}
	// Reverting publishes the inverse.
	res, b = send(t, s, "POST", fmt.Sprintf("/changesets/%d/revert", cs), "", bearer(env.reviewr)...)
	if res.StatusCode != 201 {
		t.Fatalf("revert: %d %s", res.StatusCode, b)
	}
	if res, _ := send(t, s, "GET", "/collections/bases/items/new-base", ""); res.StatusCode != 404 {
		t.Errorf("reverted feature still there: %d", res.StatusCode)
	}
	if res, _ := send(t, s, "GET", fmt.Sprintf("/collections/bases/items/new-base?v=%d", int(v1)), ""); res.StatusCode != 200 {
		t.Errorf("the published version changed after the revert: %d", res.StatusCode)
	}
	res, b = send(t, s, "POST", fmt.Sprintf("/changesets/%d/revert", cs), "", bearer(env.reviewr)...)
	wantProblem(t, res, b, 409, "reverted")

	res, b = send(t, s, "GET", "/collections/bases/items/new-base/history", "")
	var hist struct {
		Versions []struct {
			Version int    `json:"version"`
			Message string `json:"message"`
			Deleted bool   `json:"deleted"`
			Author  string `json:"changeset_author"`
		} `json:"versions"`
	}
	json.Unmarshal(b, &hist)
	if res.StatusCode != 200 || len(hist.Versions) != 2 || hist.Versions[0].Message != "A new base" || hist.Versions[0].Author != "ed" || !hist.Versions[1].Deleted {
		t.Errorf("history: %d %s", res.StatusCode, b)
	}
	_, b = send(t, s, "GET", "/changes", "")
	var feed struct {
		Changes []struct {
			ID    int    `json:"id"`
			State string `json:"state"`
		} `json:"changes"`
	}
	json.Unmarshal(b, &feed)
	if len(feed.Changes) != 2 || feed.Changes[1].ID != cs || feed.Changes[1].State != "reverted" {
		t.Errorf("changes feed: %s", b)
	}
	res, b = send(t, s, "GET", "/changes?f=atom", "")
	if res.Header.Get("Content-Type") != "application/atom+xml" || !bytes.Contains(b, []byte("<entry>")) {
		t.Errorf("atom: %s %s", res.Header.Get("Content-Type"), b)
	}
	_, b = send(t, s, "GET", fmt.Sprintf("/changesets/%d", cs), "")
	if !strings.Contains(string(b), `"claims_added"`) || !strings.Contains(string(b), `"geometry_after"`) {
		t.Errorf("changeset diff: %s", b)
	}
}

func mustBody(t *testing.T, s *Server, path string) []byte {
	t.Helper()
	res, b := send(t, s, "GET", path, "")
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return b
}

// TestConcurrentPatchSameETag: two editors PATCH one feature with the same
// ETag at once; one wins, the other gets 412, and the winner's change is
// the one kept.
func TestConcurrentPatchSameETag(t *testing.T) {
	env := newWriteServer(t, Config{})
	s := env.s
	res, _ := send(t, s, "GET", "/collections/bases/items/gyumri-102nd-base", "")
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, tok := range []string{env.editor, env.editor2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := httptest.NewRequest("PATCH", "/collections/bases/items/gyumri-102nd-base",
					strings.NewReader(fmt.Sprintf(`{"properties":{"status":"edited by %d"}}`, i)))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/merge-patch+json")
				req.Header.Set("If-Match", etag)
				res, err := s.App().Test(req, -1)
				if err != nil {
					t.Error(err)
					return
				}
				codes[i] = res.StatusCode
			}()
		}
		wg.Wait()
		if round == 0 {
			if !(codes[0] == 200 && codes[1] == 412 || codes[0] == 412 && codes[1] == 200) {
				t.Fatalf("round %d: statuses %v, want one 200 and one 412", round, codes)
			}
			// No lost update: the winner's change is the draft its author
			// and the reviewer read.
			winner := 0
			if codes[1] == 200 {
				winner = 1
			}
			for _, tok := range []string{[]string{env.editor, env.editor2}[winner], env.reviewr} {
				_, b := send(t, s, "GET", "/collections/bases/items/gyumri-102nd-base", "", bearer(tok)...)
				if want := fmt.Sprintf(`"status":"edited by %d"`, winner); !strings.Contains(string(b), want) {
					t.Errorf("after the race the feature reads %s, want %s", b, want)
				}
			}
		} else if codes[0] != 412 || codes[1] != 412 {
			// The ETag is stale for everyone now.
			t.Fatalf("round %d: statuses %v, want 412 for both", round, codes)
		}
	}
}

// TestQGISEditSequence replays what QGIS's OAPIF provider (3.32 and later)
// sends to edit a layer: OPTIONS on the items and on an unknown id, a POST
// whose Location it re-reads, geometry-only and properties-only merge
// patches without If-Match, and a DELETE.
func TestQGISEditSequence(t *testing.T) {
	env := newWriteServer(t, Config{})
	s := env.s
	q := bearer(env.editor)
	if res, _ := send(t, s, "OPTIONS", "/collections/bases/items", "", q...); !strings.Contains(res.Header.Get("Allow"), "POST") {
		t.Fatalf("OPTIONS items: Allow %q: QGIS would open the layer read-only", res.Header.Get("Allow"))
	}
	if res, _ := send(t, s, "OPTIONS", "/collections/bases/items/unknown_id", "", q...); res.StatusCode/100 != 2 || !strings.Contains(res.Header.Get("Allow"), "PATCH") {
		t.Fatalf("OPTIONS unknown id: %d Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	res, b := send(t, s, "POST", "/collections/bases/items", newBase, with(q, "Content-Type", "application/geo+json")...)
	if res.StatusCode != 201 {
		t.Fatalf("POST: %d %s", res.StatusCode, b)
	}
	loc := res.Header.Get("Location")
	path := loc[strings.Index(loc, "/collections/"):]
	if !strings.Contains(path, "/items/") {
		t.Fatalf("Location %q has no /items/{id}", loc)
	}
	if res, b := send(t, s, "GET", path, "", q...); res.StatusCode != 200 || !strings.Contains(string(b), `"New base"`) {
		t.Fatalf("re-reading the Location: %d %s", res.StatusCode, b)
	}
	mp := with(q, "Content-Type", "application/merge-patch+json")
	res, b = send(t, s, "PATCH", path, `{"geometry":{"type":"Point","coordinates":[44.6,40.3]}}`, mp...)
	if res.StatusCode != 200 || !strings.Contains(string(b), "44.6") || !strings.Contains(string(b), "p004-01") {
		t.Fatalf("geometry-only patch: %d %s", res.StatusCode, b)
	}
	res, b = send(t, s, "PATCH", path, `{"properties":{"status":"closed"}}`, mp...)
	if res.StatusCode != 200 || !strings.Contains(string(b), `"closed"`) || !strings.Contains(string(b), "44.6") {
		t.Fatalf("properties-only patch: %d %s", res.StatusCode, b)
	}
	if res, b := send(t, s, "DELETE", path, "", q...); res.StatusCode != 200 {
		t.Fatalf("DELETE: %d %s", res.StatusCode, b)
	}
	if res, _ := send(t, s, "GET", path, "", q...); res.StatusCode != 404 {
		t.Errorf("deleted draft still read: %d", res.StatusCode)
	}
	// Created and deleted in one changeset: nothing is left to publish.
	_, b = send(t, s, "GET", "/changesets", "", q...)
	if strings.Contains(string(b), "new-base") {
		t.Errorf("the changeset still holds the feature: %s", b)
	}
}

func TestPostSourcesAndPassages(t *testing.T) {
	env := newWriteServer(t, Config{})
	s := env.s
	js := with(bearer(env.editor), "Content-Type", "application/json")
	text := "Officials met in Meghri. Officials met in Kapan too. The road to Nakhichevan was discussed."
	body, _ := json.Marshal(map[string]string{"text": text, "publisher": "Test desk"})
	res, b := send(t, s, "POST", "/sources", string(body), js...)
	b2 := b
	if res.StatusCode != 201 {
		t.Fatalf("POST /sources: %d %s", res.StatusCode, b)
	}
	id := decode(t, b)["id"].(string)
	// The draft source: its author reads it, a reader does not.
	if res, b := send(t, s, "GET", "/sources/"+id, "", bearer(env.editor)...); res.StatusCode != 200 || !strings.Contains(string(b), `"draft":true`) {
		t.Errorf("author reading the draft source: %d %s", res.StatusCode, b)
	}
	if res, _ := send(t, s, "GET", "/sources/"+id, ""); res.StatusCode != 404 {
		t.Errorf("reader reading a draft source: %d", res.StatusCode)
	}
	res, b = send(t, s, "POST", "/sources", string(body), js...)
	wantProblem(t, res, b, 409, id)
	html, _ := json.Marshal(map[string]string{"html": `<html><head><title>T</title><script>alert(1)</script></head><body><article><h1>Border news</h1><p>` +
		strings.Repeat("Engineers surveyed the crossing near Agarak and wrote a long report about it. ", 8) + `</p><script>steal()</script></article></body></html>`})
	res, b = send(t, s, "POST", "/sources", string(html), js...)
	if res.StatusCode != 201 || strings.Contains(string(b), "alert") || strings.Contains(string(b), "steal") || !strings.Contains(string(b), "Agarak") {
		t.Errorf("POST /sources html: %d %s", res.StatusCode, b)
	}
	htmlID := decode(t, b)["id"].(string)
	// The scripts reach no page: not the draft, nor, once published, the
	// source's JSON, HTML page, annotations or passages export.
	scriptFree := func(when string, h ...string) {
		t.Helper()
		for _, path := range []string{"/sources/" + htmlID, "/sources/" + htmlID + "?f=html", "/sources", "/annotations", "/passages.csv"} {
			res, b := send(t, s, "GET", path, "", h...)
			if strings.Contains(string(b), "alert(") || strings.Contains(string(b), "steal(") {
				t.Errorf("%s: %s (%d) carries the page's script: %.300s", when, path, res.StatusCode, b)
			}
		}
	}
	scriptFree("draft", bearer(env.editor)...)
	for _, tt := range []struct {
		body   string
		status int
		detail string
	}{
		{`{"exact":"Officials met in"}`, 422, "occurs 2 times"},
		{`{"exact":"Officials met in","prefix":"Meghri. "}`, 201, "Kapan"},
		{`{"exact":"The road to Nakhichevan"}`, 201, "Nakhichevan"},
		{`{"exact":"The road to Nakhichevan"}`, 200, "Nakhichevan"}, // the same span again
		{`{"start":0,"end":24}`, 201, "Officials met in Meghri."},
		{`{"exact":"Yerevan"}`, 422, "not in the source"},
		{`{"exact":`, 400, "malformed JSON"},
	} {
		res, b := send(t, s, "POST", "/sources/"+id+"/passages", tt.body, js...)
		if res.StatusCode != tt.status || !strings.Contains(string(b), tt.detail) {
			t.Errorf("%s: %d %s, want %d with %q", tt.body, res.StatusCode, b, tt.status, tt.detail)
		}
	}
	res, b = send(t, s, "POST", "/sources/nope/passages", `{"exact":"x"}`, js...)
	wantProblem(t, res, b, 404, "nope")
	res, b = send(t, s, "GET", "/sources/"+id+"/suggestions", "", bearer(env.editor)...)
	if res.StatusCode != 200 || !strings.Contains(string(b), `"exact":"Nakhichevan"`) {
		t.Errorf("suggestions: %d %s", res.StatusCode, b)
	}
	res, b = send(t, s, "POST", fmt.Sprintf("/changesets/%d/publish", int(decode(t, b2)["changeset"].(float64))), "", bearer(env.reviewr)...)
	if res.StatusCode != 200 {
		t.Fatalf("publishing the sources: %d %s", res.StatusCode, b)
	}
	if res, _ := send(t, s, "GET", "/sources/"+htmlID+"?f=html", ""); res.StatusCode != 200 {
		t.Fatalf("the published source page: %d", res.StatusCode)
	}
	scriptFree("published")
}

// TestSourceRevision: a corrected article is a new revision; passages that
// still stand move to it, one whose sentence was rewritten stays on the old
// revision and is flagged, and the published reads do not change until a
// reviewer publishes.
func TestSourceRevision(t *testing.T) {
	env := newWriteServer(t, Config{})
	s := env.s
	_, b := send(t, s, "GET", "/sources/s004", "")
	var old struct {
		Text string `json:"text"`
	}
	json.Unmarshal(b, &old)
	// p004-02 ("However, these claims were swiftly denied by Armenia, ...")
	// is reworded; p004-01 gains text before it.
	text := "Correction appended.\n" + strings.Replace(old.Text, "these claims were swiftly denied by Armenia", "Yerevan rejected the reports within hours", 1)
	body, _ := json.Marshal(map[string]string{"text": text})
	res, b := send(t, s, "POST", "/sources/s004/revisions", string(body), with(bearer(env.editor), "Content-Type", "application/json")...)
	if res.StatusCode != 201 {
		t.Fatalf("revision: %d %s", res.StatusCode, b)
	}
	var rev struct {
		ID         string `json:"id"`
		Changeset  int    `json:"changeset"`
		Reanchored []struct {
			ID     string
			Source string
			Start  int
		} `json:"reanchored"`
		NeedsReview []struct{ ID, Source, Reason string } `json:"needs_review"`
	}
	json.Unmarshal(b, &rev)
	if len(rev.Reanchored) != 1 || rev.Reanchored[0].ID != "p004-01" || rev.Reanchored[0].Source != rev.ID || rev.Reanchored[0].Start == 0 {
		t.Errorf("reanchored: %s", b)
	}
	if len(rev.NeedsReview) != 1 || rev.NeedsReview[0].ID != "p004-02" || rev.NeedsReview[0].Source != "s004" {
		t.Errorf("needs review: %s", b)
	}
	if _, b := send(t, s, "GET", "/passages/p004-01", ""); !strings.Contains(string(b), `"s004"`) {
		t.Errorf("the published passage moved before publishing: %s", b)
	}
	// The reviewer sees the flag on the changeset.
	_, b = send(t, s, "GET", fmt.Sprintf("/changesets/%d", rev.Changeset), "", bearer(env.reviewr)...)
	var cs struct {
		NeedsReview []struct{ Passage, Source, Revision, Reason string } `json:"needs_review"`
	}
	json.Unmarshal(b, &cs)
	if len(cs.NeedsReview) != 1 || cs.NeedsReview[0].Passage != "p004-02" || cs.NeedsReview[0].Source != "s004" || cs.NeedsReview[0].Revision != rev.ID || cs.NeedsReview[0].Reason == "" {
		t.Errorf("the changeset does not flag p004-02 for review: %s", b)
	}
	res, b = send(t, s, "POST", fmt.Sprintf("/changesets/%d/publish", rev.Changeset), "", bearer(env.reviewr)...)
	if res.StatusCode != 200 {
		t.Fatalf("publish: %d %s", res.StatusCode, b)
	}
	if _, b := send(t, s, "GET", "/passages/p004-01", ""); !strings.Contains(string(b), rev.ID) {
		t.Errorf("after publishing, p004-01 is not on the new revision: %s", b)
	}
	if res, _ := send(t, s, "GET", "/sources/s004", ""); res.StatusCode != 200 {
		t.Errorf("the old revision is gone: %d", res.StatusCode)
	}
}

func TestUsersOverHTTP(t *testing.T) {
	env := newWriteServer(t, Config{})
	s := env.s
	_, admin, err := env.svc.AddUser(context.Background(), "boss", layers.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	res, b := send(t, s, "GET", "/users", "", bearer(env.reviewr)...)
	wantProblem(t, res, b, 403, "admin")
	res, b = send(t, s, "POST", "/users", `{"name":"newbie","role":"editor"}`, with(bearer(admin), "Content-Type", "application/json")...)
	if res.StatusCode != 201 {
		t.Fatalf("add user: %d %s", res.StatusCode, b)
	}
	tok := decode(t, b)["token"].(string)
	if res, _ := send(t, s, "OPTIONS", "/collections/bases/items", "", bearer(tok)...); !strings.Contains(res.Header.Get("Allow"), "POST") {
		t.Errorf("the new user's token does not work: %v", res.Header)
	}
	res, b = send(t, s, "POST", "/users", `{"name":"newbie","role":"editor"}`, with(bearer(admin), "Content-Type", "application/json")...)
	wantProblem(t, res, b, 409, "already exists")
	res, b = send(t, s, "POST", "/users", `{"name":"x","role":"king"}`, with(bearer(admin), "Content-Type", "application/json")...)
	wantProblem(t, res, b, 400, "role")
	_, b = send(t, s, "GET", "/users", "", bearer(admin)...)
	if !strings.Contains(string(b), "newbie") || strings.Contains(string(b), "token") {
		t.Errorf("user list: %s", b)
	}
	if res, _ := send(t, s, "DELETE", "/users/newbie", "", bearer(admin)...); res.StatusCode != 204 {
		t.Errorf("revoke: %d", res.StatusCode)
	}
	res, b = send(t, s, "POST", "/collections/bases/items", newBase, with(bearer(tok), "Content-Type", "application/geo+json")...)
	wantProblem(t, res, b, 401, "revoked")
}
