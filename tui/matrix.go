package tui

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

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

// cell is one mark of the matrix. A cell shows a tick only when the data
// of the check behind its column says the address was tested there.
type cell struct {
	sev  checks.Severity // "" ok, or the worst finding
	set  bool            // something is known
	info bool            // only informational findings (e.g. no MTA-STS policy)
	ms   float64
	hasM bool
	note string // why the cell shows no verdict (not tested, could not test)
}

// addrData is what one check's data says about one address.
type addrData struct {
	outcome string // e.g. completed, timeout (smtp); tls, no-starttls, not-tested (tls)
	err     string
}

// blData is what the dnsbl check's data says about one address.
type blData struct {
	status string // listed, clean, unknown
	usable int    // lists that gave an answer that counts (listed or clean)
	failed []string
}

// matrixRow is one MX address.
type matrixRow struct {
	host, addr string
	hostErr    string
	cells      [numCols]cell
	staged     bool      // the smtp data has per-stage results for this address
	smtp, tls  *addrData // nil: the check's data does not mention the address
	lines      []checks.Line
}

// notes lists the cells that say why they show no verdict (not tested,
// could not test), columns with the same reason together.
func (r *matrixRow) notes() []string {
	var order []string
	cols := map[string][]string{}
	for col, c := range r.cells {
		if c.note == "" {
			continue
		}
		if cols[c.note] == nil {
			order = append(order, c.note)
		}
		cols[c.note] = append(cols[c.note], colNames[col])
	}
	out := make([]string, 0, len(order))
	for _, n := range order {
		out = append(out, strings.Join(cols[n], " ")+": "+n)
	}
	return out
}

// matrixModel is the MX matrix pane: one row per MX address, one column
// per protocol stage or property, each cell ticked only when the data of the
// check behind it says the address was tested there.
type matrixModel struct {
	c             *common
	live          *liveState
	width, height int
	rows          []*matrixRow
	cursor        int
}

func (mm *matrixModel) setSize(w, h int) { mm.width, mm.height = w, h }

// update moves the cursor; enter opens the address's transcript, r re-runs
// the checks the matrix shows, esc goes back.
func (mm *matrixModel) update(msg tea.Msg) (tea.Cmd, intent) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil, nil
	}
	k := mm.c.keys
	switch {
	case key.Matches(km, k.Back):
		return nil, goBack{}
	case key.Matches(km, k.Up):
		mm.move(-1)
	case key.Matches(km, k.Down):
		mm.move(1)
	case key.Matches(km, k.Open):
		if row, ok := mm.selected(); ok {
			return nil, openTranscript{row: row}
		}
	case key.Matches(km, k.Rerun):
		return nil, rerun{ids: mm.sources()}
	}
	return nil, nil
}

// sources are the checks behind the matrix that are not running, in the
// dashboard's order. With none, it is nil, and r re-runs every check.
func (mm matrixModel) sources() []string {
	var ids []string
	for _, r := range mm.live.rows {
		if matrixSources[r.info.ID] && !r.running {
			ids = append(ids, r.info.ID)
		}
	}
	return ids
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
func (mm *matrixModel) rebuild() {
	byID := mm.live.byID
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
	// Per-address data of the smtp and tls checks: outcomes, stages and
	// transcripts.
	for _, id := range []string{"smtp", "tls"} {
		r := byID[id]
		if r == nil || r.data == nil {
			continue
		}
		walkAddrObjects(r.data, "", 0, func(host, addr string, obj map[string]any) {
			row := add(host, addr)
			ad := &addrData{outcome: firstStr(obj, "outcome"), err: firstStr(obj, "error")}
			if id == "smtp" {
				row.smtp = ad
				if _, ok := obj["stages"]; ok {
					row.staged = true
				}
			} else {
				row.tls = ad
			}
			readStages(row, obj, id == "tls")
			if len(row.lines) == 0 {
				row.lines = readTranscript(obj)
			}
		})
	}
	dane := readDANE(byID["tls"])
	bl, blSkipped := readDNSBL(byID["dnsbl"])
	// Findings about a host or address mark its cells; what the data says
	// was tested without a finding marks them ok. Nothing else does.
	for _, row := range rows {
		if row.addr == "" {
			continue // nothing to connect to
		}
		for col := 0; col < numCols; col++ {
			c := &row.cells[col]
			cr := byID[colCheck[col]]
			switch {
			case cr == nil:
				if !c.set {
					c.note = "the " + colCheck[col] + " check is not part of this run"
				}
				continue
			case cr.running || cr.res == nil:
				continue
			case cr.status == checks.StatusSkip:
				if !c.set {
					c.note = "the " + colCheck[col] + " check was skipped"
					if cr.res.Skip != "" {
						c.note += " (" + clean(cr.res.Skip) + ")"
					}
				}
				continue
			}
			for _, f := range cr.findings {
				if !hasPrefix(f.ID, colFindings[col]) || !aboutRow(f.Subject, row, col == colMTASTS) {
					continue
				}
				if f.Severity != checks.SevInfo {
					c.set = true
					c.sev = checks.WorseSeverity(c.sev, f.Severity)
					c.info = false
				} else if col == colMTASTS {
					c.set = true
					c.info = true // e.g. no policy published
				}
			}
			// The tls check judges each address against the MTA-STS policy
			// (tls.mtasts-would-fail): that verdict belongs in STS too.
			if tc := byID["tls"]; col == colMTASTS && tc != nil && tc.res != nil {
				for _, f := range tc.findings {
					if f.ID == "tls.mtasts-would-fail" && aboutRow(f.Subject, row, false) {
						c.set, c.info = true, false
						c.sev = checks.WorseSeverity(c.sev, f.Severity)
					}
				}
			}
			tested, note := row.tested(col, dane[row.host], bl[normAddr(row.addr)], blSkipped[normAddr(row.addr)])
			switch {
			case tested == testedOK:
				c.set = true
			case tested == testedNone && !c.set:
				c.note = note
			case tested == testedInfo && c.sev == "":
				c.set, c.info, c.note = true, true, note
			case tested == testedBad && c.sev == "":
				c.set, c.sev, c.note = true, checks.SevFail, note
			case tested == testedError && c.sev == "":
				c.set, c.sev, c.note = true, checks.SevError, note
			}
			if cr.res.Err != "" && (c.sev == "" || !c.set) {
				// The check could not decide: what it did not flag is not
				// known to be fine.
				c.set, c.sev, c.info = true, checks.SevError, false
				c.note = "the " + colCheck[col] + " check could not decide: " + clean(strings.TrimPrefix(cr.res.Err, notDecided))
				if cr.interrupted {
					c.set, c.sev = false, ""
					c.note = "the " + colCheck[col] + " check was interrupted"
				}
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

// What a check's data says about one cell.
type testedState int

const (
	testedNone  testedState = iota // not tested: no tick, a note says why
	testedOK                       // tested; ok unless a finding says otherwise
	testedInfo                     // nothing to test (e.g. no TLSA records)
	testedBad                      // the data itself shows the failure
	testedError                    // tried, but could not tell
)

// tested reports whether the data of the check behind col says the row's
// address was tested there, and if not, why.
func (r *matrixRow) tested(col int, dane string, bl *blData, blSkip string) (testedState, string) {
	switch col {
	case colConnect, colBanner, colEHLO:
		if r.cells[col].set {
			return testedOK, "" // the stage is in the data
		}
		switch {
		case r.smtp == nil:
			return testedNone, "the smtp check has no result for this address"
		case r.staged || r.smtp.outcome != "completed":
			return testedNone, "not reached" + outcomeNote(r.smtp)
		}
		return testedOK, ""
	case colSTARTTLS:
		if r.tls != nil {
			switch r.tls.outcome {
			case "tls":
				return testedOK, ""
			case "no-starttls":
				return testedBad, "the server does not offer STARTTLS"
			case "handshake-failed":
				return testedBad, "the TLS handshake failed" + errNote(r.tls.err)
			}
		}
		if r.cells[col].set {
			return testedOK, "" // a STARTTLS stage in the data
		}
		if r.tls != nil && r.tls.outcome == "not-tested" {
			return testedError, "could not test TLS" + errNote(r.tls.err)
		}
		if blockedBefore(r, col) {
			return testedNone, "not reached: an earlier stage failed"
		}
		if r.tls == nil {
			return testedNone, "the tls check has no result for this address"
		}
		return testedNone, "not tested" + outcomeNote(r.tls)
	case colCert, colDANE:
		if r.tls == nil {
			return testedNone, "the tls check has no result for this address"
		}
		if r.tls.outcome != "tls" {
			return testedNone, "no TLS session to examine" + outcomeNote(r.tls)
		}
		if col == colCert {
			return testedOK, ""
		}
		switch dane {
		case "applies":
			return testedOK, ""
		case "none":
			return testedInfo, "no TLSA records published (DANE not in use)"
		case "unsigned":
			return testedInfo, "TLSA records are not DNSSEC-validated, so senders ignore them"
		case "unusable":
			return testedInfo, "no TLSA record that SMTP senders use"
		case "error":
			return testedError, "the TLSA lookup failed"
		}
		return testedNone, "the tls check's data says nothing about DANE for this host"
	case colMTASTS:
		return testedOK, "" // a domain-wide policy: the mtasts check tested it
	case colBL:
		switch {
		case bl == nil && blSkip != "":
			return testedNone, "not asked: " + clean(blSkip)
		case bl == nil:
			return testedNone, "the dnsbl check did not ask any list about this address"
		case bl.status == "listed":
			return testedBad, ""
		case bl.usable == 0:
			return testedError, "no list gave a usable answer" + failedNote(bl.failed)
		case bl.status == "clean":
			return testedOK, ""
		}
		return testedError, "not listed where asked, but some lists could not answer" + failedNote(bl.failed)
	}
	return testedNone, ""
}

func outcomeNote(a *addrData) string {
	if a == nil || (a.outcome == "" && a.err == "") {
		return ""
	}
	s := " (" + clean(a.outcome)
	if a.err != "" {
		if a.outcome != "" {
			s += ": "
		}
		s += clean(a.err)
	}
	return s + ")"
}

func errNote(e string) string {
	if e == "" {
		return ""
	}
	return ": " + clean(e)
}

func failedNote(zones []string) string {
	if len(zones) == 0 {
		return ""
	}
	const most = 3
	s := " (" + clean(strings.Join(zones[:min(len(zones), most)], ", "))
	if len(zones) > most {
		s += fmt.Sprintf(" and %d more", len(zones)-most)
	}
	return s + ")"
}

// readDANE reads the tls check's DANE state per host name.
func readDANE(r *checkRow) map[string]string {
	out := map[string]string{}
	if r == nil {
		return out
	}
	d, _ := r.data.(map[string]any)
	hosts, _ := d["hosts"].([]any)
	for _, h := range hosts {
		if hm, ok := h.(map[string]any); ok {
			out[firstStr(hm, "name", "host")] = firstStr(hm, "dane")
		}
	}
	return out
}

// readDNSBL reads the dnsbl check's data: per address, its verdict and how
// many lists gave an answer that counts; and the addresses it skipped, with
// the reason.
func readDNSBL(r *checkRow) (map[string]*blData, map[string]string) {
	out, skipped := map[string]*blData{}, map[string]string{}
	if r == nil {
		return out, skipped
	}
	d, _ := r.data.(map[string]any)
	list, _ := d["addresses"].([]any)
	for _, t := range list {
		tm, _ := t.(map[string]any)
		if tm == nil {
			continue
		}
		b := &blData{status: firstStr(tm, "status")}
		zones, _ := tm["zones"].([]any)
		for _, z := range zones {
			zm, _ := z.(map[string]any)
			switch firstStr(zm, "status") {
			case "listed", "clean":
				b.usable++
			case "unhealthy":
			default:
				b.failed = append(b.failed, firstStr(zm, "zone"))
			}
		}
		// The check's own word, where its data has it: "queried" is true
		// when at least one usable list answered for the address.
		if q, ok := tm["queried"].(bool); ok {
			n, _ := tm["lists_answered"].(float64)
			switch {
			case !q:
				b.usable = 0
			case n >= 1:
				b.usable = int(n)
			case b.usable == 0:
				b.usable = 1
			}
		}
		out[normAddr(firstStr(tm, "target", "address"))] = b
	}
	sk, _ := d["skipped"].([]any)
	for _, t := range sk {
		if tm, ok := t.(map[string]any); ok {
			skipped[normAddr(firstStr(tm, "target"))] = firstStr(tm, "reason")
		}
	}
	return out, skipped
}

// normAddr writes an IP address the way netip does (the other checks' data
// and the mx data may spell IPv6 differently).
func normAddr(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return s
}

// blockedBefore reports whether an earlier protocol stage failed or broke
// (error or worse, by the checks' ranking).
func blockedBefore(r *matrixRow, col int) bool {
	for i := colConnect; i < col && i <= colSTARTTLS; i++ {
		if r.cells[i].sev.Rank() >= checks.SevError.Rank() {
			return true
		}
	}
	return false
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
		if e := firstStr(sm, "error"); e != "" {
			// A stage that broke is "could not test" unless a finding
			// of the check says the server is wrong (e.g. refused).
			c.sev = checks.WorseSeverity(c.sev, checks.SevError)
			c.note = name + ": " + clean(e)
		} else if rep, ok := sm["reply"].(map[string]any); ok {
			if code, ok := rep["code"].(float64); ok && code >= 400 {
				c.sev = checks.WorseSeverity(c.sev, checks.SevFail)
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

func (mm matrixModel) view() string {
	st, g := mm.c.st, mm.c.g
	h, byID := mm.height, mm.live.byID
	if len(mm.rows) == 0 {
		if r := byID["mx"]; r == nil {
			return st.Faint.Render("The mx check is not part of this run: no MX hosts to show.")
		} else if r.running || r.res == nil {
			return st.Faint.Render("Waiting for the MX hosts…")
		}
		return st.Faint.Render("No MX address to show (see the mx check).")
	}
	labelW := mm.width - 2 - numCols*cellW
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
	// Under the table: why the selected address's blank cells are blank.
	var details []string
	if r, ok := mm.selected(); ok {
		details = mm.details(r, h/2)
	}
	avail := h - lines - len(details)
	if avail < 1 {
		avail, details = h-lines, nil
	}
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
	for _, l := range details {
		b.WriteString("\n" + l)
	}
	return b.String()
}

// details are the notes of the selected row's cells, wrapped, in at most
// most lines (the transcript pane shows them all).
func (mm matrixModel) details(r *matrixRow, most int) []string {
	notes := r.notes()
	if len(notes) == 0 || most < 2 {
		return nil
	}
	st, g := mm.c.st, mm.c.g
	w := mm.width
	out := []string{st.Faint.Render(strings.Repeat(g.Rule, w))}
	for _, n := range notes {
		out = append(out, strings.Split(hanging(n, w, "  ", "        "), "\n")...)
	}
	if len(out) > most {
		out = append(out[:most-1], st.Faint.Render("  "+g.Ellipsis+" enter shows every note"))
	}
	return out
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
	return mm.c.st.Faint.Render(fmt.Sprintf("%s ok  %s warn  %s fail  %s could not test  %s not tested%snumbers: ms%sSTLS=STARTTLS STS=MTA-STS BL=blocklists",
		g.Ok, g.Warn, g.Fail, g.Error, g.None, g.Dot, g.Dot))
}
