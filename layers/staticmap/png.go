package staticmap

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// fonts holds the parsed Go fonts (BSD licence, shipped in x/image): parsed
// once per Renderer, not per picture.
type fonts struct {
	regular, bold *opentype.Font
}

// Renderer draws pictures. It is safe for concurrent use.
type Renderer struct {
	fonts fonts
}

// NewRenderer parses the fonts.
func NewRenderer() (*Renderer, error) {
	r, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, err
	}
	b, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, err
	}
	return &Renderer{fonts: fonts{regular: r, bold: b}}, nil
}

// Layout lays the picture out without painting it: where the map, the
// legend, the credit line and every label go.
func (r *Renderer) Layout(o Options) (*Layout, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return layout(r.measure(), o), nil
}

// Image draws the picture and returns it with its layout.
func (r *Renderer) Image(o Options) (*image.RGBA, *Layout, error) {
	if err := o.Validate(); err != nil {
		return nil, nil, err
	}
	c := newRaster(o.Width, o.Height, &r.fonts)
	l := layout(c, o)
	draw(c, o, l)
	return c.img, l, nil
}

// PNG draws the picture as a PNG.
func (r *Renderer) PNG(o Options) ([]byte, error) {
	img, _, err := r.Image(o)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// measure is a canvas for measuring text only.
func (r *Renderer) measure() *raster {
	return &raster{fonts: r.fonts, faces: map[string]font.Face{}}
}

// newRaster is a transparent picture; with nil fonts it draws no text.
func newRaster(w, h int, f *fonts) *raster {
	c := &raster{img: image.NewRGBA(image.Rect(0, 0, w, h)), faces: map[string]font.Face{}}
	if f != nil {
		c.fonts = *f
	}
	return c
}

type raster struct {
	img   *image.RGBA
	fonts fonts
	faces map[string]font.Face
}

func parseColor(s string, alpha float64) color.NRGBA {
	v, _ := strconv.ParseUint(s[1:], 16, 32)
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: uint8(math.Round(alpha * 255))}
}

// path is a rasterizer covering only the pixels a shape may touch: a
// full-picture one per shape would cost a picture's worth of memory each.
type path struct {
	z      *vector.Rasterizer
	r      image.Rectangle // the pixels covered, in picture coordinates
	ox, oy float32
}

// newPath returns a path for a shape within the given pixel bounds, or nil
// when the shape is off the picture.
func (c *raster) newPath(minX, minY, maxX, maxY float64) *path {
	r := image.Rect(int(math.Floor(minX))-1, int(math.Floor(minY))-1, int(math.Ceil(maxX))+1, int(math.Ceil(maxY))+1).Intersect(c.img.Bounds())
	if r.Empty() {
		return nil
	}
	return &path{z: vector.NewRasterizer(r.Dx(), r.Dy()), r: r, ox: float32(r.Min.X), oy: float32(r.Min.Y)}
}

func (p *path) MoveTo(x, y float32) { p.z.MoveTo(x-p.ox, y-p.oy) }
func (p *path) LineTo(x, y float32) { p.z.LineTo(x-p.ox, y-p.oy) }
func (p *path) CubeTo(bx, by, cx, cy, dx, dy float32) {
	p.z.CubeTo(bx-p.ox, by-p.oy, cx-p.ox, cy-p.oy, dx-p.ox, dy-p.oy)
}
func (p *path) ClosePath() { p.z.ClosePath() }

func (c *raster) paint(p *path, col string, alpha float64) {
	if p == nil {
		return
	}
	p.z.Draw(c.img, p.r, image.NewUniform(parseColor(col, alpha)), image.Point{})
}

// boundsOf is the pixel box of point lists, widened by pad.
func boundsOf(pad float64, lists ...[][2]float64) (minX, minY, maxX, maxY float64) {
	minX, minY, maxX, maxY = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, l := range lists {
		for _, p := range l {
			minX, maxX = math.Min(minX, p[0]), math.Max(maxX, p[0])
			minY, maxY = math.Min(minY, p[1]), math.Max(maxY, p[1])
		}
	}
	return minX - pad, minY - pad, maxX + pad, maxY + pad
}

func (c *raster) fillRect(x, y, w, h float64, col string, alpha float64) {
	z := c.newPath(x, y, x+w, y+h)
	if z == nil {
		return
	}
	z.MoveTo(float32(x), float32(y))
	z.LineTo(float32(x+w), float32(y))
	z.LineTo(float32(x+w), float32(y+h))
	z.LineTo(float32(x), float32(y+h))
	z.ClosePath()
	c.paint(z, col, alpha)
}

func (c *raster) polygon(rings [][][2]float64, fill string, alpha float64, stroke string, width float64, dash bool) {
	if fill != "" && alpha > 0 {
		z := c.newPath(boundsOf(0, rings...))
		if z == nil {
			return
		}
		for _, r := range rings {
			for i, p := range r {
				if i == 0 {
					z.MoveTo(float32(p[0]), float32(p[1]))
				} else {
					z.LineTo(float32(p[0]), float32(p[1]))
				}
			}
			z.ClosePath()
		}
		c.paint(z, fill, alpha)
	}
	if stroke != "" && width > 0 {
		for _, r := range rings {
			c.line(r, stroke, width, dash)
		}
	}
}

// line strokes a polyline as a quadrilateral per segment, with round joins.
func (c *raster) line(pts [][2]float64, col string, width float64, dash bool) {
	z := c.newPath(boundsOf(width, pts))
	if z == nil {
		return
	}
	hw := width / 2
	for _, seg := range dashes(pts, dash, width) {
		for i := 0; i+1 < len(seg); i++ {
			a, b := seg[i], seg[i+1]
			dx, dy := b[0]-a[0], b[1]-a[1]
			l := math.Hypot(dx, dy)
			if l == 0 {
				continue
			}
			// Wound like circlePath, so quads and round joins add up
			// rather than cancel where they overlap.
			nx, ny := -dy/l*hw, dx/l*hw
			z.MoveTo(float32(a[0]-nx), float32(a[1]-ny))
			z.LineTo(float32(b[0]-nx), float32(b[1]-ny))
			z.LineTo(float32(b[0]+nx), float32(b[1]+ny))
			z.LineTo(float32(a[0]+nx), float32(a[1]+ny))
			z.ClosePath()
		}
		for _, p := range seg {
			circlePath(z, p[0], p[1], hw)
		}
	}
	// Overlapping pieces of one stroke add up in the rasterizer's coverage,
	// which it clamps: the stroke is drawn once, without darker joins.
	c.paint(z, col, 1)
}

// dashes cuts a polyline into dashes 3 widths long with gaps of 2 widths.
func dashes(pts [][2]float64, dash bool, width float64) [][][2]float64 {
	if !dash || len(pts) < 2 {
		return [][][2]float64{pts}
	}
	on, off := 3*width+2, 2*width+2
	var out [][][2]float64
	cur := [][2]float64{pts[0]}
	pos, drawing := 0.0, true
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		l := math.Hypot(b[0]-a[0], b[1]-a[1])
		t := 0.0
		for t < l {
			limit := on
			if !drawing {
				limit = off
			}
			step := math.Min(limit-pos, l-t)
			t += step
			pos += step
			p := [2]float64{a[0] + (b[0]-a[0])*t/l, a[1] + (b[1]-a[1])*t/l}
			if drawing {
				cur = append(cur, p)
			}
			if pos >= limit {
				pos = 0
				if drawing {
					out = append(out, cur)
				} else {
					cur = [][2]float64{p}
				}
				drawing = !drawing
			}
		}
	}
	if drawing && len(cur) > 1 {
		out = append(out, cur)
	}
	return out
}

func circlePath(z *path, x, y, r float64) {
	const k = 0.5522847498 // cubic Bézier circle
	z.MoveTo(float32(x+r), float32(y))
	z.CubeTo(float32(x+r), float32(y+k*r), float32(x+k*r), float32(y+r), float32(x), float32(y+r))
	z.CubeTo(float32(x-k*r), float32(y+r), float32(x-r), float32(y+k*r), float32(x-r), float32(y))
	z.CubeTo(float32(x-r), float32(y-k*r), float32(x-k*r), float32(y-r), float32(x), float32(y-r))
	z.CubeTo(float32(x+k*r), float32(y-r), float32(x+r), float32(y-k*r), float32(x+r), float32(y))
	z.ClosePath()
}

// ringPath is circlePath wound the other way, to cut a hole.
func ringPath(z *path, x, y, r float64) {
	const k = 0.5522847498
	z.MoveTo(float32(x+r), float32(y))
	z.CubeTo(float32(x+r), float32(y-k*r), float32(x+k*r), float32(y-r), float32(x), float32(y-r))
	z.CubeTo(float32(x-k*r), float32(y-r), float32(x-r), float32(y-k*r), float32(x-r), float32(y))
	z.CubeTo(float32(x-r), float32(y+k*r), float32(x-k*r), float32(y+r), float32(x), float32(y+r))
	z.CubeTo(float32(x+k*r), float32(y+r), float32(x+r), float32(y+k*r), float32(x+r), float32(y))
	z.ClosePath()
}

func (c *raster) circle(x, y, r float64, fill, stroke string, width float64) {
	R := r + width
	z := c.newPath(x-R, y-R, x+R, y+R)
	if z == nil {
		return
	}
	if stroke != "" && fill == "" {
		// A ring: the outer circle minus the inner one, wound the other way.
		circlePath(z, x, y, r+width/2)
		ringPath(z, x, y, r-width/2)
		c.paint(z, stroke, 1)
	} else if stroke != "" {
		circlePath(z, x, y, r+width/2)
		c.paint(z, stroke, 1)
	}
	if fill != "" {
		z := c.newPath(x-R, y-R, x+R, y+R)
		circlePath(z, x, y, r-width/2)
		c.paint(z, fill, 1)
	}
}

func (c *raster) face(size float64, bold bool) font.Face {
	if c.fonts.regular == nil {
		return nil
	}
	key := strconv.FormatFloat(size, 'f', 1, 64) + strconv.FormatBool(bold)
	if f, ok := c.faces[key]; ok {
		return f
	}
	ft := c.fonts.regular
	if bold {
		ft = c.fonts.bold
	}
	f, err := opentype.NewFace(ft, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		f = nil
	}
	c.faces[key] = f
	return f
}

func (c *raster) text(x, y float64, s string, size float64, col string, bold bool, halo string) {
	if c.img == nil {
		return
	}
	f := c.face(size, bold)
	if f == nil {
		return
	}
	if halo != "" {
		// A halo: the text drawn around itself in the halo colour.
		d := math.Max(1, size/10)
		src := image.NewUniform(parseColor(halo, 0.85))
		for _, o := range [][2]float64{{-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-0.7, -0.7}, {0.7, -0.7}, {-0.7, 0.7}, {0.7, 0.7}} {
			hd := &font.Drawer{Dst: c.img, Src: src, Face: f,
				Dot: fixed.Point26_6{X: fixed.Int26_6((x + o[0]*d) * 64), Y: fixed.Int26_6((y + o[1]*d) * 64)}}
			hd.DrawString(s)
		}
	}
	d := &font.Drawer{Dst: c.img, Src: image.NewUniform(parseColor(col, 1)), Face: f,
		Dot: fixed.Point26_6{X: fixed.Int26_6(x * 64), Y: fixed.Int26_6(y * 64)}}
	d.DrawString(s)
}

func (c *raster) textWidth(s string, size float64, bold bool) float64 {
	f := c.face(size, bold)
	if f == nil {
		return 0
	}
	return float64(font.MeasureString(f, s)) / 64
}

// covers reports whether the regular font has a glyph for every letter of s.
func (c *raster) covers(s string) bool {
	f := c.face(12, false)
	if f == nil {
		return false
	}
	for _, r := range s {
		if _, ok := f.GlyphAdvance(r); !ok {
			return false
		}
	}
	return true
}
