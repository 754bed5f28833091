// Package report encodes the results of mxray runs (*checks.Report) for
// people and for programs: plain or coloured text, JSON and NDJSON following
// the published mxray/v1 schema (see Schema), Markdown, and JUnit XML.
//
// The package does no network I/O and knows nothing about terminals beyond
// Options.Color and Options.Width; the caller decides whether colour is
// wanted (a TTY, NO_COLOR) and how wide the terminal is. Colours come from
// report/palette, which the terminal UI shares.
//
// # Compatibility
//
// The JSON documents are public API: within mxray/v1, fields are only ever
// added, never renamed or removed, and finding IDs are never renamed.
// Messages and fixes are for people and may change. The text and Markdown
// layouts are for people and may change; the exit codes (see ExitCode) are
// stable.
package report
