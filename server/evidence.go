package server

import (
	"context"
	"sort"

	"github.com/citemap/citemap/layers"
)

// evidenceJSON is one claim on a feature with the passage it cites and the
// source it comes from: what a reader sees when opening the feature.
type evidenceJSON struct {
	Passage    string      `json:"passage"`
	Aspect     string      `json:"aspect"`
	Relation   string      `json:"relation"`
	Basis      string      `json:"basis"` // explicit, or inferred (Note says how)
	Confidence string      `json:"confidence,omitempty"`
	Note       string      `json:"note,omitempty"`
	Exact      string      `json:"exact"`
	Prefix     string      `json:"prefix"`
	Suffix     string      `json:"suffix"`
	Start      int         `json:"start"`
	End        int         `json:"end"`
	Source     evidenceSrc `json:"source"`
	Context    string      `json:"context_href"`
}

type evidenceSrc struct {
	ID        string `json:"id"`
	Label     string `json:"label"`
	Title     string `json:"title"`
	Publisher string `json:"publisher"`
	Author    string `json:"author"`
	Published string `json:"published"`
	URL       string `json:"url"`
}

// evidence resolves every claim of f to its passage and source in r.
func (s *Server) evidence(ctx context.Context, r layers.Reader, base string, f layers.Feature) ([]evidenceJSON, error) {
	return resolveEvidence(ctx, base, f.Claims, r.Passage, r.Source)
}

// resolveEvidence resolves claims to their passages and sources, found
// with passage and source, explicit claims first (a reader meets what the
// passages state before what is inferred from them), otherwise in the
// feature's order.
func resolveEvidence(ctx context.Context, base string, claims []layers.Claim,
	passage func(context.Context, string) (layers.Passage, error),
	source func(context.Context, string) (layers.Source, error)) ([]evidenceJSON, error) {
	out := make([]evidenceJSON, 0, len(claims))
	sources := map[string]layers.Source{}
	for _, c := range claims {
		p, err := passage(ctx, c.Passage)
		if err != nil {
			return nil, err
		}
		src, ok := sources[p.Source]
		if !ok {
			if src, err = source(ctx, p.Source); err != nil {
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
