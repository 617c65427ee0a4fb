package staticmap

import (
	"image"
	"math/rand/v2"
	"testing"
)

// ownOutline marks the pixels near an area's outline ahead of time; it must
// say what measuring each pixel's centre against every edge says, for
// rings inside the picture, partly outside it and crossing it in long
// edges, and for points that are not pixel centres.
func TestOwnOutlineIsEdgeDist(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 40 {
		l := &Layout{scale: 0.82 + r.Float64(), Features: image.NewAlpha(image.Rect(0, 0, 160+r.IntN(80), 90+r.IntN(60)))}
		w, h := float64(l.Features.Bounds().Dx()), float64(l.Features.Bounds().Dy())
		var own [][][2]float64
		for range 1 + r.IntN(3) {
			spread := []float64{20, 200, 2000}[n%3] // small rings, rings over the edge, long edges across
			cx, cy := r.Float64()*w, r.Float64()*h
			var ring [][2]float64
			for range 3 + r.IntN(30) {
				ring = append(ring, [2]float64{cx + (r.Float64()-0.5)*spread, cy + (r.Float64()-0.5)*spread})
			}
			own = append(own, append(ring, ring[0]))
		}
		region := Rect{0, 0, w, h}
		if n%2 == 1 { // a region of the picture, as a label's candidates make
			region = Rect{r.Float64() * w / 2, r.Float64() * h / 2, w/2 + r.Float64()*w/2, h/2 + r.Float64()*h/2}
		}
		near := l.ownOutline(own, region)
		tol := 2.5 * l.scale
		marked := 0
		for y := range int(h) {
			for x := range int(w) {
				px, py := float64(x)+0.5, float64(y)+0.5
				want := edgeDist(own, px, py) <= tol
				if got := near(px, py); got != want {
					t.Fatalf("case %d: pixel %d,%d: marked %v, edgeDist %.4f (tol %.4f)", n, x, y, got, edgeDist(own, px, py), tol)
				}
				if want {
					marked++
				}
			}
		}
		for range 200 {
			x, y := r.Float64()*w*1.4-0.2*w, r.Float64()*h*1.4-0.2*h
			if got, want := near(x, y), edgeDist(own, x, y) <= tol; got != want {
				t.Fatalf("case %d: point %v,%v: %v, want %v", n, x, y, got, want)
			}
		}
		if marked == 0 && n%3 == 0 {
			t.Errorf("case %d: no pixel near the outline", n)
		}
	}
	if (&Layout{}).ownOutline(nil, Rect{}) != nil {
		t.Error("no outline: want nil")
	}
}
