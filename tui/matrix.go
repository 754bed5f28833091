package tui

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsbl"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/smtpwire"
	"github.com/mxray/mxray/checks/tlscheck"
)

// matrixSources are the checks whose results feed the MX matrix.
var matrixSources = map[string]bool{"mx": true, "smtp": true, "tls": true, "mtasts": true, "dnsbl": true}

// The matrix columns, least important last: a narrow screen drops
// columns from the middle (dropOrder), never the last ones.
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
	{"smtp.connect-"},
	{"smtp.banner-", "smtp.slow-banner", "smtp.greylisted"},
	{"smtp.ehlo-"},
	{"tls.starttls-", "tls.handshake-", "tls.old-protocol"},
	{"tls.cert-", "tls.weak-key"},
	{"tls.dane-"},
	{"mtasts.", "tls.mtasts-"},
	{"dnsbl."},
}

// dropOrder is the order in which a narrow screen gives up columns: the
// protocol steps a failure in a later column implies first, the verdicts
// (STLS, CERT, STS, BL) last.
var dropOrder = []int{colEHLO, colBanner, colDANE, colConnect, colCert, colSTARTTLS}

// stageCol maps the SMTP session's stage names (smtpwire) to columns.
var stageCol = map[string]int{
	"connect": colConnect,
	"banner":  colBanner,
	"ehlo":    colEHLO, "helo": colEHLO,
	"starttls": colSTARTTLS, "tls_handshake": colSTARTTLS,
}

// cellKind is what a cell of the matrix says.
type cellKind int

// The kinds of cell, each with its own glyph (see the legend). Only
// cellOK shows a tick, and only when a test passed.
const (
	cellNotRun  cellKind = iota // nothing known: not run, not reached, no data
	cellRunning                 // the check behind the column is running
	cellSkipped                 // the check (or its test of this address) was skipped
	cellNothing                 // nothing to test (no TLSA records, no MTA-STS policy)
	cellOK                      // tested, and it passed
	cellProblem                 // a finding or the data: sev says how bad (error: could not test)
)

// cell is one mark of the matrix.
type cell struct {
	kind cellKind
	sev  checks.Severity // cellProblem: warn, fail, or error (could not test)
	ms   float64
	hasM bool
	note string // why the cell is not a tick
}

// ok marks the cell tested and passed, unless it says more already.
func (c *cell) ok() {
	if c.kind < cellOK {
		c.kind, c.note = cellOK, ""
	}
}

// raise marks a problem of severity sev (info is ignored), keeping the
// worst one and its note.
func (c *cell) raise(sev checks.Severity, note string) {
	if sev == checks.SevInfo || !sev.Valid() {
		return
	}
	if c.kind == cellProblem && sev.Rank() <= c.sev.Rank() {
		if c.note == "" {
			c.note = note
		}
		return
	}
	c.kind, c.sev = cellProblem, sev
	if note != "" || c.note == "" {
		c.note = note
	}
}

// set marks kind k with a note when the cell says nothing stronger.
func (c *cell) set(k cellKind, note string) {
	if c.kind <= k && c.kind != cellProblem {
		c.kind, c.note = k, note
	}
}

// matrixRow is one MX address.
type matrixRow struct {
	host, addr string
	hostErr    string
	cells      [numCols]cell
	smtp       *smtp.Address     // nil: the smtp check's data does not mention the address
	tls        *tlscheck.Address // nil: the tls check's data does not mention it
	tlsHost    *tlscheck.Host
	lines      []checks.Line
}

// notes lists the cells that say why they show no tick, columns with the
// same reason together.
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
// per protocol stage or property, each cell read from the typed data and
// findings of the check behind it.
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
	case key.Matches(km, k.Open):
		if row, ok := mm.selected(); ok {
			return nil, openTranscript{row: row}
		}
	case key.Matches(km, k.Rerun):
		return nil, rerun{ids: mm.sources()}
	case key.Matches(km, k.NextFinding), key.Matches(km, k.PrevFinding):
		mm.cursor = nextMatching(mm.cursor, len(mm.rows), key.Matches(km, k.NextFinding), func(i int) bool {
			for _, c := range mm.rows[i].cells {
				if c.kind == cellProblem {
					return true
				}
			}
			return false
		})
	default:
		mm.cursor = moveCursor(mm.c.keys, km, mm.cursor, len(mm.rows), mm.height-1)
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

func (mm matrixModel) selected() (*matrixRow, bool) {
	if mm.cursor >= 0 && mm.cursor < len(mm.rows) {
		return mm.rows[mm.cursor], true
	}
	return nil, false
}

// dataOf returns the typed data of a check's row when it is a T (or *T),
// else nil.
func dataOf[T any](r *checkRow) *T {
	if r == nil || r.res == nil {
		return nil
	}
	switch d := r.res.Data.(type) {
	case T:
		return &d
	case *T:
		return d
	}
	return nil
}

// normHost writes a host name the way findings do: lower case, no
// trailing dot.
func normHost(s string) string { return strings.ToLower(strings.TrimSuffix(s, ".")) }

// normAddr writes an IP address the way netip does (the checks' data may
// spell IPv6 differently).
func normAddr(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().String()
	}
	return s
}

// matrixData is the typed data the matrix is read from (nil when a check
// has none).
type matrixData struct {
	mx     *mx.Data
	smtp   *smtp.Data
	tls    *tlscheck.Data
	mtasts *mtasts.Data
	dnsbl  *dnsbl.Data
	hosts  map[string]bool // the MX host names, normalised
}

// rebuild derives the matrix from the checks' typed data and findings.
func (mm *matrixModel) rebuild() {
	byID := mm.live.byID
	d := matrixData{
		mx: dataOf[mx.Data](byID["mx"]), smtp: dataOf[smtp.Data](byID["smtp"]),
		tls: dataOf[tlscheck.Data](byID["tls"]), mtasts: dataOf[mtasts.Data](byID["mtasts"]),
		dnsbl: dataOf[dnsbl.Data](byID["dnsbl"]), hosts: map[string]bool{},
	}
	var rows []*matrixRow
	index := map[string]*matrixRow{}
	add := func(host, addr string) *matrixRow {
		host, addr = normHost(host), normAddr(addr)
		d.hosts[host] = host != ""
		k := host + "|" + addr
		if r, ok := index[k]; ok {
			return r
		}
		r := &matrixRow{host: host, addr: addr}
		rows = append(rows, r)
		index[k] = r
		return r
	}
	if d.mx != nil {
		for _, h := range d.mx.Hosts {
			if len(h.Addresses) == 0 {
				add(h.Name, "").hostErr = h.Error
			}
			for _, a := range h.Addresses {
				add(h.Name, a.String())
			}
		}
	}
	if d.smtp != nil {
		for i := range d.smtp.Hosts {
			h := &d.smtp.Hosts[i]
			for j := range h.Addresses {
				a := &h.Addresses[j]
				r := add(h.Name, a.Address)
				r.smtp = a
				if len(r.lines) == 0 {
					r.lines = linesOf(a.Transcript)
				}
			}
		}
	}
	if d.tls != nil {
		for i := range d.tls.Hosts {
			h := &d.tls.Hosts[i]
			for j := range h.Addresses {
				a := &h.Addresses[j]
				r := add(h.Name, a.Address)
				r.tls, r.tlsHost = a, h
				if len(r.lines) == 0 {
					r.lines = linesOf(a.Transcript)
				}
			}
			for _, r := range rows {
				if r.host == normHost(h.Name) && r.tlsHost == nil {
					r.tlsHost = h
				}
			}
		}
	}
	for _, row := range rows {
		if row.addr == "" {
			continue // nothing to connect to
		}
		for col := range numCols {
			mm.fill(row, col, &d)
		}
	}
	// Without a transcript in the data, the SMTP lines of a finding about
	// the address stand in.
	for _, id := range []string{"smtp", "tls"} {
		cr := byID[id]
		if cr == nil {
			continue
		}
		for _, row := range rows {
			for _, f := range cr.findings {
				if len(row.lines) == 0 && row.addr != "" && f.Evidence != nil && len(f.Evidence.SMTP) > 0 && normAddr(f.Address) == row.addr {
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

// linesOf turns a session's transcript into lines.
func linesOf(es []smtpwire.Entry) []checks.Line {
	out := make([]checks.Line, 0, len(es))
	for _, e := range es {
		out = append(out, checks.Line{Dir: e.Dir, Text: e.Text})
	}
	return out
}

// fill decides one cell: the state of the check behind the column first
// (not in the run, running, skipped, interrupted), then what its data
// says about the address, then its findings about the address, its host
// or (for MTA-STS) the domain.
func (mm *matrixModel) fill(row *matrixRow, col int, d *matrixData) {
	c := &row.cells[col]
	id := colCheck[col]
	src := mm.live.byID[id]
	switch {
	case src == nil:
		c.set(cellNotRun, "the "+id+" check is not part of this run")
		return
	case src.running:
		c.kind = cellRunning
		return
	case src.interrupted:
		c.set(cellNotRun, "the "+id+" check was interrupted")
		return
	case src.res == nil:
		c.set(cellNotRun, "the "+id+" check has not run")
		return
	case src.status == checks.StatusSkip:
		note := "the " + id + " check was skipped"
		if src.res.Skip != "" {
			note += " (" + clean(src.res.Skip) + ")"
		}
		c.set(cellSkipped, note)
		return
	}
	switch col {
	case colConnect, colBanner, colEHLO:
		row.fillStage(col, d)
	case colSTARTTLS:
		row.fillSTARTTLS()
	case colCert:
		row.fillCert()
	case colDANE:
		row.fillDANE()
	case colMTASTS:
		row.fillMTASTS(d)
	case colBL:
		row.fillBL(d)
	}
	for _, f := range src.findings {
		if hasPrefix(f.ID, colFindings[col]) && findingAbout(f, row, d.hosts, col == colMTASTS) {
			c.raise(f.Severity, "")
		}
	}
	// The tls check judges each address against the MTA-STS policy
	// (tls.mtasts-would-fail): that verdict belongs in STS too.
	if tc := mm.live.byID["tls"]; col == colMTASTS && tc != nil && tc.res != nil {
		for _, f := range tc.findings {
			if hasPrefix(f.ID, colFindings[col]) && findingAbout(f, row, d.hosts, false) {
				c.raise(f.Severity, "")
			}
		}
	}
	if src.res.Err != "" && c.kind != cellProblem {
		// The check could not decide: what it did not flag is not known
		// to be fine.
		c.kind, c.sev = cellProblem, checks.SevError
		c.note = "the " + id + " check could not decide: " + clean(strings.TrimPrefix(src.res.Err, notDecided))
	}
}

// findingAbout reports whether a finding is about the row: by its
// address, else by its host. A finding that names neither address nor an
// MX host is about the domain: it counts only where domainWide is set
// (the domain's MTA-STS policy).
func findingAbout(f checks.Finding, r *matrixRow, mxHosts map[string]bool, domainWide bool) bool {
	if f.Address != "" {
		return normAddr(f.Address) == r.addr
	}
	if h := normHost(f.Host); h != "" && mxHosts[h] {
		return h == r.host
	}
	if !domainWide {
		return false
	}
	if f.ID == "mtasts.mx-mismatch" && f.Host == "" {
		// About one MX host, which the finding does not name yet: the
		// mtasts data's coverage says which (fillMTASTS).
		return false
	}
	return true
}

// fillStage reads a protocol stage of the SMTP session: the smtp check's,
// or the tls check's when it opened its own.
func (r *matrixRow) fillStage(col int, d *matrixData) {
	c := &r.cells[col]
	var stages []smtpwire.Stage
	var outcome, errText string
	switch {
	case r.smtp != nil:
		stages, outcome, errText = r.smtp.Stages, string(r.smtp.Outcome), r.smtp.Error
	case d.smtp == nil && r.tls != nil:
		stages, outcome, errText = r.tls.Stages, r.tls.Outcome, r.tls.Error
	default:
		c.set(cellNotRun, "the smtp check has no result for this address")
		return
	}
	if readStage(c, stages, col) {
		return // a finding about the stage (slow banner...) raises it
	}
	c.set(cellNotRun, "not reached"+outcomeNote(outcome, errText))
}

// readStage fills c from the stages of col and reports whether any was
// there.
func readStage(c *cell, stages []smtpwire.Stage, col int) bool {
	found := false
	for _, s := range stages {
		sc, ok := stageCol[s.Name]
		if !ok || sc != col {
			continue
		}
		found = true
		if !c.hasM {
			c.ms, c.hasM = s.DurationMs, true
		}
		switch {
		case s.Error != "" && s.Reply != nil && s.Reply.Code >= 400:
			c.raise(checks.SevFail, s.Name+": "+clean(s.Error))
		case s.Error != "":
			// A stage that broke is "could not test" unless a finding
			// says the server is wrong (e.g. refused).
			c.raise(checks.SevError, s.Name+": "+clean(s.Error))
		case s.Reply != nil && s.Reply.Code >= 400:
			c.raise(checks.SevFail, fmt.Sprintf("%s: the server answered %d", s.Name, s.Reply.Code))
		default:
			c.ok()
		}
	}
	return found
}

func (r *matrixRow) fillSTARTTLS() {
	c := &r.cells[colSTARTTLS]
	if r.tls != nil {
		switch r.tls.Outcome {
		case "tls":
			readStage(c, r.tls.Stages, colSTARTTLS)
			c.ok()
			return
		case "no-starttls":
			c.raise(checks.SevFail, "the server does not offer STARTTLS")
			return
		case "handshake-failed":
			c.raise(checks.SevFail, "the TLS handshake failed"+errNote(r.tls.Error))
			return
		case "not-tested":
			if blockedBefore(r, colSTARTTLS) {
				c.set(cellNotRun, "not reached: an earlier stage failed")
			} else {
				c.raise(checks.SevError, "could not test TLS"+errNote(r.tls.Error))
			}
			return
		}
	}
	if blockedBefore(r, colSTARTTLS) {
		c.set(cellNotRun, "not reached: an earlier stage failed")
		return
	}
	if r.tls == nil {
		c.set(cellNotRun, "the tls check has no result for this address")
		return
	}
	c.set(cellNotRun, "not tested"+outcomeNote(r.tls.Outcome, r.tls.Error))
}

func (r *matrixRow) fillCert() {
	c := &r.cells[colCert]
	switch {
	case r.tls == nil:
		c.set(cellNotRun, "the tls check has no result for this address")
	case r.tls.Outcome != "tls":
		c.set(cellNotRun, "no TLS session to examine"+outcomeNote(r.tls.Outcome, r.tls.Error))
	default:
		// Examined: how bad an untrusted or mismatched certificate is
		// depends on DANE and MTA-STS, which the tls check weighs; its
		// findings about the address raise the cell.
		c.ok()
	}
}

func (r *matrixRow) fillDANE() {
	c := &r.cells[colDANE]
	switch {
	case r.tls == nil || r.tlsHost == nil:
		c.set(cellNotRun, "the tls check has no result for this address")
		return
	case r.tls.Outcome != "tls":
		c.set(cellNotRun, "no TLS session to examine"+outcomeNote(r.tls.Outcome, r.tls.Error))
		return
	}
	switch r.tlsHost.DANE {
	case "applies":
		if r.tls.DANEMatch != "" {
			c.ok()
		} else {
			c.raise(checks.SevFail, "no TLSA record matches the certificate")
		}
	case "none":
		c.set(cellNothing, "no TLSA records published (DANE not in use)")
	case "unsigned":
		c.set(cellNothing, "TLSA records are not DNSSEC-validated, so senders ignore them")
	case "unusable":
		c.set(cellNothing, "no TLSA record that SMTP senders use")
	case "error":
		c.raise(checks.SevError, "the TLSA lookup failed")
	default:
		c.set(cellNotRun, "the tls check's data says nothing about DANE for this host")
	}
}

func (r *matrixRow) fillMTASTS(d *matrixData) {
	c := &r.cells[colMTASTS]
	sd := d.mtasts
	switch {
	case sd == nil:
		c.set(cellNotRun, "the mtasts check has no data")
		return
	case sd.Policy == nil && sd.TXT == nil:
		c.set(cellNothing, "no MTA-STS policy published")
		return
	case sd.Policy == nil:
		c.set(cellNotRun, "no policy could be read (see the mtasts check)")
		return
	case sd.Policy.Mode == mtasts.ModeNone:
		c.set(cellNothing, "the policy's mode is none: senders do not apply it")
	case r.tls == nil:
		// The policy was read, but whether an MTA-STS sender delivers to
		// this address is the tls check's test, not done here.
		c.set(cellNotRun, "the policy was read, but the tls check did not test this address against it")
	default:
		c.ok()
	}
	for _, m := range sd.MX {
		if normHost(m.Host) == r.host && !m.Covered {
			c.raise(checks.SevWarn, "no mx line of the policy matches this host")
		}
	}
	if h := r.tlsHost; h != nil && h.MTASTS != nil {
		switch h.MTASTS.Verdict {
		case tlscheck.STSWouldFail:
			c.raise(checks.SevWarn, "an MTA-STS sender would refuse this host"+errNote(h.MTASTS.WouldFail))
		case tlscheck.STSNotCovered:
			c.raise(checks.SevWarn, "no mx line of the policy matches this host")
		case tlscheck.STSUndecided:
			c.raise(checks.SevError, "not every address of the host could be tested against the policy")
		}
	}
	if r.tls != nil && r.tls.MTASTSWouldFail != "" {
		c.raise(checks.SevWarn, "an MTA-STS sender would refuse this address: "+clean(r.tls.MTASTSWouldFail))
	}
}

func (r *matrixRow) fillBL(d *matrixData) {
	c := &r.cells[colBL]
	if d.dnsbl == nil {
		c.set(cellNotRun, "the dnsbl check has no data")
		return
	}
	for _, s := range d.dnsbl.Skipped {
		if normAddr(s.Target) == r.addr {
			c.set(cellSkipped, "not asked: "+clean(s.Reason))
			return
		}
	}
	var td *dnsbl.TargetData
	for i := range d.dnsbl.Addresses {
		if normAddr(d.dnsbl.Addresses[i].Target) == r.addr {
			td = &d.dnsbl.Addresses[i]
		}
	}
	switch {
	case td == nil:
		c.set(cellNotRun, "the dnsbl check did not ask any list about this address")
	case !td.Queried:
		c.raise(checks.SevError, "no list gave a usable answer"+failedNote(td))
	case td.Status == dnsbl.TargetListed:
		c.raise(checks.SevWarn, "listed (see the dnsbl check)")
	case td.Status == dnsbl.TargetClean:
		c.ok()
	default:
		c.raise(checks.SevError, "not listed where asked, but some lists could not answer"+failedNote(td))
	}
}

func outcomeNote(outcome, errText string) string {
	if outcome == "" && errText == "" {
		return ""
	}
	s := " (" + clean(outcome)
	if errText != "" {
		if outcome != "" {
			s += ": "
		}
		s += clean(errText)
	}
	return s + ")"
}

func errNote(e string) string {
	if e == "" {
		return ""
	}
	return ": " + clean(e)
}

// failedNote names the lists that gave no usable answer for a target.
func failedNote(td *dnsbl.TargetData) string {
	var zones []string
	for _, z := range td.Zones {
		if z.Status != dnsbl.StatusListed && z.Status != dnsbl.StatusClean {
			zones = append(zones, z.Zone)
		}
	}
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

// blockedBefore reports whether an earlier protocol stage failed or broke.
func blockedBefore(r *matrixRow, col int) bool {
	for i := colConnect; i < col && i <= colSTARTTLS; i++ {
		if c := r.cells[i]; c.kind == cellProblem && c.sev.Rank() >= checks.SevError.Rank() {
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

// Matrix layout widths.
const (
	cellW     = 7
	minLabelW = 17 // "  2001:db8::10" and a little more
)

// columns are the columns shown at width w: all of them when they fit,
// else without the least important (dropOrder), keeping the last ones.
func (mm matrixModel) columns() []int {
	shown := map[int]bool{}
	for c := range numCols {
		shown[c] = true
	}
	n := numCols
	for _, c := range dropOrder {
		if 2+minLabelW+n*cellW <= mm.width {
			break
		}
		shown[c] = false
		n--
	}
	var out []int
	for c := range numCols {
		if shown[c] {
			out = append(out, c)
		}
	}
	return out
}

func (mm matrixModel) view() string {
	st, g := mm.c.st, mm.c.g
	h, byID := mm.height, mm.live.byID
	if len(mm.rows) == 0 {
		if r := byID["mx"]; r == nil {
			return st.Faint.Render("The mx check is not part of this run: no MX hosts to show.")
		} else if r.running || r.res == nil {
			return st.Faint.Render("Waiting for the MX hosts" + g.Ellipsis)
		}
		return st.Faint.Render("No MX address to show (see the mx check).")
	}
	cols := mm.columns()
	labelW := mm.width - 2 - len(cols)*cellW
	if labelW < 12 {
		labelW = 12
	}
	if labelW > 30 {
		labelW = 30
	}
	var b strings.Builder
	hdr := "  " + pad("MX ADDRESS", labelW, "")
	for _, c := range cols {
		hdr += padLeft(colNames[c], cellW)
	}
	if len(cols) < numCols {
		hdr = "  " + pad(fmt.Sprintf("MX ADDRESS (%d cols hidden)", numCols-len(cols)), labelW, g.Ellipsis)
		for _, c := range cols {
			hdr += padLeft(colNames[c], cellW)
		}
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
		for _, col := range cols {
			line += padLeft(mm.cellText(r.cells[col]), cellW)
		}
		if i == mm.cursor {
			line = st.Selected.Render(line)
		}
		outs = append(outs, out{line, i})
	}
	// Under the table: why the selected address's cells show no tick.
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

// cellText is a cell's glyph in its style, with the stage's time when the
// data has one.
func (mm matrixModel) cellText(c cell) string {
	st, g := mm.c.st, mm.c.g
	var mark string
	style := st.Faint
	switch c.kind {
	case cellRunning:
		return st.Faint.Render(g.Ellipsis)
	case cellNotRun:
		return st.Faint.Render(g.None)
	case cellSkipped:
		return st.Faint.Render(g.Skip)
	case cellNothing:
		return st.Faint.Render(g.NA)
	case cellOK:
		mark, style = g.Ok, st.Pass
	case cellProblem:
		switch c.sev {
		case checks.SevWarn:
			mark, style = g.Warn, st.Warn
		case checks.SevFail:
			mark, style = g.Fail, st.Fail
		default:
			mark, style = g.Error, st.Error
		}
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
	return mm.c.st.Faint.Render(fmt.Sprintf("%s ok  %s warn  %s fail  %s could not test  %s nothing to test  %s skipped  %s not run%snumbers: ms%sSTLS=STARTTLS STS=MTA-STS BL=blocklists",
		g.Ok, g.Warn, g.Fail, g.Error, g.NA, g.Skip, g.None, g.Dot, g.Dot))
}
