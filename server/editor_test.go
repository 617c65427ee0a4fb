package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The browser editor adds a claim to a published feature by reading the
// item (whose claims come back as evidence, each with its quote) and
// PATCHing properties.claims with those claims and the new one. This pins
// that contract: the claims rebuilt from the evidence are the feature's
// claims exactly, so the diff shows one claim added and none removed, and
// the diff's geometries are GeoJSON objects the editor can draw.
func TestEditorClaimFromEvidence(t *testing.T) {
	env := newWriteServer(t, Config{})
	s := env.s
	ed := with(bearer(env.editor), "Content-Type", "application/json")

	res, b := send(t, s, "POST", "/sources", `{"title":"Road survey","text":"In Gyumri, the commander said the base would keep its strength."}`, ed...)
	if res.StatusCode != 201 {
		t.Fatalf("source: %d %s", res.StatusCode, b)
	}
	src := decode(t, b)["id"].(string)
	res, b = send(t, s, "POST", "/sources/"+src+"/passages", `{"start":0,"end":63}`, ed...)
	if res.StatusCode != 201 {
		t.Fatalf("passage: %d %s", res.StatusCode, b)
	}
	passage := decode(t, b)["id"].(string)

	var item struct {
		Evidence []map[string]any `json:"evidence"`
	}
	if err := json.Unmarshal(mustBody(t, s, "/collections/bases/items/gyumri-102nd-base?f=json"), &item); err != nil {
		t.Fatal(err)
	}
	if len(item.Evidence) == 0 {
		t.Fatal("the published item has no evidence to rebuild claims from")
	}
	// What frontend/src/editor/cite.js currentClaims does.
	var claims []map[string]any
	for _, e := range item.Evidence {
		c := map[string]any{"passage": e["passage"], "aspect": e["aspect"], "relation": e["relation"]}
		for _, k := range []string{"basis", "confidence", "note"} {
			if v, _ := e[k].(string); v != "" {
				c[k] = v
			}
		}
		claims = append(claims, c)
	}
	claims = append(claims, map[string]any{"passage": passage, "aspect": "status", "relation": "supports", "basis": "explicit", "confidence": "high"})
	patch, _ := json.Marshal(map[string]any{"properties": map[string]any{"claims": claims}})
	res, b = send(t, s, "PATCH", "/collections/bases/items/gyumri-102nd-base", string(patch), with(bearer(env.editor), "Content-Type", "application/merge-patch+json")...)
	if res.StatusCode != 200 {
		t.Fatalf("patch: %d %s", res.StatusCode, b)
	}
	cs := int(decode(t, b)["changeset"].(float64))

	// The author's view of the draft carries its evidence, the new quote
	// (a draft passage of a draft source) included, as a published item does.
	var draft struct {
		Draft    bool             `json:"draft"`
		Evidence []map[string]any `json:"evidence"`
	}
	if err := json.Unmarshal(mustBodyAs(t, s, "/collections/bases/items/gyumri-102nd-base?f=json", env.editor), &draft); err != nil {
		t.Fatal(err)
	}
	if !draft.Draft || len(draft.Evidence) != len(claims) {
		t.Fatalf("draft item: draft %v, %d evidence for %d claims", draft.Draft, len(draft.Evidence), len(claims))
	}
	last := draft.Evidence[len(draft.Evidence)-1]
	if last["passage"] != passage || last["exact"] != "In Gyumri, the commander said the base would keep its strength." || last["source"].(map[string]any)["title"] != "Road survey" {
		t.Errorf("the draft's new quote resolves to %v", last)
	}

	var got struct {
		Diff []struct {
			Op             string           `json:"op"`
			GeometryBefore map[string]any   `json:"geometry_before"`
			GeometryAfter  map[string]any   `json:"geometry_after"`
			ClaimsAdded    []map[string]any `json:"claims_added"`
			ClaimsRemoved  []map[string]any `json:"claims_removed"`
		} `json:"diff"`
	}
	_, b = send(t, s, "GET", fmt.Sprintf("/changesets/%d", cs), "", bearer(env.editor)...)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if len(got.Diff) != 1 {
		t.Fatalf("diff: %s", b)
	}
	d := got.Diff[0]
	if d.Op != "replace" || len(d.ClaimsAdded) != 1 || d.ClaimsAdded[0]["passage"] != passage || len(d.ClaimsRemoved) != 0 {
		t.Errorf("rebuilding the claims from the evidence changed them: added %v, removed %v", d.ClaimsAdded, d.ClaimsRemoved)
	}
	if d.GeometryBefore["type"] != "Point" || d.GeometryAfter["type"] != "Point" {
		t.Errorf("diff geometries are not GeoJSON objects: %v / %v", d.GeometryBefore, d.GeometryAfter)
	}

	// Published, the feature carries the new quote; the diff adds it.
	res, b = send(t, s, "POST", fmt.Sprintf("/changesets/%d/publish", cs), `{"message":"Gyumri garrison"}`, with(bearer(env.reviewr), "Content-Type", "application/json")...)
	if res.StatusCode != 200 {
		t.Fatalf("publish: %d %s", res.StatusCode, b)
	}
	if body := string(mustBody(t, s, "/collections/bases/items/gyumri-102nd-base?f=json")); !strings.Contains(body, "the commander said the base would keep its strength") {
		t.Errorf("the published item lacks the new quote: %s", body)
	}
}

// mustBodyAs GETs path with tok's credentials, failing on anything but 200.
func mustBodyAs(t *testing.T, s *Server, path, tok string) []byte {
	t.Helper()
	res, b := send(t, s, "GET", path, "", bearer(tok)...)
	if res.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, res.StatusCode, b)
	}
	return b
}

// "Submit for review" is a state: the author submits an open changeset
// with a message, reviewers find it first in their list (or alone with
// ?state=submitted), and it publishes as an open one does.
func TestChangesetSubmit(t *testing.T) {
	env := newWriteServer(t, Config{})
	s := env.s
	js := func(tok string) []string { return with(bearer(tok), "Content-Type", "application/json") }

	// ed2 opens an empty changeset; ed writes a source into another.
	res, b := send(t, s, "POST", "/changesets", `{"message":"nothing yet"}`, js(env.editor2)...)
	if res.StatusCode != 200 {
		t.Fatalf("open: %d %s", res.StatusCode, b)
	}
	empty := int(decode(t, b)["id"].(float64))
	res, b = send(t, s, "POST", "/sources", `{"title":"Road survey","text":"In Gyumri, the commander said the base would keep its strength."}`, js(env.editor)...)
	if res.StatusCode != 201 {
		t.Fatalf("source: %d %s", res.StatusCode, b)
	}
	cs := int(decode(t, b)["changeset"].(float64))
	submit := func(id int, body, tok string) (int, map[string]any) {
		t.Helper()
		res, b := send(t, s, "POST", fmt.Sprintf("/changesets/%d/submit", id), body, js(tok)...)
		return res.StatusCode, decode(t, b)
	}

	for _, tc := range []struct {
		name, body, tok string
		id, status      int
		detail          string
	}{
		{"no message", `{}`, env.editor, cs, 422, "no message"},
		{"empty", `{"message":"x"}`, env.editor2, empty, 422, "empty"},
		{"not the author", `{"message":"x"}`, env.reviewr, cs, 403, "only its author"},
		{"not visible", `{"message":"x"}`, env.editor2, cs, 404, "does not exist"},
		{"bad json", `{"message":`, env.editor, cs, 400, ""},
	} {
		got, p := submit(tc.id, tc.body, tc.tok)
		if got != tc.status || !strings.Contains(fmt.Sprint(p["detail"]), tc.detail) {
			t.Errorf("%s: %d %v, want %d naming %q", tc.name, got, p, tc.status, tc.detail)
		}
	}
	state := func(tok, query string) []string {
		t.Helper()
		var out struct {
			Changesets []struct {
				ID    int    `json:"id"`
				State string `json:"state"`
			} `json:"changesets"`
		}
		if err := json.Unmarshal(mustBodyAs(t, s, "/changesets"+query, tok), &out); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range out.Changesets {
			ids = append(ids, fmt.Sprintf("%d:%s", c.ID, c.State))
		}
		return ids
	}
	if got := fmt.Sprint(state(env.reviewr, "")); strings.Contains(got, "submitted") {
		t.Fatalf("a refused submit changed the state: %s", got)
	}

	got, p := submit(cs, `{"message":"Gyumri garrison survey"}`, env.editor)
	if got != 200 || p["state"] != "submitted" || p["submitted"] == nil || p["message"] != "Gyumri garrison survey" {
		t.Fatalf("submit: %d %v", got, p)
	}
	// Newest first would put ed2's (made first, id lower) … the submitted one leads.
	all := state(env.reviewr, "")
	if len(all) < 2 || all[0] != fmt.Sprintf("%d:submitted", cs) {
		t.Errorf("reviewer's list: %v, want changeset %d submitted first", all, cs)
	}
	if got := state(env.reviewr, "?state=submitted"); fmt.Sprint(got) != fmt.Sprintf("[%d:submitted]", cs) {
		t.Errorf("?state=submitted: %v", got)
	}
	if got := state(env.reviewr, "?state=open"); fmt.Sprint(got) != fmt.Sprintf("[%d:open]", empty) {
		t.Errorf("?state=open: %v", got)
	}
	if res, b := send(t, s, "GET", "/changesets?state=waiting", "", bearer(env.reviewr)...); res.StatusCode != 400 || !strings.Contains(string(b), "submitted") {
		t.Errorf("?state=waiting: %d %s", res.StatusCode, b)
	}
	// The author's later writes still join it; it publishes as an open one.
	res, b = send(t, s, "POST", "/changesets", ``, bearer(env.editor)...)
	if res.StatusCode != 200 || int(decode(t, b)["id"].(float64)) != cs {
		t.Errorf("the author's open changeset after submitting: %d %s", res.StatusCode, b)
	}
	res, b = send(t, s, "POST", fmt.Sprintf("/changesets/%d/publish", cs), ``, bearer(env.reviewr)...)
	if res.StatusCode != 200 || decode(t, b)["state"] != "published" {
		t.Fatalf("publish: %d %s", res.StatusCode, b)
	}
	if got, p := submit(cs, `{"message":"again"}`, env.editor); got != 409 {
		t.Errorf("submitting a published changeset: %d %v", got, p)
	}
}

// A changeset that added a claim to a published feature (as the browser
// editor does: the claims rebuilt from the evidence, the new one last) can
// be reverted: the store keeps claims in its own order, which is no change.
func TestRevertClaimAdded(t *testing.T) {
	env := newWriteServer(t, Config{})
	s := env.s
	ed := with(bearer(env.editor), "Content-Type", "application/json")
	_, b := send(t, s, "POST", "/sources", `{"title":"Road survey","text":"In Gyumri, the commander said the base would keep its strength."}`, ed...)
	src := decode(t, b)["id"].(string)
	_, b = send(t, s, "POST", "/sources/"+src+"/passages", `{"start":0,"end":63}`, ed...)
	passage := decode(t, b)["id"].(string)
	var item struct {
		Evidence []map[string]any `json:"evidence"`
	}
	if err := json.Unmarshal(mustBody(t, s, "/collections/bases/items/gyumri-102nd-base?f=json"), &item); err != nil {
		t.Fatal(err)
	}
	var claims []map[string]any
	for _, e := range item.Evidence {
		c := map[string]any{"passage": e["passage"], "aspect": e["aspect"], "relation": e["relation"]}
		for _, k := range []string{"basis", "confidence", "note"} {
			if v, _ := e[k].(string); v != "" {
				c[k] = v
			}
		}
		claims = append(claims, c)
	}
	claims = append(claims, map[string]any{"passage": passage, "aspect": "status", "relation": "supports", "basis": "explicit", "confidence": "high"})
	patch, _ := json.Marshal(map[string]any{"properties": map[string]any{"claims": claims}})
	res, b := send(t, s, "PATCH", "/collections/bases/items/gyumri-102nd-base", string(patch), with(bearer(env.editor), "Content-Type", "application/merge-patch+json")...)
	if res.StatusCode != 200 {
		t.Fatalf("patch: %d %s", res.StatusCode, b)
	}
	cs := int(decode(t, b)["changeset"].(float64))
	if res, b := send(t, s, "POST", fmt.Sprintf("/changesets/%d/publish", cs), `{"message":"m"}`, with(bearer(env.reviewr), "Content-Type", "application/json")...); res.StatusCode != 200 {
		t.Fatalf("publish: %d %s", res.StatusCode, b)
	}
	res, b = send(t, s, "POST", fmt.Sprintf("/changesets/%d/revert", cs), ``, bearer(env.reviewr)...)
	if res.StatusCode != 201 {
		t.Fatalf("revert: %d %s", res.StatusCode, b)
	}
	if body := string(mustBody(t, s, "/collections/bases/items/gyumri-102nd-base?f=json")); strings.Contains(body, "the commander said") {
		t.Errorf("the reverted quote is still there: %s", body)
	}
}
