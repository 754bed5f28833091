// Package tui is mxray's terminal UI: a live dashboard of the checks as they
// run, a detail pane for each check's findings with their evidence, the SPF
// include tree, the per-MX matrix of SMTP/TLS results, the timeline of a test
// send, and the demo's domain picker.
//
// The structure follows glow and soft-serve: a root Model with a state enum
// handles the global keys and routes the rest to small concrete panes, each
// keeping one contract (pane: update, view, setSize) and sharing one
// *common (Styles, KeyMap, Glyphs). A pane asks the root for another screen,
// a run or a send with an intent, carried out in the same Update. The model
// never does I/O in Update: runs and sends execute in commands, their events
// come back as messages read one batch at a time from a channel and re-armed
// (bubbletea's examples/realtime).
//
// Files: model.go is the root (state, keys, routing), run.go the runs (their
// handles, events and ends) and the rows they fill, send.go the test send,
// view.go the screen around the panes, pane.go the contract and the
// intents, one file per pane, text.go the text helpers under them all.
package tui
