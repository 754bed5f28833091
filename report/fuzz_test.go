package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// htmlTag matches an HTML tag in goldmark's output.
var htmlTag = regexp.MustCompile(`</?([a-zA-Z][a-zA-Z0-9]*)`)

// FuzzMarkdownNetworkText: network text rendered by mdProse (fixes quoting
// records), mdText and mdCode never becomes markup on GitHub: the HTML
// holds only the list, code spans and the line breaks mxray itself adds
// (and GitHub's own links of bare URLs).
func FuzzMarkdownNetworkText(f *testing.F) {
	for _, s := range []string{
		"Publish `v=spf1 -all`.", "x `a`b` y", "<script>alert(1)</script>", "*bold* _it_ [l](http://x) ![i](y)",
		"`` ` ``", "a\nb\r\nc", "&amp; &#60;", "| a | b |", "\\`x\\`", "<br>", "http://example.com/<b>", "~~s~~",
	} {
		f.Add(s)
	}
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	// <a>: GitHub links bare URLs and addresses in text (GFM autolinks),
	// showing the address itself, so nothing is hidden behind a link.
	allowed := map[string]bool{"ul": true, "li": true, "code": true, "br": true, "p": true, "a": true}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 2000 {
			return
		}
		md := "- " + mdInline(mdProse(s)) + "\n- " + mdInline(mdText(s)) + "\n- " + mdCode(s) + "\n- Fix: " + mdProse(s) + "\n"
		var buf bytes.Buffer
		if err := gm.Convert([]byte(md), &buf); err != nil {
			t.Fatal(err)
		}
		for _, m := range htmlTag.FindAllStringSubmatch(buf.String(), -1) {
			if !allowed[strings.ToLower(m[1])] {
				t.Fatalf("%q became <%s>:\n%s\n%s", s, m[1], md, buf.String())
			}
		}
	})
}

// FuzzWrap: wrapped text never exceeds the width, whatever the network
// sent (wide characters, escapes, long words), and loses no word.
func FuzzWrap(f *testing.F) {
	for _, s := range []string{"short", strings.Repeat("word ", 40), "宛先のメールサーバーは STARTTLS を提供していません", "\x1b[31mred\x1b[0m" + strings.Repeat("x", 200), "a\tb\nc"} {
		f.Add(s, 40)
	}
	f.Fuzz(func(t *testing.T, s string, width int) {
		if len(s) > 2000 || width < 30 || width > 300 {
			return
		}
		var b strings.Builder
		opts := Options{Width: width}
		wrapBlock(&b, opts, findingIndent, "fix: ", s)
		wrapLine(&b, opts, "  "+clean(firstLine(s)), findingIndent)
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if w := ansi.StringWidth(l); w > width {
				t.Fatalf("width %d: line of %d columns: %q", width, w, l)
			}
		}
		var kept []string
		for _, l := range strings.Split(b.String(), "\n") {
			kept = append(kept, strings.Fields(l)...)
		}
		all := strings.Join(kept, "")
		for _, w := range strings.Fields(firstLine(s)) {
			if !strings.Contains(all, w) && len(w) < width/2 {
				t.Fatalf("word %q lost: %q", w, b.String())
			}
		}
	})
}
