package server

import (
	"context"

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
	passage := func(ctx context.Context, id string) (layers.Passage, error) {
		if p, ok := drafts[id]; ok {
			return p, nil
		}
		return s.store.Passage(ctx, id)
	}
	source := func(ctx context.Context, id string) (layers.Source, error) {
		src, _, err := s.cfg.Editor.FindSource(ctx, u, id)
		return src, err
	}
	return resolveEvidence(ctx, base, f.Claims, passage, source)
}
