package checks

import (
	"sort"

	"github.com/mxray/mxray/checks/dnsq"
)

// Severity is how serious a finding is. Its string values are the wire words
// of the mxray/v1 JSON contract.
type Severity string

// The severities, from least to most serious for ranking purposes (see Rank).
const (
	SevInfo  Severity = "info"  // worth knowing; never fails a run
	SevWarn  Severity = "warn"  // should be fixed; delivery may suffer
	SevError Severity = "error" // mxray could not decide (timeout, SERVFAIL, blocked port)
	SevFail  Severity = "fail"  // definitely wrong; mail will be rejected or spoofable
)

// Rank orders severities: info < warn < error < fail. A definite failure
// outranks "could not decide"; "could not decide" outranks a warning, because
// a check that could not finish must never look healthier than it is.
func (s Severity) Rank() int {
	switch s {
	case SevInfo:
		return 0
	case SevWarn:
		return 1
	case SevError:
		return 2
	case SevFail:
		return 3
	}
	return -1
}

// Valid reports whether s is one of the four defined severities.
func (s Severity) Valid() bool { return s.Rank() >= 0 }

// FailOnRank orders severities for the --fail-on threshold: info < warn <
// fail. Error ("could not decide") and unknown severities do not rank (-1):
// they never make a run fail, they make it undecided (exit 3).
func (s Severity) FailOnRank() int {
	switch s {
	case SevInfo:
		return 0
	case SevWarn:
		return 1
	case SevFail:
		return 2
	}
	return -1
}

// WorseSeverity returns the more serious of a and b by Rank; "" counts as
// no severity at all.
func WorseSeverity(a, b Severity) Severity {
	if a == "" || b.Rank() > a.Rank() {
		return b
	}
	return a
}

// Status is the verdict of one check or of a whole domain. Its string values
// are the wire words of the mxray/v1 JSON contract.
type Status string

// The statuses.
const (
	StatusPass  Status = "pass"  // no finding above info
	StatusWarn  Status = "warn"  // worst finding is a warning
	StatusError Status = "error" // could not decide, and nothing failed outright
	StatusFail  Status = "fail"  // at least one fail finding
	StatusSkip  Status = "skip"  // not run (filtered out, or not applicable)
)

// Rank orders statuses: skip < pass < warn < error < fail.
func (s Status) Rank() int {
	switch s {
	case StatusSkip:
		return 0
	case StatusPass:
		return 1
	case StatusWarn:
		return 2
	case StatusError:
		return 3
	case StatusFail:
		return 4
	}
	return -1
}

// FailOnRank orders a check's status against the --fail-on threshold as a
// finding of the same severity would: warn 1, fail 2; others -1.
func (s Status) FailOnRank() int {
	switch s {
	case StatusWarn:
		return SevWarn.FailOnRank()
	case StatusFail:
		return SevFail.FailOnRank()
	}
	return -1
}

// WorseStatus returns the worse of a and b by Rank.
func WorseStatus(a, b Status) Status {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

// StatusesWorstFirst lists the statuses in Rank order, worst first, for
// summaries and counts.
var StatusesWorstFirst = []Status{StatusFail, StatusError, StatusWarn, StatusPass, StatusSkip}

// SeveritiesWorstFirst lists the severities in Rank order, worst first.
var SeveritiesWorstFirst = []Severity{SevFail, SevError, SevWarn, SevInfo}

// StatusOf maps a finding severity to the status it gives a check.
func StatusOf(s Severity) Status {
	switch s {
	case SevWarn:
		return StatusWarn
	case SevError:
		return StatusError
	case SevFail:
		return StatusFail
	}
	return StatusPass
}

// Finding is one observation a check made. ID is stable public API
// ("<check>.<kebab-name>"); Message and Fix are for people and may change.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Subject  string   `json:"subject"` // what the finding is about: a domain, host, address or record
	// Host is the host name the finding is about (an MX host, the MTA-STS
	// policy host...), lower case without the trailing dot; "" when the
	// finding is not about one host. Consumers use it, never Subject.
	Host string `json:"host,omitempty"`
	// Address is the IP address the finding is about; "" when none.
	Address  string    `json:"address,omitempty"`
	Message  string    `json:"message"`
	Fix      string    `json:"fix,omitempty"`
	Evidence *Evidence `json:"evidence,omitempty"`
}

// Evidence is what produced a finding: the DNS queries with their answers'
// status, raw records, and protocol lines.
type Evidence struct {
	DNS     []dnsq.Query `json:"dns,omitempty"`
	Records []string     `json:"records,omitempty"`
	SMTP    []Line       `json:"smtp,omitempty"`
}

// Direction marks who sent a transcript line.
type Direction string

// Transcript directions.
const (
	DirClient Direction = "C" // sent by mxray
	DirServer Direction = "S" // received from the peer
	DirInfo   Direction = "*" // a note by mxray (TLS handshake, timeout...)
)

// Line is one line of a protocol transcript.
type Line struct {
	Dir  Direction `json:"dir"`
	Text string    `json:"text"`
}

// DNSEvidence builds evidence from the log entries of DNS answers, skipping
// nils and repeated entries.
func DNSEvidence(qs ...dnsq.Query) *Evidence {
	ev := &Evidence{}
	ev.AddDNS(qs...)
	if len(ev.DNS) == 0 {
		return nil
	}
	return ev
}

// AddDNS appends query log entries, ignoring zero entries and duplicates.
func (e *Evidence) AddDNS(qs ...dnsq.Query) {
	for _, q := range qs {
		if q.Name == "" {
			continue
		}
		dup := false
		for _, have := range e.DNS {
			if have.Name == q.Name && have.Type == q.Type && have.CD == q.CD {
				dup = true
				break
			}
		}
		if !dup {
			e.DNS = append(e.DNS, q)
		}
	}
}

// SortFindings orders findings worst first, then by ID, subject and message,
// so that output is stable whatever order concurrent work finished in.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		return a.Message < b.Message
	})
}
