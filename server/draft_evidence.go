package server

import (
	"context"
	"sort"

	"github.com/citemap/citemap/layers"
)

// draftEvidence resolves a draft feature's claims as evidence resolves a
// published one's, for a user who may see the draft: its passages and
// sources may be drafts of the changeset too. Without it an editor's own
// feature panel would show no quote for a feature they have just cited.
func (s *Server) draftEvidence(ctx context.Context, u layers.User, changeset int, base string, f layers.Feature) ([]evidenceJSON, error) {
	cs, err := s.cfg.Editor.Changeset(ctx, u, changeset)
	if err != nil {
		return nil, err
	}
	drafts := make(map[string]layers.Passage, len(cs.Passages))
	for _, p := range cs.Passages {
		drafts[p.ID] = p
	}
	out := make([]evidenceJSON, 0, len(f.Claims))
	sources := map[string]layers.Source{}
	for _, c := range f.Claims {
		p, ok := drafts[c.Passage]
		if !ok {
			if p, err = s.store.Passage(ctx, c.Passage); err != nil {
				return nil, err
			}
		}
		src, ok := sources[p.Source]
		if !ok {
			if src, _, err = s.cfg.Editor.FindSource(ctx, u, p.Source); err != nil {
				return nil, err
			}
			sources[p.Source] = src
		}
		out = append(out, evidenceJSON{
			Passage: c.Passage, Aspect: c.Aspect, Relation: c.Relation, Basis: c.Basis, Confidence: c.Confidence, Note: c.Note,
			Exact: p.Exact, Prefix: p.Prefix, Suffix: p.Suffix, Start: p.Start, End: p.End,
			Source: evidenceSrc{
				ID: src.ID, Label: src.Label(), Title: src.Title, Publisher: src.Publisher,
				Author: src.Author, Published: src.Published, URL: src.URL,
			},
			Context: base + "/sources/" + src.ID + "#passage-" + p.ID,
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Basis != layers.Inferred && out[j].Basis == layers.Inferred
	})
	return out, nil
}
