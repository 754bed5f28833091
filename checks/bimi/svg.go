package bimi

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SVG limits.
const (
	// MaxLogoSize is the size BIMI recommends at most for the logo.
	MaxLogoSize = 32 << 10
	// maxTokens and maxDepth bound the XML walk of hostile documents.
	maxTokens = 200000
	maxDepth  = 64
)

// SVGReport is the outcome of checking a logo against SVG Tiny PS (the
// profile BIMI requires).
type SVGReport struct {
	// Bytes is the logo's size in bytes.
	Bytes int `json:"bytes"`
	// BaseProfile is the svg element's baseProfile (tiny-ps required); absent when missing.
	BaseProfile string `json:"base_profile,omitempty"`
	// Version is the svg element's version (1.2 required); absent when missing.
	Version string `json:"version,omitempty"`
	// Title is the logo's title element; absent when missing.
	Title string `json:"title,omitempty"`
	// Problems are where the logo breaks SVG Tiny PS; absent when none.
	Problems []string `json:"problems,omitempty"`
}

// forbidden are elements SVG Tiny PS does not allow.
var forbidden = map[string]string{
	"script":           "scripts",
	"foreignObject":    "foreign content",
	"animate":          "animation",
	"animateMotion":    "animation",
	"animateColor":     "animation",
	"animateTransform": "animation",
	"set":              "animation",
	"image":            "embedded raster images",
	"iframe":           "foreign content",
	"video":            "media",
	"audio":            "media",
}

// CheckSVG checks an SVG document against the SVG Tiny Portable/Secure
// profile: root <svg> with baseProfile="tiny-ps" and version="1.2", a
// <title>, no scripts, animation, event handlers or external references,
// no x= or y= on the root, and at most MaxLogoSize bytes. The XML walk is
// bounded in tokens and depth and never resolves entities.
func CheckSVG(data []byte) *SVGReport {
	r := &SVGReport{Bytes: len(data)}
	bad := func(format string, args ...any) {
		if len(r.Problems) < 12 {
			r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
		}
	}
	if len(data) > MaxLogoSize {
		bad("the logo is %d bytes; BIMI allows at most %d", len(data), MaxLogoSize)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.Entity = map[string]string{}
	depth, tokens := 0, 0
	root := true
	inTitle := false
	var title strings.Builder
	sawForbidden := map[string]bool{}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bad("the logo is not well-formed XML: %v", err)
			break
		}
		tokens++
		if tokens > maxTokens {
			bad("the logo has more than %d XML tokens", maxTokens)
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > maxDepth {
				bad("the logo nests elements deeper than %d", maxDepth)
				return r
			}
			name := t.Name.Local
			if root {
				root = false
				if name != "svg" {
					bad("the root element is <%s>, not <svg>", clip(name))
					return r
				}
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "baseProfile":
						r.BaseProfile = a.Value
					case "version":
						r.Version = a.Value
					case "x", "y":
						if a.Name.Space == "" {
							bad("the root <svg> has an %s= attribute, which SVG Tiny PS forbids", a.Name.Local)
						}
					}
				}
			}
			if depth == 2 && name == "title" {
				inTitle = true
			}
			if what, ok := forbidden[name]; ok && !sawForbidden[name] {
				sawForbidden[name] = true
				bad("the logo contains <%s> (%s), which SVG Tiny PS forbids", name, what)
			}
			for _, a := range t.Attr {
				an := a.Name.Local
				if strings.HasPrefix(strings.ToLower(an), "on") && len(an) > 2 && !sawForbidden["on"] {
					sawForbidden["on"] = true
					bad("the logo has an event handler attribute %s= (a script), which SVG Tiny PS forbids", clip(an))
				}
				if an == "href" {
					v := strings.TrimSpace(a.Value)
					if !strings.HasPrefix(v, "#") && !sawForbidden["href"] {
						sawForbidden["href"] = true
						bad("the logo references an external resource (%s=%q), which SVG Tiny PS forbids", an, clip(v))
					}
				}
				if strings.Contains(a.Value, "url(") && !strings.Contains(a.Value, "url(#") && !sawForbidden["url"] {
					sawForbidden["url"] = true
					bad("the logo references an external resource (%s=%q), which SVG Tiny PS forbids", an, clip(a.Value))
				}
			}
		case xml.EndElement:
			if depth == 2 && t.Name.Local == "title" {
				inTitle = false
				if r.Title == "" {
					r.Title = strings.TrimSpace(title.String())
				}
			}
			depth--
		case xml.CharData:
			if inTitle && title.Len() < 256 {
				title.Write(t)
			}
		case xml.Directive:
			if bytes.Contains(bytes.ToUpper(t), []byte("ENTITY")) && !sawForbidden["entity"] {
				sawForbidden["entity"] = true
				bad("the logo declares XML entities, which BIMI validators reject")
			}
		}
	}
	if root {
		bad("the logo has no <svg> element")
		return r
	}
	if r.BaseProfile != "tiny-ps" {
		bad("the root <svg> has baseProfile=%q; BIMI requires baseProfile=\"tiny-ps\"", clip(r.BaseProfile))
	}
	if r.Version != "1.2" {
		bad("the root <svg> has version=%q; SVG Tiny PS requires version=\"1.2\"", clip(r.Version))
	}
	if r.Title == "" {
		bad("the logo has no <title> (SVG Tiny PS requires one, naming the brand)")
	}
	return r
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
