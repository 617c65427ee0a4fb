package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// client makes authenticated requests to a running server.
type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) do(method, path, contentType, body string, headers ...string) (*http.Response, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res, b
}

// expect fails the test unless the answer has status want.
func expect(t *testing.T, what string, res *http.Response, b []byte, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s: status %d, want %d: %s", what, res.StatusCode, want, b)
	}
}

// addUser runs `mapserver user add` and returns the token: the last line
// of its output.
func addUser(t *testing.T, db, name, role string) string {
	t.Helper()
	out, stderr, code := run(t, "user", "add", name, "--role", role, "--db", db)
	if code != 0 {
		t.Fatalf("user add %s: exit %d: %s", name, code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if len(token) < 22 || strings.ContainsAny(token, " \t") {
		t.Fatalf("user add printed %q as its last line, not a token", token)
	}
	return token
}

// testArticle is written for this test (not one of the seeds): it names
// places with the spelling variants the matcher must know.
const testArticle = `Road builders and customs officers met near Meghri on Tuesday to walk the route of the Zangazur corridor.
The planned road and railway would link mainland Azerbaijan with its Nakhichevan exclave through Armenia's Siunik province.
Officials in Yerevan said the crossing points would stay under Armenian control, while Baku called the project a historic opening.
In Leninakan, known today as Gyumri, traders said they hoped the new route would bring freight north towards Georgia.`

const testQuote = "The planned road and railway would link mainland Azerbaijan with its Nakhichevan exclave through Armenia's Siunik province."

// TestWriteEndToEnd drives the write side against a real server and a real
// bbolt file: users created while the server runs, an article posted, its
// place suggestions read, a passage cited, a feature created with OGC API
// Features Part 4, the draft hidden from readers, a reviewer publishing,
// the new version with its quote, the previous version unchanged, a
// revert, the history; then an import handed to the running server.
func TestWriteEndToEnd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "e2e.db")
	srv := start(t, db)

	// Users, added while the server holds the database.
	edTok := addUser(t, db, "alice", "editor")
	revTok := addUser(t, db, "rita", "reviewer")
	if st, err := os.Stat(socketPath(db)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("control socket: %v, mode %v", err, st.Mode())
	}
	out, stderr, code := run(t, "user", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, "reviewer") || strings.Contains(out, edTok) {
		t.Fatalf("user list: exit %d\n%s%s", code, out, stderr)
	}
	if _, _, code := run(t, "user", "add", "alice", "--role", "editor", "--db", db); code == 0 {
		t.Error("a second user alice was accepted")
	}
	ed := client{t, srv.base, edTok}
	rev := client{t, srv.base, revTok}
	anon := client{t, srv.base, ""}

	_, b := anon.do("GET", "/collections", "", "")
	var cols struct {
		DataVersion int `json:"data_version"`
	}
	json.Unmarshal(b, &cols)
	v0 := cols.DataVersion

	// An article.
	art, _ := json.Marshal(map[string]string{"title": "", "publisher": "Test desk", "language": "en", "text": testArticle})
	res, b := anon.do("POST", "/sources", "application/json", string(art))
	expect(t, "anonymous POST /sources", res, b, 401)
	res, b = ed.do("POST", "/sources", "application/json", string(art))
	expect(t, "POST /sources", res, b, 201)
	var src struct {
		ID        string `json:"id"`
		Changeset int    `json:"changeset"`
	}
	json.Unmarshal(b, &src)
	if src.ID == "" || !strings.HasSuffix(res.Header.Get("Location"), "/sources/"+src.ID) {
		t.Fatalf("source: %s, Location %q", b, res.Header.Get("Location"))
	}
	res, b = ed.do("POST", "/sources", "application/json", string(art))
	expect(t, "the same text again", res, b, 409)
	if !strings.Contains(string(b), src.ID) {
		t.Errorf("409 does not name the existing source: %s", b)
	}

	// Suggestions.
	res, b = ed.do("GET", "/sources/"+src.ID+"/suggestions", "", "")
	expect(t, "suggestions", res, b, 200)
	var sug struct {
		Suggestions []struct {
			Exact      string `json:"exact"`
			Candidates []struct {
				Feature *string `json:"feature"`
			} `json:"candidates"`
		} `json:"suggestions"`
	}
	json.Unmarshal(b, &sug)
	for _, want := range []string{"Zangazur", "Nakhichevan", "Siunik"} {
		ok := false
		for _, s := range sug.Suggestions {
			ok = ok || strings.Contains(s.Exact, want) && len(s.Candidates) > 0
		}
		if !ok {
			t.Errorf("no suggestion for %q in %s", want, b)
		}
	}
	if res, _ := anon.do("GET", "/sources/"+src.ID+"/suggestions", "", ""); res.StatusCode != 404 {
		t.Errorf("an anonymous reader reads a draft source's suggestions: %d", res.StatusCode)
	}

	// A passage.
	pb, _ := json.Marshal(map[string]string{"exact": testQuote})
	res, b = ed.do("POST", "/sources/"+src.ID+"/passages", "application/json", string(pb))
	expect(t, "POST passages", res, b, 201)
	var pass struct {
		ID     string `json:"id"`
		Exact  string `json:"exact"`
		Prefix string `json:"prefix"`
		Start  int    `json:"start"`
		End    int    `json:"end"`
	}
	json.Unmarshal(b, &pass)
	if pass.ID == "" || pass.Exact != testQuote || pass.End-pass.Start != len([]rune(testQuote)) || pass.Prefix == "" {
		t.Fatalf("passage: %s", b)
	}
	res, b = ed.do("POST", "/sources/"+src.ID+"/passages", "application/json", `{"exact":"not in the article"}`)
	expect(t, "a quote not in the text", res, b, 422)

	// A feature, created with Part 4.
	res, _ = ed.do("OPTIONS", "/collections/corridors/items", "", "")
	if !strings.Contains(res.Header.Get("Allow"), "POST") {
		t.Fatalf("OPTIONS items for an editor: Allow %q", res.Header.Get("Allow"))
	}
	feature := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[46.24,38.90],[46.10,38.95]]},
	 "properties":{"name":"Test road via Meghri","status":"planned","claims":[{"passage":%q,"aspect":"existence","relation":"supports","basis":"explicit","confidence":"medium"}]}}`, pass.ID)
	res, b = ed.do("POST", "/collections/corridors/items", "application/geo+json", feature)
	expect(t, "Part 4 create", res, b, 201)
	loc := res.Header.Get("Location")
	if !strings.Contains(loc, "/collections/corridors/items/test-road-via-meghri") {
		t.Fatalf("Location %q", loc)
	}
	var created struct {
		Changeset int `json:"changeset"`
	}
	json.Unmarshal(b, &created)
	if created.Changeset != src.Changeset {
		t.Errorf("the feature landed in changeset %d, the source in %d", created.Changeset, src.Changeset)
	}
	item := "/collections/corridors/items/test-road-via-meghri"

	// The draft is invisible to readers, downloads and tiles.
	if res, _ := anon.do("GET", item, "", ""); res.StatusCode != 404 {
		t.Errorf("anonymous reader sees the draft: %d", res.StatusCode)
	}
	for _, path := range []string{"/collections/corridors/items", "/layers/corridors.geojson", "/sources", "/passages"} {
		if _, b := anon.do("GET", path, "", ""); strings.Contains(string(b), "Test road") || strings.Contains(string(b), pass.ID) {
			t.Errorf("%s shows the draft", path)
		}
	}
	if res, b := ed.do("GET", item, "", ""); res.StatusCode != 200 || !strings.Contains(string(b), `"draft":true`) {
		t.Errorf("the author does not see the draft: %d %s", res.StatusCode, b)
	}

	// Publishing: an editor may not; a reviewer makes one new version.
	cs := fmt.Sprintf("/changesets/%d", created.Changeset)
	res, b = ed.do("POST", cs+"/publish", "", "")
	expect(t, "editor publishing", res, b, 403)
	res, b = rev.do("POST", cs+"/publish", "application/json", `{"message":"Test road from a new article"}`)
	expect(t, "publish", res, b, 200)
	var pubd struct {
		Version int    `json:"version"`
		State   string `json:"state"`
	}
	json.Unmarshal(b, &pubd)
	if pubd.Version != v0+1 || pubd.State != "published" {
		t.Fatalf("published: %s (was version %d)", b, v0)
	}
	res, b = anon.do("GET", item, "", "")
	expect(t, "published feature", res, b, 200)
	if !strings.Contains(string(b), "Nakhichevan exclave") {
		t.Errorf("the published feature does not carry its quote: %s", b)
	}
	if res, _ := anon.do("GET", fmt.Sprintf("%s?v=%d", item, v0), "", ""); res.StatusCode != 404 {
		t.Errorf("version %d changed: the feature is there (%d)", v0, res.StatusCode)
	}
	if res, b := anon.do("GET", "/passages/"+pass.ID, "", ""); res.StatusCode != 200 || !strings.Contains(string(b), "test-road-via-meghri") {
		t.Errorf("the passage does not lead back to the feature: %d %s", res.StatusCode, b)
	}

	// A revert, then the history.
	res, b = rev.do("POST", cs+"/revert", "", "")
	expect(t, "revert", res, b, 201)
	if res, _ := anon.do("GET", item, "", ""); res.StatusCode != 404 {
		t.Errorf("reverted feature still served: %d", res.StatusCode)
	}
	if res, _ := anon.do("GET", fmt.Sprintf("%s?v=%d", item, pubd.Version), "", ""); res.StatusCode != 200 {
		t.Errorf("the published version changed after the revert: %d", res.StatusCode)
	}
	res, b = anon.do("GET", item+"/history", "", "")
	expect(t, "history", res, b, 200)
	var hist struct {
		Versions []struct {
			Version   int    `json:"version"`
			Publisher string `json:"publisher"`
			Message   string `json:"message"`
			Deleted   bool   `json:"deleted"`
		} `json:"versions"`
	}
	json.Unmarshal(b, &hist)
	if len(hist.Versions) != 2 || hist.Versions[0].Publisher != "rita" || hist.Versions[0].Message != "Test road from a new article" || !hist.Versions[1].Deleted {
		t.Errorf("history: %s", b)
	}
	res, b = anon.do("GET", "/changes?f=atom", "", "")
	if res.StatusCode != 200 || !bytes.Contains(b, []byte("Test road from a new article")) {
		t.Errorf("the Atom feed lacks the change: %s", b)
	}

	// An import handed to the running server: readers see the new version
	// without a restart.
	out, stderr, code = run(t, "import", "../../data/layers/events.geojson", "--db", db)
	if code != 0 || !strings.Contains(out, "through the running server") {
		t.Fatalf("import while serving: exit %d\n%s%s", code, out, stderr)
	}
	_, b = anon.do("GET", "/collections", "", "")
	json.Unmarshal(b, &cols)
	if cols.DataVersion <= pubd.Version+1 {
		t.Errorf("after the import the server reads version %d", cols.DataVersion)
	}

	// Pruning, handed to the running server too: the versions before the
	// publish go, the one kept stays readable, and so does the latest.
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
	out, stderr, code = run(t, "prune", "--before", tomorrow, "--keep", strconv.Itoa(pubd.Version), "--db", db)
	if code != 0 || !strings.Contains(out, "pruned ") || !strings.Contains(out, strconv.Itoa(v0)) {
		t.Fatalf("prune while serving: exit %d\n%s%s", code, out, stderr)
	}
	if res, _ := anon.do("GET", fmt.Sprintf("%s?v=%d", item, pubd.Version), "", ""); res.StatusCode != 200 {
		t.Errorf("the kept version %d is no longer readable: %d", pubd.Version, res.StatusCode)
	}
	if res, _ := anon.do("GET", fmt.Sprintf("/collections/corridors/items?v=%d", v0), "", ""); res.StatusCode != 404 {
		t.Errorf("pruned version %d is still read: %d", v0, res.StatusCode)
	}
	if res, b := anon.do("GET", "/collections/corridors/items", "", ""); res.StatusCode != 200 {
		t.Errorf("the latest version after pruning: %d %s", res.StatusCode, b)
	}

	// Revoking works while serving, at once.
	if _, stderr, code := run(t, "user", "revoke", "alice", "--db", db); code != 0 {
		t.Fatalf("user revoke: %s", stderr)
	}
	res, b = ed.do("POST", "/collections/corridors/items", "application/geo+json", feature)
	expect(t, "a revoked token", res, b, 401)

	srv.stop(t)
	if out, stderr, code := run(t, "check", "--db", db); code != 0 {
		t.Fatalf("check --db after the session: exit %d\n%s%s", code, out, stderr)
	}
	if _, err := os.Stat(socketPath(db)); !os.IsNotExist(err) {
		t.Errorf("the control socket outlives the server: %v", err)
	}
}
