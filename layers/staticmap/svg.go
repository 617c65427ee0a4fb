package staticmap

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// SVG draws the picture as an SVG document. Every text from data is escaped.
func (r *Renderer) SVG(o Options) ([]byte, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	c := &svg{measure: r.measure()}
	l := layout(c, o)
	fmt.Fprintf(&c.buf, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img"><title>`,
		o.Width, o.Height, o.Width, o.Height)
	xml.EscapeText(&c.buf, []byte(o.Title))
	// Fonts as attributes, not a <style> element: the picture must render
	// under a Content-Security-Policy without 'unsafe-inline'.
	c.buf.WriteString(`</title><g font-family="Go, 'Noto Sans', Arial, sans-serif">`)
	draw(c, o, l)
	c.buf.WriteString("</g></svg>\n")
	return c.buf.Bytes(), nil
}

type svg struct {
	buf     bytes.Buffer
	measure *raster // for text widths, from the same fonts as the PNG
}

func f1(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".")
}

func (c *svg) points(pts [][2]float64) string {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f1(p[0]) + "," + f1(p[1]))
	}
	return b.String()
}

func dashAttr(dash bool, width float64) string {
	if !dash {
		return ""
	}
	return fmt.Sprintf(` stroke-dasharray="%s %s"`, f1(3*width+2), f1(2*width+2))
}

func (c *svg) fillRect(x, y, w, h float64, color string, alpha float64) {
	fmt.Fprintf(&c.buf, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="%s"/>`, f1(x), f1(y), f1(w), f1(h), color, f1(alpha))
}

func (c *svg) polygon(rings [][][2]float64, fill string, alpha float64, stroke string, width float64, dash bool) {
	var d strings.Builder
	for _, r := range rings {
		for i, p := range r {
			if i == 0 {
				d.WriteString("M")
			} else {
				d.WriteString("L")
			}
			d.WriteString(f1(p[0]) + " " + f1(p[1]))
		}
		d.WriteString("Z")
	}
	if fill == "" || alpha == 0 {
		fill, alpha = "none", 0
	}
	if stroke == "" {
		stroke = "none"
	}
	fmt.Fprintf(&c.buf, `<path d="%s" fill="%s" fill-opacity="%s" fill-rule="nonzero" stroke="%s" stroke-width="%s"%s stroke-linejoin="round"/>`,
		d.String(), fill, f1(alpha), stroke, f1(width), dashAttr(dash, width))
}

func (c *svg) line(pts [][2]float64, stroke string, width float64, dash bool) {
	fmt.Fprintf(&c.buf, `<polyline points="%s" fill="none" stroke="%s" stroke-width="%s"%s stroke-linejoin="round" stroke-linecap="round"/>`,
		c.points(pts), stroke, f1(width), dashAttr(dash, width))
}

func (c *svg) circle(x, y, r float64, fill, stroke string, width float64) {
	if fill == "" {
		fill = "none"
	}
	if stroke == "" {
		stroke = "none"
	}
	fmt.Fprintf(&c.buf, `<circle cx="%s" cy="%s" r="%s" fill="%s" stroke="%s" stroke-width="%s"/>`, f1(x), f1(y), f1(r), fill, stroke, f1(width))
}

func (c *svg) text(x, y float64, s string, size float64, color string, bold bool, halo string) {
	weight := "normal"
	if bold {
		weight = "bold"
	}
	fmt.Fprintf(&c.buf, `<text x="%s" y="%s" font-size="%s" font-weight="%s" fill="%s"`, f1(x), f1(y), f1(size), weight, color)
	if halo != "" {
		fmt.Fprintf(&c.buf, ` stroke="%s" stroke-width="%s" stroke-opacity="0.85" stroke-linejoin="round" paint-order="stroke"`, halo, f1(size/5))
	}
	c.buf.WriteString(">")
	xml.EscapeText(&c.buf, []byte(s))
	c.buf.WriteString("</text>")
}

func (c *svg) textWidth(s string, size float64, bold bool) float64 {
	return c.measure.textWidth(s, size, bold)
}

func (c *svg) covers(s string) bool { return c.measure.covers(s) }
