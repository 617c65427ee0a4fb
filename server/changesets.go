package server

import (
	"encoding/xml"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/edit"
)

type changeJSON struct {
	Layer string `json:"layer"`
	ID    string `json:"id"`
	Op    string `json:"op"`
}

// stateSubmitted is the state an open changeset shows once its author has
// submitted it for review: its drafts and later writes behave as an open
// one's.
const stateSubmitted = "submitted"

// changesetState is the state a client sees.
func changesetState(cs layers.Changeset) string {
	if cs.State == layers.Open && !cs.Submitted.IsZero() {
		return stateSubmitted
	}
	return cs.State
}

type changesetJSON struct {
	ID         int          `json:"id"`
	Author     string       `json:"author"`
	Message    string       `json:"message"`
	State      string       `json:"state"`
	Created    time.Time    `json:"created"`
	Updated    time.Time    `json:"updated"`
	Publisher  string       `json:"publisher,omitempty"`
	Version    int          `json:"version,omitempty"`
	Submitted  *time.Time   `json:"submitted,omitempty"`
	Published  *time.Time   `json:"published,omitempty"`
	Reverts    int          `json:"reverts,omitempty"`
	RevertedBy int          `json:"reverted_by,omitempty"`
	Changes    []changeJSON `json:"changes"`
	Sources    []string     `json:"sources"`
	Passages   []string     `json:"passages"`
	// Passages a new source revision did not hold with confidence: they
	// stay on the old revision.
	NeedsReview []layers.ReviewFlag `json:"needs_review"`
	Links       []link              `json:"links"`
}

func changesetSummary(base string, cs layers.Changeset) changesetJSON {
	out := changesetJSON{ID: cs.ID, Author: cs.Author, Message: cs.Message, State: changesetState(cs), Created: cs.Created,
		Updated: cs.Updated, Publisher: cs.Publisher, Version: cs.Version, Reverts: cs.Reverts, RevertedBy: cs.RevertedBy,
		Changes: []changeJSON{}, Sources: []string{}, Passages: []string{}, NeedsReview: append([]layers.ReviewFlag{}, cs.NeedsReview...)}
	if !cs.Time.IsZero() {
		t := cs.Time
		out.Published = &t
	}
	if !cs.Submitted.IsZero() {
		t := cs.Submitted
		out.Submitted = &t
	}
	for _, e := range cs.Edits {
		out.Changes = append(out.Changes, changeJSON{e.Layer, e.ID, e.Op})
	}
	for _, s := range cs.Sources {
		out.Sources = append(out.Sources, s.ID)
	}
	for _, p := range cs.Passages {
		out.Passages = append(out.Passages, p.ID)
	}
	self := base + "/changesets/" + strconv.Itoa(cs.ID)
	out.Links = []link{{Href: self, Rel: "self", Type: mimeJSON}}
	if cs.Version > 0 {
		out.Links = append(out.Links, link{Href: base + "/collections?v=" + strconv.Itoa(cs.Version), Rel: "version-history", Type: mimeJSON, Title: "The data version it made"})
	}
	return out
}

// viewer is who reads: the anonymous reader when no credentials are sent.
func (s *Server) viewer(c *fiber.Ctx) (layers.User, error) {
	who, err := s.who(c)
	return who.user, err
}

// handleChangesets lists the changesets the caller may see: those submitted
// for review first, oldest submission first (the reviewer's queue), then
// the rest newest first. ?state= keeps one state.
func (s *Server) handleChangesets(c *fiber.Ctx) error {
	if err := allowParams(c, "state"); err != nil {
		return err
	}
	state := c.Query("state")
	switch state {
	case "", layers.Open, stateSubmitted, layers.Published, layers.Reverted:
	default:
		return badRequest("state=%s: a changeset is open, submitted, published or reverted", state)
	}
	u, err := s.viewer(c)
	if err != nil {
		return err
	}
	all, err := s.cfg.Editor.Changesets(c.UserContext(), u)
	if err != nil {
		return err
	}
	sort.SliceStable(all, func(i, j int) bool {
		si, sj := changesetState(all[i]) == stateSubmitted, changesetState(all[j]) == stateSubmitted
		if si && sj {
			return all[i].Submitted.Before(all[j].Submitted)
		}
		return si && !sj
	})
	base := s.baseURL(c)
	out := make([]changesetJSON, 0, len(all))
	for _, cs := range all {
		if state == "" || changesetState(cs) == state {
			out = append(out, changesetSummary(base, cs))
		}
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(fiber.Map{"changesets": out})
}

func changesetParam(c *fiber.Ctx) (int, error) {
	id, err := strconv.Atoi(param(c, "changeset"))
	if err != nil || id < 1 {
		return 0, layers.Errorf(layers.ENOTFOUND, "changeset %q does not exist", param(c, "changeset"))
	}
	return id, nil
}

func (s *Server) handleChangeset(c *fiber.Ctx) error {
	if err := allowParams(c); err != nil {
		return err
	}
	u, err := s.viewer(c)
	if err != nil {
		return err
	}
	id, err := changesetParam(c)
	if err != nil {
		return err
	}
	cs, err := s.cfg.Editor.Changeset(c.UserContext(), u, id)
	if err != nil {
		return err
	}
	diffs := make([]edit.Diff, 0, len(cs.Edits))
	for _, e := range cs.Edits {
		diffs = append(diffs, edit.DiffOf(e))
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(struct {
		changesetJSON
		Diff        []edit.Diff      `json:"diff"`
		NewSources  []sourceJSON     `json:"new_sources"`
		NewPassages []layers.Passage `json:"new_passages"`
	}{changesetSummary(s.baseURL(c), cs), diffs, draftSources(s.baseURL(c), cs), append([]layers.Passage{}, cs.Passages...)})
}

func draftSources(base string, cs layers.Changeset) []sourceJSON {
	out := []sourceJSON{}
	for _, src := range cs.Sources {
		out = append(out, sourceSummary(base, src, 0))
	}
	return out
}

// handleOpenChangeset returns the caller's open changeset, opening one, and
// sets its message.
func (s *Server) handleOpenChangeset(c *fiber.Ctx) error {
	u, err := s.require(c, layers.RoleEditor)
	if err != nil {
		return err
	}
	msg, err := messageOf(c)
	if err != nil {
		return err
	}
	cs, err := s.cfg.Editor.OpenChangeset(c.UserContext(), u, msg)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Location(s.baseURL(c) + "/changesets/" + strconv.Itoa(cs.ID))
	return c.JSON(changesetSummary(s.baseURL(c), cs))
}

// handleSubmit marks the caller's open changeset as ready for review.
func (s *Server) handleSubmit(c *fiber.Ctx) error {
	u, err := s.require(c, layers.RoleEditor)
	if err != nil {
		return err
	}
	id, err := changesetParam(c)
	if err != nil {
		return err
	}
	msg, err := messageOf(c)
	if err != nil {
		return err
	}
	cs, err := s.cfg.Editor.Submit(c.UserContext(), u, id, strings.TrimSpace(msg))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(changesetSummary(s.baseURL(c), cs))
}

func (s *Server) handlePublish(c *fiber.Ctx) error {
	u, err := s.require(c, layers.RoleReviewer)
	if err != nil {
		return err
	}
	id, err := changesetParam(c)
	if err != nil {
		return err
	}
	msg, err := messageOf(c)
	if err != nil {
		return err
	}
	cs, err := s.cfg.Editor.Publish(c.UserContext(), u, id, msg)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(changesetSummary(s.baseURL(c), cs))
}

func (s *Server) handleRevert(c *fiber.Ctx) error {
	u, err := s.require(c, layers.RoleReviewer)
	if err != nil {
		return err
	}
	id, err := changesetParam(c)
	if err != nil {
		return err
	}
	cs, err := s.cfg.Editor.Revert(c.UserContext(), u, id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(changesetSummary(s.baseURL(c), cs))
}

func (s *Server) handleHistory(c *fiber.Ctx) error {
	if err := allowParams(c); err != nil {
		return err
	}
	layer, id := param(c, "layer"), param(c, "feature")
	vs, err := s.cfg.Editor.History(c.UserContext(), layer, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"layer": layer, "id": id, "versions": vs})
}

// handleChanges is the feed of published changesets, newest first, as JSON
// or Atom (f=atom, or Accept: application/atom+xml).
func (s *Server) handleChanges(c *fiber.Ctx) error {
	if err := allowParams(c, "f"); err != nil {
		return err
	}
	atom := c.Query("f") == "atom" || (c.Query("f") == "" && strings.Contains(c.Get(fiber.HeaderAccept), "application/atom+xml"))
	if f := c.Query("f"); f != "" && f != "atom" && f != "json" {
		return badRequest("f=%s: the feed is f=json or f=atom", f)
	}
	all, err := s.cfg.Editor.Changes(c.UserContext())
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	if !atom {
		out := make([]changesetJSON, 0, len(all))
		for _, cs := range all {
			out = append(out, changesetSummary(base, cs))
		}
		return c.JSON(fiber.Map{"changes": out, "links": []link{
			{Href: base + "/changes", Rel: "self", Type: mimeJSON},
			{Href: base + "/changes?f=atom", Rel: "alternate", Type: "application/atom+xml"},
		}})
	}
	type atomLink struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr,omitempty"`
	}
	type entry struct {
		Title   string   `xml:"title"`
		ID      string   `xml:"id"`
		Updated string   `xml:"updated"`
		Author  string   `xml:"author>name"`
		Link    atomLink `xml:"link"`
		Summary string   `xml:"summary"`
	}
	feed := struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		Title   string   `xml:"title"`
		ID      string   `xml:"id"`
		Updated string   `xml:"updated"`
		Link    atomLink `xml:"link"`
		Entries []entry  `xml:"entry"`
	}{Title: "citemap: published changes", ID: base + "/changes", Link: atomLink{Href: base + "/changes?f=atom", Rel: "self"}}
	feed.Updated = time.Unix(0, 0).UTC().Format(time.RFC3339)
	for i, cs := range all {
		if i == 0 {
			feed.Updated = cs.Time.UTC().Format(time.RFC3339)
		}
		title := cs.Message
		if title == "" {
			title = "Changeset " + strconv.Itoa(cs.ID)
		}
		var what []string
		for _, e := range cs.Edits {
			what = append(what, e.Op+" "+e.Layer+"/"+e.ID)
		}
		feed.Entries = append(feed.Entries, entry{
			Title: title, ID: base + "/changesets/" + strconv.Itoa(cs.ID), Updated: cs.Time.UTC().Format(time.RFC3339),
			Author: cs.Author, Link: atomLink{Href: base + "/changesets/" + strconv.Itoa(cs.ID)},
			Summary: "Data version " + strconv.Itoa(cs.Version) + ", published by " + cs.Publisher + ": " + strings.Join(what, ", "),
		})
	}
	b, err := xml.Marshal(feed)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/atom+xml")
	return c.Send(append([]byte(xml.Header), b...))
}

// Sources and passages.

func (s *Server) handleCreateSource(c *fiber.Ctx) error {
	u, err := s.require(c, layers.RoleEditor)
	if err != nil {
		return err
	}
	if err := bodyOf(c, maxSourceBody, mimeJSON); err != nil {
		return err
	}
	var in edit.SourceInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	src, cs, err := s.cfg.Editor.AddSource(c.UserContext(), u, in)
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	c.Location(base + "/sources/" + src.ID)
	c.Set(fiber.HeaderCacheControl, "no-store")
	out := struct {
		sourceJSON
		Text      string `json:"text"`
		Changeset int    `json:"changeset"`
	}{sourceSummary(base, src, 0), src.Text, cs}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) handleCreatePassage(c *fiber.Ctx) error {
	u, err := s.require(c, layers.RoleEditor)
	if err != nil {
		return err
	}
	if err := bodyOf(c, maxFeatureBody, mimeJSON); err != nil {
		return err
	}
	var in edit.PassageInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p, cs, created, err := s.cfg.Editor.AddPassage(c.UserContext(), u, param(c, "source"), in)
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	c.Location(base + "/passages/" + p.ID)
	c.Set(fiber.HeaderCacheControl, "no-store")
	status := fiber.StatusCreated
	if !created {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(struct {
		layers.Passage
		Changeset int `json:"changeset"`
	}{p, cs})
}

func (s *Server) handleSuggestions(c *fiber.Ctx) error {
	if err := allowParams(c); err != nil {
		return err
	}
	u, err := s.viewer(c)
	if err != nil {
		return err
	}
	sugs, err := s.cfg.Editor.Suggestions(c.UserContext(), u, param(c, "source"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(fiber.Map{"source": param(c, "source"), "suggestions": sugs})
}

// handleRevision takes a corrected article as a new revision of a source.
func (s *Server) handleRevision(c *fiber.Ctx) error {
	u, err := s.require(c, layers.RoleEditor)
	if err != nil {
		return err
	}
	if err := bodyOf(c, maxSourceBody, mimeJSON); err != nil {
		return err
	}
	var in edit.SourceInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	rev, err := s.cfg.Editor.AddRevision(c.UserContext(), u, param(c, "source"), in)
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	c.Location(base + "/sources/" + rev.Source.ID)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(struct {
		sourceJSON
		Text        string            `json:"text"`
		Changeset   int               `json:"changeset"`
		Reanchored  []edit.Reanchored `json:"reanchored"`
		NeedsReview []edit.Review     `json:"needs_review"`
	}{sourceSummary(base, rev.Source, len(rev.Reanchored)), rev.Source.Text, rev.Changeset, rev.Reanchored, rev.NeedsReview})
}

// messageOf reads the optional {"message": ...} body that opening,
// submitting and publishing a changeset take; no body is no message.
func messageOf(c *fiber.Ctx) (string, error) {
	var in struct {
		Message string `json:"message"`
	}
	if len(c.Body()) == 0 {
		return "", nil
	}
	if err := bodyOf(c, maxFeatureBody, mimeJSON); err != nil {
		return "", err
	}
	if err := decodeJSON(c, &in); err != nil {
		return "", err
	}
	return in.Message, nil
}
