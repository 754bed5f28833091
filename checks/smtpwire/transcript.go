package smtpwire

import (
	"net"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/safetext"
)

// Limits that keep a hostile or broken peer from growing a transcript
// without bound.
const (
	MaxLines    = 400  // lines kept per transcript; later lines are counted, not kept
	MaxLineText = 1000 // characters kept per line
)

// Entry is one transcript line with its time offset from the session start.
type Entry struct {
	AtMs float64          `json:"at_ms"`
	Dir  checks.Direction `json:"dir"`
	Text string           `json:"text"`
}

// Transcript records a conversation: client lines, server lines and notes,
// in the order they crossed the wire. It is safe for concurrent use.
type Transcript struct {
	mu      sync.Mutex
	start   time.Time
	now     func() time.Time
	entries []Entry
	dropped int
	filter  func(dir checks.Direction, line string) (string, bool)
}

// NewTranscript starts an empty transcript whose offsets count from now.
// A nil clock means time.Now.
func NewTranscript(now func() time.Time) *Transcript {
	if now == nil {
		now = time.Now
	}
	return &Transcript{start: now(), now: now}
}

// SetFilter installs a function that rewrites or drops lines before they are
// kept (e.g. AUTH credentials shown as "***", message bodies elided). It
// returns the line to keep and whether to keep it.
func (t *Transcript) SetFilter(f func(dir checks.Direction, line string) (string, bool)) {
	t.mu.Lock()
	t.filter = f
	t.mu.Unlock()
}

// Note adds a line written by mxray itself (a TLS handshake, a timeout...).
func (t *Transcript) Note(text string) { t.add(checks.DirInfo, text) }

func (t *Transcript) add(dir checks.Direction, text string) {
	text = clean(text)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.filter != nil && dir != checks.DirInfo {
		var keep bool
		if text, keep = t.filter(dir, text); !keep {
			return
		}
	}
	if len(t.entries) >= MaxLines {
		t.dropped++
		return
	}
	at := t.now().Sub(t.start)
	t.entries = append(t.entries, Entry{AtMs: ms(at), Dir: dir, Text: text})
}

// Entries returns a copy of the recorded lines; a final note says how many
// lines were dropped beyond MaxLines.
func (t *Transcript) Entries() []Entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]Entry(nil), t.entries...)
	if t.dropped > 0 {
		out = append(out, Entry{AtMs: ms(t.now().Sub(t.start)), Dir: checks.DirInfo,
			Text: "(" + itoa(t.dropped) + " more lines not kept)"})
	}
	return out
}

// Lines returns the transcript as evidence lines (no timing).
func (t *Transcript) Lines() []checks.Line {
	es := t.Entries()
	out := make([]checks.Line, len(es))
	for i, e := range es {
		out[i] = checks.Line{Dir: e.Dir, Text: e.Text}
	}
	return out
}

// ms converts a duration to milliseconds with microsecond precision.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// clean makes a wire line printable with mxray's one escaping rule
// (safetext.Line: controls, bidi and other format characters escaped
// visibly, a byte that is not UTF-8 as \xNN, a tab as a space) and keeps
// at most MaxLineText characters of it, marking a cut with "…".
func clean(s string) string {
	s = strings.TrimRight(s, "\r\n")
	i := 0
	for n := 0; i < len(s) && n < MaxLineText; n++ {
		_, size := utf8.DecodeRuneInString(s[i:]) // a byte that is not UTF-8 counts as one
		i += size
	}
	if i < len(s) {
		return safetext.Line(s[:i]) + "…"
	}
	return safetext.Line(s)
}

// recorder is a net.Conn that copies the bytes it reads and writes into a
// transcript, split into lines per direction. Wrap the plaintext side of a
// connection: the raw socket before STARTTLS, the tls.Conn after it.
type recorder struct {
	net.Conn
	t *Transcript

	mu    sync.Mutex
	off   bool
	part  [2][]byte // partial lines: [0] read (server), [1] written (client)
	limit int
}

func newRecorder(c net.Conn, t *Transcript) *recorder {
	return &recorder{Conn: c, t: t, limit: 4 * MaxLineText}
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if n > 0 {
		r.record(0, p[:n])
	}
	return n, err
}

func (r *recorder) Write(p []byte) (int, error) {
	n, err := r.Conn.Write(p)
	if n > 0 {
		r.record(1, p[:n])
	}
	return n, err
}

// stop stops recording (the bytes that follow are TLS records) after
// flushing partial lines.
func (r *recorder) stop() {
	r.flush()
	r.mu.Lock()
	r.off = true
	r.mu.Unlock()
}

func (r *recorder) record(side int, p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.off {
		return
	}
	dir := checks.DirServer
	if side == 1 {
		dir = checks.DirClient
	}
	buf := append(r.part[side], p...)
	for {
		i := indexByte(buf, '\n')
		if i < 0 {
			break
		}
		r.t.add(dir, string(buf[:i]))
		buf = buf[i+1:]
	}
	if len(buf) > r.limit { // an endless line: keep its start, drop the rest
		r.t.add(dir, string(buf[:MaxLineText])+" (line too long)")
		buf = buf[:0]
	}
	r.part[side] = append(r.part[side][:0], buf...)
}

// flush records partial lines (a peer that stopped mid-line).
func (r *recorder) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for side, dir := range []checks.Direction{checks.DirServer, checks.DirClient} {
		if len(r.part[side]) > 0 && !r.off {
			r.t.add(dir, string(r.part[side])+" (no line end)")
			r.part[side] = r.part[side][:0]
		}
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
