package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks/spf"
)

// spfNode is one record of the include/redirect tree as the pane shows
// it: the spf check's node, with its place in the tree for folding.
type spfNode struct {
	n        *spf.Node
	children []*spfNode
	path     string
}

// hot reports whether evaluation passes a limit of RFC 7208 §4.6.4 in
// this node's record: the check marks the term (limit_term,
// void_limit_term).
func (n *spfNode) hot() bool { return n.n.LimitTerm != "" || n.n.VoidLimitTerm != "" }

// newSPFNode wraps the check's tree, bounded in depth and size.
func newSPFNode(n *spf.Node, path string, depth int, budget *int) *spfNode {
	out := &spfNode{n: n, path: path}
	*budget--
	if depth > maxSPFDepth {
		return out
	}
	for i, c := range n.Children {
		if c == nil || *budget <= 0 {
			continue
		}
		out.children = append(out.children, newSPFNode(c, path+"/"+strconv.Itoa(i), depth+1, budget))
	}
	return out
}

// Bounds of the tree the pane draws (the check bounds its own).
const (
	maxSPFDepth = 32
	maxSPFNodes = 1000
)

// spfModel is the SPF tree pane.
type spfModel struct {
	c             *common
	live          *liveState
	width, height int
	root          *spfNode
	data          *spf.Data
	collapsed     map[string]bool
	cursor        int
}

// setData shows the spf check's data (nil: none).
func (s *spfModel) setData(d *spf.Data) {
	s.root, s.data = nil, d
	if d == nil {
		return
	}
	tree := d.Tree
	if tree == nil && len(d.Records) > 0 {
		tree = d.Records[0].Tree
	}
	if tree == nil {
		return
	}
	budget := maxSPFNodes
	s.root = newSPFNode(tree, "0", 0, &budget)
	if s.cursor >= len(s.visible()) {
		s.cursor = 0
	}
}

type visNode struct {
	n      *spfNode
	prefix string
}

// visible lists the nodes shown, depth first, skipping collapsed subtrees.
func (s *spfModel) visible() []visNode {
	if s.root == nil {
		return nil
	}
	g := s.c.g
	var out []visNode
	var walk func(n *spfNode, prefix, childPrefix string)
	walk = func(n *spfNode, prefix, childPrefix string) {
		out = append(out, visNode{n, prefix})
		if s.collapsed[n.path] {
			return
		}
		for i, c := range n.children {
			if i == len(n.children)-1 {
				walk(c, childPrefix+g.Last, childPrefix+g.Space)
			} else {
				walk(c, childPrefix+g.Branch, childPrefix+g.Pipe)
			}
		}
	}
	walk(s.root, "", "")
	return out
}

func (s *spfModel) setSize(w, h int) { s.width, s.height = w, h }

// update moves the cursor and folds the node under it; esc, or ← on a node
// with nothing to fold, goes back.
func (s *spfModel) update(msg tea.Msg) (tea.Cmd, intent) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil, nil
	}
	k := s.c.keys
	if key.Matches(km, k.Back) && (km.Type == tea.KeyEsc || !s.collapseSelected()) {
		return nil, goBack{}
	}
	vis := s.visible()
	if key.Matches(km, k.Open) {
		if s.cursor < len(vis) {
			n := vis[s.cursor].n
			if len(n.children) > 0 {
				s.collapsed[n.path] = !s.collapsed[n.path]
			}
		}
		return nil, nil
	}
	if key.Matches(km, k.NextFinding) || key.Matches(km, k.PrevFinding) {
		s.cursor = nextMatching(s.cursor, len(vis), key.Matches(km, k.NextFinding), func(i int) bool {
			return vis[i].n.hot() || vis[i].n.n.Error != ""
		})
		return nil, nil
	}
	s.cursor = moveCursor(k, km, s.cursor, len(vis), s.height-1)
	return nil, nil
}

// collapseSelected collapses the selected node on ←; it returns false when
// there is nothing to collapse (so the key goes back).
func (s *spfModel) collapseSelected() bool {
	vis := s.visible()
	if s.cursor >= len(vis) {
		return false
	}
	n := vis[s.cursor].n
	if len(n.children) > 0 && !s.collapsed[n.path] && n.path != "0" {
		s.collapsed[n.path] = true
		return true
	}
	return false
}

func (s spfModel) view() string {
	st, g := s.c.st, s.c.g
	row, h := s.live.byID["spf"], s.height
	if s.root == nil {
		switch {
		case row == nil:
			return st.Faint.Render("The spf check is not part of this run.")
		case row.running || row.res == nil:
			return st.Faint.Render("Waiting for the spf check" + g.Ellipsis)
		}
		msg := "No SPF include tree in the spf check's data"
		if row.res.Err != "" {
			msg += ": " + clean(row.res.Err)
		}
		return st.Faint.Render(msg + ". Open the check on the Checks tab for its findings.")
	}
	vis := s.visible()
	w := s.width
	const numW = 8
	labelW := w - 2 - 2*numW - 12
	if labelW > 50 {
		labelW = 50
	}
	var b strings.Builder
	b.WriteString(st.Label.Render("  "+pad("RECORD", labelW, "")+padLeft("OWN", numW)+padLeft("SUBTREE", numW)) + "\n")
	// The selected node's details take the bottom of the pane.
	details := s.details(vis, w)
	visibleN := h - 1 - len(details)
	if visibleN < 3 {
		visibleN, details = h-1, nil
	}
	off := 0
	if s.cursor >= visibleN {
		off = s.cursor - visibleN + 1
	}
	n := 0
	for i := off; i < len(vis) && i < off+visibleN; i++ {
		v := vis[i]
		nd := v.n
		cur := "  "
		if i == s.cursor {
			cur = g.Cursor + " "
		}
		fold := "  "
		if len(nd.children) > 0 {
			if s.collapsed[nd.path] {
				fold = g.Closed + " "
			} else {
				fold = g.Open + " "
			}
		}
		sn := nd.n
		label := clean(sn.Domain)
		if sn.Mechanism != "" && nd.path != "0" {
			label = clean(sn.Mechanism) // "include:_spf.example.com" names the domain
		}
		mark := ""
		switch {
		case nd.hot():
			label = st.Hot.Render(label)
			mark = " " + st.Hot.Render(g.Fail+" limit")
		case sn.Error != "":
			mark = " " + st.Error.Render(g.Fail+" error")
		}
		sub := ""
		if len(nd.children) > 0 || sn.SubtreeLookups != sn.OwnLookups {
			sub = strconv.Itoa(sn.SubtreeLookups)
		}
		line := cur + pad(v.prefix+fold+label, labelW, g.Ellipsis) + padLeft(strconv.Itoa(sn.OwnLookups), numW) + padLeft(sub, numW) + mark
		if i == s.cursor {
			line = st.Selected.Render(line)
		}
		b.WriteString(line + "\n")
		n++
	}
	for ; n < visibleN; n++ {
		b.WriteString("\n")
	}
	b.WriteString(strings.Join(details, "\n"))
	return strings.TrimRight(b.String(), "\n")
}

// details describes the selected node: its record, error and limit note.
func (s spfModel) details(vis []visNode, w int) []string {
	if s.cursor >= len(vis) {
		return nil
	}
	st, g := s.c.st, s.c.g
	n := vis[s.cursor].n.n
	limit, voidLimit := spf.MaxDNSTerms, 2
	if d := s.data; d != nil && d.LookupLimit > 0 {
		limit, voidLimit = d.LookupLimit, d.VoidLimit
	}
	var out []string
	out = append(out, st.Faint.Render(strings.Repeat(g.Rule, w)))
	if n.Record != "" {
		out = append(out, strings.Split(wrapIndent(st.Label.Render("record ")+clean(n.Record), w, "  "), "\n")...)
	}
	if n.Error != "" {
		out = append(out, strings.Split(wrapIndent(st.Error.Render("error  ")+clean(n.Error), w, "  "), "\n")...)
	}
	if n.LimitTerm != "" {
		note := fmt.Sprintf("lookup %d happens here, at %s: receivers stop at %d and SPF fails with permerror", limit+1, clean(n.LimitTerm), limit)
		out = append(out, strings.Split(wrapIndent(st.Hot.Render("limit  ")+note, w, "  "), "\n")...)
	}
	if n.VoidLimitTerm != "" {
		note := fmt.Sprintf("void lookup %d happens here, at %s: receivers stop at %d and SPF fails with permerror", voidLimit+1, clean(n.VoidLimitTerm), voidLimit)
		out = append(out, strings.Split(wrapIndent(st.Hot.Render("void   ")+note, w, "  "), "\n")...)
	}
	if len(out) == 1 {
		return nil
	}
	return out
}

// statusView is the totals the check counted: DNS lookups and void
// lookups against their limits.
func (s spfModel) statusView() string {
	st, d := s.c.st, s.data
	if s.root == nil || d == nil {
		return ""
	}
	limit, voidLimit := d.LookupLimit, d.VoidLimit
	if limit <= 0 {
		limit = spf.MaxDNSTerms
	}
	if voidLimit <= 0 {
		voidLimit = 2
	}
	style := st.Pass
	switch {
	case d.Lookups > limit:
		style = st.Fail
	case d.Lookups >= limit-2:
		style = st.Warn
	}
	at := ""
	if d.Truncated {
		at = "at least "
	}
	line := style.Render(fmt.Sprintf("%s%d of %d DNS lookups", at, d.Lookups, limit))
	vs := st.Pass
	if d.VoidLookups > voidLimit {
		vs = st.Fail
	}
	line += s.c.g.Dot + vs.Render(fmt.Sprintf("%s%d of %d void lookups", at, d.VoidLookups, voidLimit))
	if d.Lookups > limit || d.VoidLookups > voidLimit {
		line += st.Faint.Render("  receivers answer permerror past the limit")
	}
	return line
}
