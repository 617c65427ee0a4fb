package query

import (
	"bytes"
	"encoding/json"
	"net/url"

	"github.com/citemap/citemap/layers"
)

// The GeoJSON the items and feature responses send is written here, from
// stored bodies or from a snapshot alike, so both send the same bytes.

// MIME types of the links a feature carries.
const (
	MIMEGeoJSON = "application/geo+json"
	MIMEHTML    = "text/html"
	MIMEJSON    = "application/json"
)

// WriteFeature appends b as a GeoJSON feature: its geometry and (unless
// props chooses some) its properties as stored, then links: itself, its
// collection, and each passage behind it (rel describedby), under base.
func WriteFeature(buf *bytes.Buffer, layer string, b layers.Body, props []string, base string) error {
	buf.WriteString(`{"type":"Feature","id":`)
	WriteString(buf, b.ID)
	buf.WriteString(`,"geometry":`)
	buf.Write(b.Geometry)
	buf.WriteString(`,"properties":`)
	if props == nil {
		buf.Write(b.Properties)
	} else {
		var all map[string]any
		if err := json.Unmarshal(b.Properties, &all); err != nil {
			return err
		}
		p := make(map[string]any, len(props))
		for _, k := range props {
			if v, ok := all[k]; ok {
				p[k] = v
			}
		}
		pb, err := json.Marshal(p)
		if err != nil {
			return err
		}
		buf.Write(pb)
	}
	buf.WriteString(`,"links":`)
	WriteLinks(buf, FeatureLinks(base, layer, b.ID, b.Passages))
	buf.WriteByte('}')
	return nil
}

// FeatureLinks are a feature's own links: itself, its collection, and each
// passage that is evidence for it, in the order given, once each.
func FeatureLinks(base, layer, id string, passages []string) []layers.Link {
	self := base + "/collections/" + layer + "/items/" + url.PathEscape(id)
	links := []layers.Link{
		{Href: self + "?f=json", Rel: "self", Type: MIMEGeoJSON},
		{Href: self + "?f=html", Rel: "alternate", Type: MIMEHTML},
		{Href: base + "/collections/" + layer, Rel: "collection", Type: MIMEJSON},
	}
	seen := map[string]bool{}
	for _, p := range passages {
		if seen[p] {
			continue
		}
		seen[p] = true
		links = append(links, layers.Link{Href: base + "/passages/" + p + "?f=json", Rel: "describedby", Type: MIMEJSON, Title: "Evidence: passage " + p})
	}
	return links
}

// WriteLinks appends links as JSON, cheaper than encoding/json's reflection
// on the hot path of items pages.
func WriteLinks(buf *bytes.Buffer, links []layers.Link) {
	buf.WriteByte('[')
	for n, l := range links {
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"href":`)
		WriteString(buf, l.Href)
		buf.WriteString(`,"rel":`)
		WriteString(buf, l.Rel)
		if l.Type != "" {
			buf.WriteString(`,"type":`)
			WriteString(buf, l.Type)
		}
		if l.Title != "" {
			buf.WriteString(`,"title":`)
			WriteString(buf, l.Title)
		}
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
}

// WriteString appends s as a JSON string, escaped as encoding/json does.
func WriteString(buf *bytes.Buffer, s string) {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		buf.WriteByte('"')
		buf.WriteString(s)
		buf.WriteByte('"')
		return
	}
	b, _ := json.Marshal(s)
	buf.Write(b)
}
