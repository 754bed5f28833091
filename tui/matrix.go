package tui

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/mxray/mxray/checks"
)

// matrixSources are the checks whose results feed the MX matrix.
var matrixSources = map[string]bool{"mx": true, "smtp": true, "tls": true, "mtasts": true, "dnsbl": true}

// The matrix columns.
const (
	colConnect = iota
	colBanner
	colEHLO
	colSTARTTLS
	colCert
	colDANE
	colMTASTS
	colBL
	numCols
)

var colNames = [numCols]string{"CONN", "BANNER", "EHLO", "STLS", "CERT", "DANE", "STS", "BL"}

// colCheck is the check that decides each column.
var colCheck = [numCols]string{"smtp", "smtp", "smtp", "tls", "tls", "tls", "mtasts", "dnsbl"}

// colFindings are the finding ID prefixes that mark each column.
var colFindings = [numCols][]string{
	{"smtp.connect-", "smtp.port25-"},
	{"smtp.banner-", "smtp.slow-banner", "smtp.greylisted"},
	{"smtp.ehlo-"},
	{"tls.starttls-", "tls.handshake-", "tls.old-protocol"},
	{"tls.cert-", "tls.weak-key"},
	{"tls.dane-"},
	{"mtasts."},
	{"dnsbl."},
}

// stageCol maps SMTP stage names in the checks' data to columns.
var stageCol = map[string]int{
	"connect": colConnect, "dial": colConnect,
	"banner": colBanner, "greeting": colBanner,
	"ehlo": colEHLO, "helo": colEHLO,
	"starttls": colSTARTTLS, "tls": colSTARTTLS, "handshake": colSTARTTLS,
}

// cell is one mark of the matrix.
type cell struct {
	sev  checks.Severity // "" ok, or the worst finding
	set  bool            // something is known
	info bool            // only informational findings (e.g. no MTA-STS policy)
	ms   float64
	hasM bool
}

// matrixRow is one MX address.
type matrixRow struct {
	host, addr string
	hostErr    string
	cells      [numCols]cell
	staged     bool // the smtp data has per-stage results for this address
	lines      []checks.Line
}

// matrixModel is the MX matrix pane.
type matrixModel struct {
	c      *common
	rows   []*matrixRow
	cursor int
}

func (mm *matrixModel) move(d int) {
	mm.cursor += d
	if mm.cursor >= len(mm.rows) {
		mm.cursor = len(mm.rows) - 1
	}
	if mm.cursor < 0 {
		mm.cursor = 0
	}
}

func (mm matrixModel) selected() (*matrixRow, bool) {
	if mm.cursor >= 0 && mm.cursor < len(mm.rows) {
		return mm.rows[mm.cursor], true
	}
	return nil, false
}

// rebuild derives the matrix from the checks' data and findings.
func (mm *matrixModel) rebuild(byID map[string]*checkRow) {
	var rows []*matrixRow
	index := map[string]*matrixRow{}
	add := func(host, addr string) *matrixRow {
		k := host + "|" + addr
		if r, ok := index[k]; ok {
			return r
		}
		if addr != "" {
			// An address seen before under another (or no) host name.
			for _, r := range rows {
				if r.addr == addr && (host == "" || r.host == "" || r.host == host) {
					if r.host == "" {
						r.host = host
					}
					return r
				}
			}
		}
		r := &matrixRow{host: host, addr: addr}
		rows = append(rows, r)
		index[k] = r
		return r
	}
	if mx := byID["mx"]; mx != nil {
		if d, ok := mx.data.(map[string]any); ok {
			hosts, _ := d["hosts"].([]any)
			for _, h := range hosts {
				hm, _ := h.(map[string]any)
				if hm == nil {
					continue
				}
				name := firstStr(hm, "name", "host")
				addrs, _ := hm["addresses"].([]any)
				if len(addrs) == 0 {
					r := add(name, "")
					r.hostErr = firstStr(hm, "error")
				}
				for _, a := range addrs {
					if s, ok := a.(string); ok {
						add(name, s)
					}
				}
			}
		}
	}
	// Per-address data of the smtp and tls checks: stages and transcripts.
	for _, id := range []string{"smtp", "tls"} {
		r := byID[id]
		if r == nil || r.data == nil {
			continue
		}
		walkAddrObjects(r.data, "", 0, func(host, addr string, obj map[string]any) {
			row := add(host, addr)
			if id == "smtp" {
				if _, ok := obj["stages"]; ok {
					row.staged = true
				}
			}
			readStages(row, obj, id == "tls")
			if len(row.lines) == 0 {
				row.lines = readTranscript(obj)
			}
		})
	}
	// DANE not published for a host ("dane": "none" in the tls data):
	// nothing to check, which is not a pass.
	if r := byID["tls"]; r != nil {
		if d, ok := r.data.(map[string]any); ok {
			hosts, _ := d["hosts"].([]any)
			for _, h := range hosts {
				hm, _ := h.(map[string]any)
				if hm == nil || firstStr(hm, "dane") != "none" {
					continue
				}
				name := firstStr(hm, "name", "host")
				for _, row := range rows {
					if row.host == name {
						row.cells[colDANE].info = true
					}
				}
			}
		}
	}
	// Blocklist status per address.
	if r := byID["dnsbl"]; r != nil {
		if d, ok := r.data.(map[string]any); ok {
			list, _ := d["addresses"].([]any)
			for _, t := range list {
				tm, _ := t.(map[string]any)
				if tm == nil {
					continue
				}
				target := firstStr(tm, "target", "address")
				for _, row := range rows {
					if row.addr != target {
						continue
					}
					c := &row.cells[colBL]
					c.set = true
					switch firstStr(tm, "status") {
					case "listed":
						c.sev = worse(c.sev, checks.SevFail)
					case "unknown":
						c.sev = worse(c.sev, checks.SevError)
					}
				}
			}
		}
	}
	// Findings about a host or address mark its cells; a check that
	// finished without a finding about it marks them ok.
	for _, row := range rows {
		if row.addr == "" {
			continue // nothing to connect to
		}
		for col := 0; col < numCols; col++ {
			cr := byID[colCheck[col]]
			if cr == nil || cr.res == nil || cr.running || cr.status == checks.StatusSkip {
				continue
			}
			c := &row.cells[col]
			// A column passes by default only when the stages before it
			// did: a server that refused the connection was never asked
			// for STARTTLS.
			byDefault := c.set || col == colMTASTS || col == colBL ||
				!((colCheck[col] == "smtp" && row.staged) || blockedBefore(row, col))
			for _, f := range cr.findings {
				if !hasPrefix(f.ID, colFindings[col]) || !aboutRow(f.Subject, row, col == colMTASTS) {
					continue
				}
				c.set = true
				if f.Severity != checks.SevInfo {
					c.sev = worse(c.sev, f.Severity)
					c.info = false
				} else if col == colMTASTS {
					c.info = true // e.g. no policy published
				}
			}
			if byDefault {
				c.set = true
			} else if !c.set {
				continue
			}
			if cr.res.Err != "" && c.sev == "" {
				c.sev = checks.SevError
			}
		}
	}
	// Without a transcript in the data, the SMTP lines of a finding about
	// the server stand in.
	for _, id := range []string{"smtp", "tls"} {
		cr := byID[id]
		if cr == nil {
			continue
		}
		for _, row := range rows {
			for _, f := range cr.findings {
				if len(row.lines) == 0 && row.addr != "" && f.Evidence != nil && len(f.Evidence.SMTP) > 0 && aboutRow(f.Subject, row, false) {
					row.lines = f.Evidence.SMTP
				}
			}
		}
	}
	mm.rows = rows
	if mm.cursor >= len(rows) {
		mm.cursor = 0
	}
}

// blockedBefore reports whether an earlier protocol stage failed.
func blockedBefore(r *matrixRow, col int) bool {
	for i := colConnect; i < col && i <= colSTARTTLS; i++ {
		if r.cells[i].sev == checks.SevFail || r.cells[i].sev == checks.SevError {
			return true
		}
	}
	return false
}

func worse(a, b checks.Severity) checks.Severity {
	if a == "" || b.Rank() > a.Rank() {
		return b
	}
	return a
}

func hasPrefix(id string, ps []string) bool {
	for _, p := range ps {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

// aboutRow reports whether a finding's subject names the row's address or
// host (domain-wide findings count for MTA-STS).
func aboutRow(subject string, r *matrixRow, domainWide bool) bool {
	s := strings.ToLower(strings.TrimSuffix(subject, "."))
	if r.addr != "" && strings.Contains(s, strings.ToLower(r.addr)) {
		return true
	}
	if r.host != "" && strings.Contains(s, strings.ToLower(r.host)) {
		// "mx1.example [192.0.2.1]" for another address of the same host
		// does not count for this one.
		if r.addr != "" && strings.ContainsAny(s, "[") && !strings.Contains(s, r.addr) {
			return false
		}
		return true
	}
	if domainWide {
		return !looksLikeOtherHost(s)
	}
	return false
}

func looksLikeOtherHost(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	return strings.HasPrefix(s, "mx") // another MX host named in the subject
}

// walkAddrObjects calls fn for every JSON object that names an IP address
// (keys address, addr or ip), with the nearest host name around it.
func walkAddrObjects(v any, host string, depth int, fn func(host, addr string, obj map[string]any)) {
	if depth > 8 {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		if h := firstStr(t, "host", "mx", "name", "hostname"); h != "" {
			if _, err := netip.ParseAddr(h); err != nil {
				host = h
			}
		}
		if a := firstStr(t, "address", "addr", "ip"); a != "" {
			if ap, err := netip.ParseAddrPort(a); err == nil {
				a = ap.Addr().String()
			}
			if _, err := netip.ParseAddr(a); err == nil {
				fn(host, a, t)
				return
			}
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkAddrObjects(t[k], host, depth+1, fn)
		}
	case []any:
		for _, e := range t {
			walkAddrObjects(e, host, depth+1, fn)
		}
	}
}

// readStages fills cells from a "stages" list of {stage, duration_ms, error}.
func readStages(row *matrixRow, obj map[string]any, tlsOnly bool) {
	stages, _ := obj["stages"].([]any)
	for _, s := range stages {
		sm, _ := s.(map[string]any)
		if sm == nil {
			continue
		}
		name := strings.ToLower(firstStr(sm, "stage", "name", "step"))
		col, ok := stageCol[name]
		if !ok || (tlsOnly && col != colSTARTTLS) {
			continue
		}
		c := &row.cells[col]
		c.set = true
		if ms, ok := sm["duration_ms"].(float64); ok && !c.hasM {
			c.ms, c.hasM = ms, true
		}
		if firstStr(sm, "error") != "" {
			// A stage that broke is "could not test" unless a finding
			// of the check says the server is wrong (e.g. refused).
			c.sev = worse(c.sev, checks.SevError)
		} else if rep, ok := sm["reply"].(map[string]any); ok {
			if code, ok := rep["code"].(float64); ok && code >= 400 {
				c.sev = worse(c.sev, checks.SevFail)
			}
		}
	}
}

// readTranscript reads a transcript list of {dir, text} (or "lines").
func readTranscript(obj map[string]any) []checks.Line {
	var list []any
	for _, k := range []string{"transcript", "lines", "session"} {
		switch t := obj[k].(type) {
		case []any:
			list = t
		case map[string]any:
			if l, ok := t["entries"].([]any); ok {
				list = l
			} else if l, ok := t["lines"].([]any); ok {
				list = l
			}
		}
		if list != nil {
			break
		}
	}
	var out []checks.Line
	for _, e := range list {
		switch t := e.(type) {
		case map[string]any:
			out = append(out, checks.Line{Dir: checks.Direction(firstStr(t, "dir")), Text: firstStr(t, "text", "line")})
		case string:
			out = append(out, checks.Line{Dir: checks.DirInfo, Text: t})
		}
	}
	return out
}

// Matrix layout widths.
const cellW = 7

func (mm matrixModel) view(h int, byID map[string]*checkRow) string {
	st, g := mm.c.st, mm.c.g
	if len(mm.rows) == 0 {
		if r := byID["mx"]; r == nil {
			return st.Faint.Render("The mx check is not part of this run: no MX hosts to show.")
		} else if r.running || r.res == nil {
			return st.Faint.Render("Waiting for the MX hosts…")
		}
		return st.Faint.Render("No MX address to show (see the mx check).")
	}
	labelW := mm.c.width - 2 - numCols*cellW
	if labelW < 12 {
		labelW = 12
	}
	if labelW > 30 {
		labelW = 30
	}
	var b strings.Builder
	hdr := "  " + pad("MX ADDRESS", labelW, "")
	for _, n := range colNames {
		hdr += padLeft(n, cellW)
	}
	b.WriteString(st.Label.Render(hdr) + "\n")
	lines := 1
	lastHost := "\x00"
	// Rows with their host headers; keep the cursor visible.
	type out struct {
		text string
		row  int // -1 for a host header
	}
	var outs []out
	for i, r := range mm.rows {
		if r.host != lastHost {
			outs = append(outs, out{st.Bold.Render(clean(orDash(r.host))), -1})
			lastHost = r.host
		}
		cur := "  "
		if i == mm.cursor {
			cur = g.Cursor + " "
		}
		label := "  " + clean(r.addr)
		if r.addr == "" {
			label = "  " + st.Error.Render("no address")
			if r.hostErr != "" {
				label += " " + st.Faint.Render(clean(r.hostErr))
			}
		}
		line := cur + pad(label, labelW, g.Ellipsis)
		for col := 0; col < numCols; col++ {
			line += padLeft(mm.cellText(r.cells[col], byID[colCheck[col]]), cellW)
		}
		if i == mm.cursor {
			line = st.Selected.Render(line)
		}
		outs = append(outs, out{line, i})
	}
	avail := h - lines
	start := 0
	for j, o := range outs {
		if o.row == mm.cursor && j >= avail {
			start = j - avail + 1
		}
	}
	for j := start; j < len(outs) && j < start+avail; j++ {
		b.WriteString(outs[j].text)
		if j+1 < len(outs) && j+1 < start+avail {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (mm matrixModel) cellText(c cell, src *checkRow) string {
	st, g := mm.c.st, mm.c.g
	if !c.set {
		if src != nil && src.running {
			return st.Faint.Render(g.Ellipsis)
		}
		return st.Faint.Render(g.None)
	}
	mark, style := g.Ok, st.Pass
	if c.sev == "" && c.info {
		mark, style = g.None, st.Faint
	}
	switch c.sev {
	case checks.SevWarn:
		mark, style = g.Warn, st.Warn
	case checks.SevFail:
		mark, style = g.Fail, st.Fail
	case checks.SevError:
		mark, style = g.Error, st.Error
	}
	s := mark
	if c.hasM {
		s += " " + fmtMs(c.ms)
	}
	return style.Render(s)
}

// fmtMs keeps a cell narrow: 41, 812, 2.5s, 10s.
func fmtMs(ms float64) string {
	switch {
	case ms < 1000:
		return fmt.Sprintf("%.0f", ms)
	case ms < 10000:
		return fmt.Sprintf("%.1fs", ms/1000)
	}
	return fmt.Sprintf("%.0fs", ms/1000)
}

func (mm matrixModel) legend() string {
	g := mm.c.g
	return mm.c.st.Faint.Render(fmt.Sprintf("%s ok  %s warn  %s fail  %s could not test  %s not run%snumbers: ms%sSTLS=STARTTLS STS=MTA-STS BL=blocklists",
		g.Ok, g.Warn, g.Fail, g.Error, g.None, g.Dot, g.Dot))
}
