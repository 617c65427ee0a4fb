// Package article reduces an HTML page to the text of its article, the text
// passages are quoted from. It does no I/O: the caller fetches or receives the
// page and keeps it.
package article

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"codeberg.org/readeck/go-readability/v2/render"
	"golang.org/x/net/html"

	"github.com/citemap/citemap/layers"
)

// MaxHTML is the largest page Text accepts, in bytes. A news article is
// rarely over 2 MB of HTML; a larger body is more likely an attack on the
// parser than an article.
const MaxHTML = 8 << 20

// Errors callers map to answers: an empty page is the sender's mistake
// (422), an oversized one too large to take (413).
var (
	ErrNoText   = errors.New("no article text found in the HTML")
	ErrTooLarge = errors.New("HTML too large")
)

// Article is what Text extracts from a page.
type Article struct {
	Title  string // the page's own title, as readability finds it; "" when none
	Byline string // the author line the page states; "" when none
	// Text is the article's text, normalized as layers.Normalize defines: the
	// text passages are anchored in.
	Text string
	// Raw is the input exactly as given, kept so that the extraction can be
	// redone or audited.
	Raw []byte
}

// Text extracts the article from an HTML page. pageURL, when not empty,
// resolves relative links; it is not fetched. Scripts, styles and other
// non-text elements never reach the text.
func Text(page []byte, pageURL string) (Article, error) {
	a := Article{Raw: page}
	if len(page) > MaxHTML {
		return a, fmt.Errorf("article: %w: %d bytes, over the %d byte limit", ErrTooLarge, len(page), MaxHTML)
	}
	var base *url.URL
	if pageURL != "" {
		u, err := url.Parse(pageURL)
		if err != nil {
			return a, fmt.Errorf("article: page URL: %w", err)
		}
		base = u
	}
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return a, fmt.Errorf("article: parse HTML: %w", err)
	}
	// Readability drops most of these itself, but MathJax scripts are
	// rendered as TeX and a <noscript> may carry markup: remove them all
	// before it looks, so no script text can ever become quotable text.
	strip(doc)
	p := readability.NewParser()
	// Keep the metadata to what the page shows: JSON-LD may name an
	// organisation or a date the article does not state.
	p.DisableJSONLD = true
	art, err := p.ParseAndMutate(doc, base)
	if err != nil {
		return a, fmt.Errorf("article: %w", err)
	}
	a.Title = oneLine(art.Title())
	a.Byline = oneLine(art.Byline())
	if art.Node == nil {
		return a, ErrNoText
	}
	a.Text = layers.Normalize(render.InnerText(art.Node))
	if a.Text == "" {
		return a, ErrNoText
	}
	return a, nil
}

// stripped are elements whose content is never article text.
var stripped = map[string]bool{
	"script": true, "style": true, "noscript": true, "template": true,
	"iframe": true, "object": true, "embed": true, "svg": true, "math": true,
}

func strip(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == html.ElementNode && stripped[c.Data] {
			n.RemoveChild(c)
		} else if c.Type == html.CommentNode {
			n.RemoveChild(c)
		} else {
			strip(c)
		}
		c = next
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
