package server

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/edit"
	"github.com/citemap/citemap/layers/query"
)

// Body limits: a feature or a passage is small; an article's HTML is not.
const (
	maxFeatureBody = 1 << 20
	maxSourceBody  = 8 << 20
)

const mimeMergePatch = "application/merge-patch+json"

// writeRoute reports whether method on path is one of the write API's
// routes: those answer 401 without credentials rather than 405.
func writeRoute(method, path string) bool {
	p := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(p) == 3 && p[0] == "collections" && p[2] == "items":
		return method == fiber.MethodPost
	case len(p) == 4 && p[0] == "collections" && p[2] == "items":
		return method == fiber.MethodPut || method == fiber.MethodPatch || method == fiber.MethodDelete
	case len(p) == 1 && p[0] == "session":
		return method == fiber.MethodPost || method == fiber.MethodDelete
	case len(p) == 1 && (p[0] == "sources" || p[0] == "changesets" || p[0] == "users"):
		return method == fiber.MethodPost
	case len(p) == 2 && p[0] == "users":
		return method == fiber.MethodDelete
	case len(p) == 3 && p[0] == "sources" && (p[2] == "passages" || p[2] == "revisions"):
		return method == fiber.MethodPost
	case len(p) == 3 && p[0] == "changesets" && (p[2] == "submit" || p[2] == "publish" || p[2] == "revert"):
		return method == fiber.MethodPost
	}
	return false
}

// itemsAllow is the Allow header of an items path for this caller: what
// QGIS reads to decide whether a layer is editable.
func (s *Server) itemsAllow(c *fiber.Ctx) (string, bool) {
	p := strings.Split(strings.Trim(c.Path(), "/"), "/")
	if len(p) < 3 || p[0] != "collections" || p[2] != "items" || len(p) > 4 {
		return "", false
	}
	allow := "GET, HEAD, OPTIONS"
	if who, err := s.who(c); err == nil && who.user.Can(layers.RoleEditor) && s.cfg.Editor != nil {
		if len(p) == 3 {
			allow += ", POST"
		} else {
			allow += ", PUT, PATCH, DELETE"
		}
	}
	return allow, true
}

// decodeJSON reads a JSON body, naming the line and column of a mistake.
func decodeJSON(c *fiber.Ctx, v any) error {
	body := c.Body()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return badRequest("%s", layers.JSONProblem(body, err))
	}
	if dec.More() {
		return badRequest("the body holds more than one JSON value")
	}
	return nil
}

// identityBody refuses a body sent with a content coding (415, RFC 9110
// 15.5.16): Fiber would inflate a gzip body with no bound before any limit
// is checked, so a small compressed body could take gigabytes of memory.
func identityBody(c *fiber.Ctx) error {
	if ce := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding)); ce != "" && !strings.EqualFold(ce, "identity") {
		c.Set(fiber.HeaderAcceptEncoding, "identity")
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "Content-Encoding "+strconv.Quote(ce)+" is not accepted: send the body uncompressed (at most "+strconv.Itoa(maxSourceBody>>20)+" MiB)")
	}
	return nil
}

// bodyOf checks the body's media type against those a route takes
// (415 otherwise) and its size (413).
func bodyOf(c *fiber.Ctx, limit int, types ...string) error {
	if n := len(c.Body()); n > limit {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, "the body is "+strconv.Itoa(n)+" bytes; the limit here is "+strconv.Itoa(limit))
	}
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err == nil {
		for _, t := range types {
			if mt == t {
				return nil
			}
		}
	}
	return fiber.NewError(fiber.StatusUnsupportedMediaType, "Content-Type must be "+strings.Join(types, " or ")+", not "+strconv.Quote(c.Get(fiber.HeaderContentType)))
}

// decodeFeatureBody reads a GeoJSON Feature body.
func decodeFeatureBody(c *fiber.Ctx, layer string) (layers.Feature, error) {
	if err := bodyOf(c, maxFeatureBody, mimeGeoJSON, mimeJSON); err != nil {
		return layers.Feature{}, err
	}
	var probe any
	if err := decodeJSON(c, &probe); err != nil {
		return layers.Feature{}, err
	}
	if m, ok := probe.(map[string]any); ok && m["id"] == nil {
		// A new feature may come without an id: one is made from its name.
		m["id"] = ""
		b, _ := json.Marshal(m)
		return layers.DecodeFeature(layer, b)
	}
	return layers.DecodeFeature(layer, c.Body())
}

// sendWrite answers a feature write: the feature, its ETag and the
// changeset it landed in.
func (s *Server) sendWrite(c *fiber.Ctx, status int, r edit.Result) error {
	base := s.baseURL(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Append(fiber.HeaderLink, `<`+base+`/changesets/`+strconv.Itoa(r.Changeset)+`>; rel="changeset"`)
	if r.Feature == nil {
		return c.Status(status).JSON(fiber.Map{"changeset": r.Changeset})
	}
	b, err := r.Feature.MarshalGeoJSON()
	if err != nil {
		return err
	}
	b = append(b[:len(b)-1], `,"changeset":`+strconv.Itoa(r.Changeset)+`}`...)
	c.Set(fiber.HeaderETag, `"`+r.Tag+`"`)
	c.Set(fiber.HeaderContentType, mimeGeoJSON)
	return c.Status(status).Send(b)
}

func (s *Server) itemURL(c *fiber.Ctx, layer, id string) string {
	return s.baseURL(c) + "/collections/" + layer + "/items/" + url.PathEscape(id)
}

func (s *Server) handleCreateItem(c *fiber.Ctx) error {
	u, err := s.require(c, layers.RoleEditor)
	if err != nil {
		return err
	}
	layer := param(c, "layer")
	f, err := decodeFeatureBody(c, layer)
	if err != nil {
		return err
	}
	r, err := s.cfg.Editor.Create(c.UserContext(), u, layer, f)
	if err != nil {
		return err
	}
	c.Location(s.itemURL(c, layer, r.Feature.ID))
	return s.sendWrite(c, fiber.StatusCreated, r)
}

func (s *Server) handleReplaceItem(c *fiber.Ctx) error {
	u, err := s.require(c, layers.RoleEditor)
	if err != nil {
		return err
	}
	layer, id := param(c, "layer"), param(c, "feature")
	f, err := decodeFeatureBody(c, layer)
	if err != nil {
		return err
	}
	r, err := s.cfg.Editor.Replace(c.UserContext(), u, layer, id, f, c.Get(fiber.HeaderIfMatch))
	if err != nil {
		return err
	}
	return s.sendWrite(c, fiber.StatusOK, r)
}

func (s *Server) handlePatchItem(c *fiber.Ctx) error {
	u, err := s.require(c, layers.RoleEditor)
	if err != nil {
		return err
	}
	if err := bodyOf(c, maxFeatureBody, mimeMergePatch); err != nil {
		return err
	}
	var probe any
	if err := decodeJSON(c, &probe); err != nil {
		return err
	}
	r, err := s.cfg.Editor.Patch(c.UserContext(), u, param(c, "layer"), param(c, "feature"), c.Body(), c.Get(fiber.HeaderIfMatch))
	if err != nil {
		return err
	}
	return s.sendWrite(c, fiber.StatusOK, r)
}

func (s *Server) handleDeleteItem(c *fiber.Ctx) error {
	u, err := s.require(c, layers.RoleEditor)
	if err != nil {
		return err
	}
	r, err := s.cfg.Editor.Delete(c.UserContext(), u, param(c, "layer"), param(c, "feature"), c.Get(fiber.HeaderIfMatch))
	if err != nil {
		return err
	}
	return s.sendWrite(c, fiber.StatusOK, r)
}

// draftItem answers GET of a feature for a caller who may see a draft of
// it; ok is false when the published feature is what they see.
func (s *Server) draftItem(c *fiber.Ctx) (bool, error) {
	if s.cfg.Editor == nil || (c.Get(fiber.HeaderAuthorization) == "" && c.Cookies(sessionCookie) == "") || c.Query("v") != "" {
		return false, nil
	}
	who, err := s.who(c)
	if err != nil || who.user.Name == "" {
		return false, err
	}
	h, err := s.cfg.Editor.Head(c.UserContext(), who.user, param(c, "layer"), param(c, "feature"))
	if err != nil || h.Draft == 0 {
		return false, err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderVary, "Authorization, Cookie")
	if h.Feature == nil {
		return true, layers.Errorf(layers.ENOTFOUND, "feature %q is deleted in changeset %d", param(c, "feature"), h.Draft)
	}
	b, err := h.Feature.MarshalGeoJSON()
	if err != nil {
		return true, err
	}
	ev, err := s.draftEvidence(c.UserContext(), who.user, h.Draft, s.baseURL(c), *h.Feature)
	if err != nil {
		return true, err
	}
	eb, err := json.Marshal(ev)
	if err != nil {
		return true, err
	}
	b = append(b[:len(b)-1], `,"changeset":`+strconv.Itoa(h.Draft)+`,"draft":true,"evidence":`...)
	b = append(append(b, eb...), '}')
	c.Set(fiber.HeaderETag, `"`+h.Tag+`"`)
	c.Set(fiber.HeaderContentType, mimeGeoJSON)
	return true, c.Send(b)
}

// param is a path parameter copied out of the request's buffer: Fiber
// reuses that buffer, and the write side keeps what it is given.
func param(c *fiber.Ctx, name string) string { return strings.Clone(c.Params(name)) }

// draftSource answers GET /sources/{id} for a source still in a changeset,
// to those who may see it: 404 to anyone else, as if it did not exist.
func (s *Server) draftSource(c *fiber.Ctx) error {
	u, err := s.viewer(c)
	if err != nil {
		return err
	}
	id := param(c, "source")
	src, cs, err := s.cfg.Editor.FindSource(c.UserContext(), u, id)
	if err != nil {
		return err
	}
	changeset, err := s.cfg.Editor.Changeset(c.UserContext(), u, cs)
	if err != nil {
		return err
	}
	ps := []layers.Passage{}
	for _, p := range changeset.Passages {
		if p.Source == id {
			ps = append(ps, p)
		}
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(struct {
		sourceJSON
		Text      string           `json:"text"`
		Passages  []layers.Passage `json:"passages"`
		Changeset int              `json:"changeset"`
		Draft     bool             `json:"draft"`
	}{sourceSummary(s.baseURL(c), src, len(ps)), src.Text, ps, cs, true})
}

type userJSON struct {
	Name    string     `json:"name"`
	Role    string     `json:"role"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
}

func userOut(u layers.User) userJSON {
	out := userJSON{Name: u.Name, Role: u.Role, Created: u.Created}
	if !u.Active() {
		t := u.Revoked
		out.Revoked = &t
	}
	return out
}

// handleUsers lists users (admin).
func (s *Server) handleUsers(c *fiber.Ctx) error {
	if _, err := s.require(c, layers.RoleAdmin); err != nil {
		return err
	}
	us, err := s.cfg.Editor.ListUsers(c.UserContext())
	if err != nil {
		return err
	}
	out := []userJSON{}
	for _, u := range us {
		out = append(out, userOut(u))
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"users": out})
}

// handleAddUser creates a user (admin) and answers its token, once.
func (s *Server) handleAddUser(c *fiber.Ctx) error {
	if _, err := s.require(c, layers.RoleAdmin); err != nil {
		return err
	}
	if err := bodyOf(c, maxFeatureBody, mimeJSON); err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, token, err := s.cfg.Editor.AddUser(c.UserContext(), in.Name, in.Role)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(struct {
		userJSON
		Token string `json:"token"`
	}{userOut(u), token})
}

// handleRevokeUser stops a user's token and sessions (admin).
func (s *Server) handleRevokeUser(c *fiber.Ctx) error {
	if _, err := s.require(c, layers.RoleAdmin); err != nil {
		return err
	}
	if err := s.cfg.Editor.RevokeUser(c.UserContext(), param(c, "user")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// mayHaveDrafts reports whether the request may see drafts: it carries
// credentials to a server that takes edits, and pins no version.
func (s *Server) mayHaveDrafts(c *fiber.Ctx) bool {
	return s.cfg.Editor != nil && (c.Get(fiber.HeaderAuthorization) != "" || c.Cookies(sessionCookie) != "") && c.Query("v") == ""
}

// draftOverlay is what the drafts the caller may see change in layer l, or
// nil when there are none (or no caller, or a pinned version). It holds the
// drafts' features alone, not the layer's.
func (s *Server) draftOverlay(c *fiber.Ctx, l layers.Layer) (*query.Overlay, error) {
	if !s.mayHaveDrafts(c) {
		return nil, nil
	}
	who, err := s.who(c)
	if err != nil {
		return nil, err
	}
	ctx := c.UserContext()
	edits, draftPassages, err := s.cfg.Editor.Drafts(ctx, who.user, l.ID)
	if err != nil || len(edits) == 0 {
		return nil, err
	}
	ps, err := layers.PassageSources(ctx, s.store)
	if err != nil {
		return nil, err
	}
	for p, src := range draftPassages {
		ps[p] = src
	}
	return query.NewOverlay(l, edits, ps)
}

// overlaid is sn, a layer decoded whole, with ov applied: for a reader
// without an index, which decodes the layer anyway.
func overlaid(sn *layers.Snapshot, ov *query.Overlay) (*layers.Snapshot, error) {
	out := make([]layers.Feature, 0, len(sn.Features)+len(ov.Snapshot.Features))
	for _, f := range sn.Features {
		if !ov.Hidden[f.ID] {
			out = append(out, f)
		}
	}
	out = append(out, ov.Snapshot.Features...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	l := sn.Layer
	l.Revision += "+drafts"
	l.Count = len(out)
	return layers.NewSnapshot(l, out, ov.Sources)
}
