package query_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/query"
)

// countingIndex counts the bodies a query reads whole, and refuses a scan
// of them.
type countingIndex struct {
	layers.Indexed
	bodies int
}

func (c *countingIndex) ReadIndex(ctx context.Context, id string, fn func(layers.LayerIndex) error) error {
	return c.Indexed.ReadIndex(ctx, id, func(li layers.LayerIndex) error {
		return fn(countingLayer{li, c})
	})
}

type countingLayer struct {
	layers.LayerIndex
	c *countingIndex
}

func (l countingLayer) Body(id string) (layers.Body, bool, error) {
	l.c.bodies++
	return l.LayerIndex.Body(id)
}

func (l countingLayer) Scan(string, func(layers.Body) bool) error {
	return fmt.Errorf("a scan of every body")
}

// Without a bbox, a filter, the count and an offset read each feature's
// attributes; only the page's features are read whole, whatever the
// layer's size.
func TestItemsReadOnlyThePagesBodies(t *testing.T) {
	ctx := context.Background()
	s := overlayStore(t)
	cases := []struct {
		name          string
		q             layers.Query
		page          query.Page
		matched, read int
		first         string
	}{
		{"a filter", layers.Query{Equals: map[string]string{"status": "b"}}, query.Page{Offset: 0, Limit: 3}, 80, 3, "p000"},
		{"a filter, deep", layers.Query{Equals: map[string]string{"status": "b"}}, query.Page{Offset: 70, Limit: 20}, 80, 10, "p210"},
		{"an offset", layers.Query{}, query.Page{Offset: 200, Limit: 5}, 240, 5, "p200"},
		{"past the end", layers.Query{}, query.Page{Offset: 300, Limit: 5}, 240, 0, ""},
		{"no match", layers.Query{Equals: map[string]string{"status": "c"}}, query.Page{Offset: 0, Limit: 5}, 0, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ix := &countingIndex{Indexed: s}
			var got []string
			plan := func(query.Result) (layers.Query, query.Page, error) { return tc.q, tc.page, nil }
			res, err := query.Items(ctx, ix, "pts", plan, func(b layers.Body) error {
				if len(b.Geometry) == 0 || len(b.WKB) == 0 {
					t.Errorf("%s: a page's feature without its geometry", b.ID)
				}
				got = append(got, b.ID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			first := ""
			if len(got) > 0 {
				first = got[0]
			}
			if res.Matched != tc.matched || len(got) != tc.read || first != tc.first || ix.bodies != tc.read {
				t.Errorf("matched %d, page %v, %d bodies read; want %d matched, %d from %q, as many read", res.Matched, got, ix.bodies, tc.matched, tc.read, tc.first)
			}
		})
	}
}
