package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// spfLimit is RFC 7208's limit on DNS-querying terms.
const spfLimit = 10

// spfNode is one record of the include/redirect tree, read generically from
// the spf check's JSON data (domain, own_lookups, subtree_lookups,
// children, error), so the pane does not depend on the check's Go types.
type spfNode struct {
	domain   string
	via      string // include, redirect... when the data says
	record   string
	own      int
	subtree  int
	errText  string
	children []*spfNode
	path     string
	hot      bool   // this node makes the running count cross the limit
	hotTerm  string // the term of this node's record that does
}

// lookupTerm reports whether an SPF term costs a DNS lookup (RFC 7208 4.6.4)
// and, for include and redirect, the domain it recurses into.
func lookupTerm(term string) (costs bool, into string) {
	t := strings.ToLower(strings.TrimLeft(term, "+-~?"))
	name, arg := t, ""
	if i := strings.IndexAny(t, ":="); i >= 0 {
		name, arg = t[:i], t[i+1:]
	} else if i := strings.IndexByte(t, '/'); i >= 0 {
		name = t[:i]
	}
	switch name {
	case "include", "redirect":
		return true, arg
	case "a", "mx", "ptr", "exists":
		return true, ""
	}
	return false, ""
}

// markLimit finds where the worst-case count first passes the limit, in
// evaluation order: each record's terms left to right, an include's record
// at its place, redirect last. Without the records' text it falls back to
// depth-first own counts.
func markLimit(root *spfNode) {
	count := 0
	var walk func(n *spfNode, depth int) bool
	walk = func(n *spfNode, depth int) bool {
		if depth > 32 {
			return false
		}
		if n.record == "" {
			count += n.own
			if count > spfLimit {
				n.hot = true
				return true
			}
			for _, c := range n.children {
				if walk(c, depth+1) {
					return true
				}
			}
			return false
		}
		terms := strings.Fields(n.record)
		var redirect []string
		var ordered []string
		for _, t := range terms[1:] {
			if strings.HasPrefix(strings.ToLower(t), "redirect=") {
				redirect = append(redirect, t)
				continue
			}
			ordered = append(ordered, t)
		}
		ordered = append(ordered, redirect...)
		used := map[*spfNode]bool{}
		for _, t := range ordered {
			costs, into := lookupTerm(t)
			if !costs {
				continue
			}
			var child *spfNode
			if into != "" {
				for _, c := range n.children {
					if !used[c] && (strings.EqualFold(c.domain, into) || strings.EqualFold(strings.TrimLeft(c.via, "+-~?"), t)) {
						child = c
						used[c] = true
						break
					}
				}
			}
			count++
			if count > spfLimit {
				if child != nil {
					child.hot = true
				} else {
					n.hot, n.hotTerm = true, t
				}
				return true
			}
			if child != nil && walk(child, depth+1) {
				return true
			}
		}
		return false
	}
	walk(root, 0)
}

// spfModel is the SPF tree pane.
type spfModel struct {
	c             *common
	live          *liveState
	width, height int
	root          *spfNode
	total         int // worst-case lookups
	void          int
	hasVoid       bool
	collapsed     map[string]bool
	cursor        int
}

func (s *spfModel) setData(data any) {
	s.root, s.total, s.void, s.hasVoid = nil, 0, 0, false
	top, _ := data.(map[string]any)
	if top == nil {
		return
	}
	rootMap := findTree(top, 0)
	if rootMap == nil {
		return
	}
	s.root = parseSPFNode(rootMap, "0", 0)
	if n, ok := firstNum(top, "total_lookups", "lookups", "dns_lookups", "lookup_count"); ok {
		s.total = n
	} else {
		s.total = s.root.subtree
	}
	if n, ok := firstNum(top, "void_lookups", "voids"); ok {
		s.void, s.hasVoid = n, true
	}
	markLimit(s.root)
	if s.cursor >= len(s.visible()) {
		s.cursor = 0
	}
}

// findTree locates the tree's root object in the check's data.
func findTree(m map[string]any, depth int) map[string]any {
	if depth > 4 {
		return nil
	}
	for _, k := range []string{"tree", "root", "record_tree"} {
		if t, ok := m[k].(map[string]any); ok {
			return t
		}
	}
	if _, ok := m["children"]; ok {
		return m
	}
	if _, ok := m["own_lookups"]; ok {
		return m
	}
	for _, v := range m {
		if t, ok := v.(map[string]any); ok {
			if r := findTree(t, depth+1); r != nil {
				return r
			}
		}
	}
	return nil
}

func parseSPFNode(m map[string]any, path string, depth int) *spfNode {
	n := &spfNode{path: path}
	n.domain = firstStr(m, "domain", "name", "target")
	n.via = firstStr(m, "via", "mechanism", "kind", "term", "type")
	n.record = firstStr(m, "record", "txt")
	n.own, _ = firstNum(m, "own_lookups", "lookups")
	n.subtree, _ = firstNum(m, "subtree_lookups", "total_lookups", "cost")
	n.errText = firstStr(m, "error", "err")
	if depth > 32 {
		return n
	}
	if kids, ok := m["children"].([]any); ok {
		for i, k := range kids {
			if km, ok := k.(map[string]any); ok {
				n.children = append(n.children, parseSPFNode(km, path+"/"+strconv.Itoa(i), depth+1))
			}
		}
	}
	if n.subtree == 0 {
		n.subtree = n.own
		for _, c := range n.children {
			n.subtree += c.subtree
		}
	}
	return n
}

func firstStr(m map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := m[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case bool:
			if v && k == "error" {
				return "error"
			}
		}
	}
	return ""
}

func firstNum(m map[string]any, keys ...string) (int, bool) {
	for _, k := range keys {
		if v, ok := m[k].(float64); ok {
			return int(v), true
		}
	}
	return 0, false
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
	switch {
	case key.Matches(km, k.Up):
		if s.cursor > 0 {
			s.cursor--
		}
	case key.Matches(km, k.Down):
		if s.cursor < len(vis)-1 {
			s.cursor++
		}
	case key.Matches(km, k.Open):
		if s.cursor < len(vis) {
			n := vis[s.cursor].n
			if len(n.children) > 0 {
				s.collapsed[n.path] = !s.collapsed[n.path]
			}
		}
	}
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
		label := clean(nd.domain)
		switch {
		case nd.via == "" || nd.path == "0":
		case strings.Contains(nd.via, ":") || strings.Contains(nd.via, "="):
			label = clean(nd.via) // "include:_spf.example.com" names the domain
		default:
			label = clean(nd.via) + ":" + label
		}
		mark := ""
		switch {
		case nd.hot:
			label = st.Hot.Render(label)
			mark = " " + st.Hot.Render(g.Fail+" limit")
		case nd.errText != "":
			mark = " " + st.Error.Render(g.Fail+" error")
		}
		sub := ""
		if len(nd.children) > 0 || nd.subtree != nd.own {
			sub = strconv.Itoa(nd.subtree)
		}
		line := cur + pad(v.prefix+fold+label, labelW, g.Ellipsis) + padLeft(strconv.Itoa(nd.own), numW) + padLeft(sub, numW) + mark
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
	n := vis[s.cursor].n
	var out []string
	out = append(out, st.Faint.Render(strings.Repeat(g.Rule, w)))
	if n.record != "" {
		out = append(out, strings.Split(wrapIndent(st.Label.Render("record ")+clean(n.record), w, "  "), "\n")...)
	}
	if n.errText != "" {
		out = append(out, strings.Split(wrapIndent(st.Error.Render("error  ")+clean(n.errText), w, "  "), "\n")...)
	}
	if n.hot {
		note := "lookup " + strconv.Itoa(spfLimit+1) + " happens here"
		if n.hotTerm != "" {
			note += ", at " + clean(n.hotTerm)
		}
		note += ": receivers stop at " + strconv.Itoa(spfLimit) + " and SPF fails with permerror"
		out = append(out, strings.Split(wrapIndent(st.Hot.Render("limit  ")+note, w, "  "), "\n")...)
	}
	if len(out) == 1 {
		return nil
	}
	return out
}

func (s spfModel) statusView() string {
	st := s.c.st
	if s.root == nil {
		return ""
	}
	style := st.Pass
	switch {
	case s.total > spfLimit:
		style = st.Fail
	case s.total >= 8:
		style = st.Warn
	}
	line := style.Render(fmt.Sprintf("%d of %d DNS lookups", s.total, spfLimit))
	if s.hasVoid {
		vs := st.Pass
		if s.void > 2 {
			vs = st.Fail
		}
		line += s.c.g.Dot + vs.Render(fmt.Sprintf("%d of 2 void lookups", s.void))
	}
	if s.total > spfLimit {
		line += st.Faint.Render("  receivers answer permerror past 10")
	}
	return line
}
