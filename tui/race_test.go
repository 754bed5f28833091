//go:build race

package tui

// raceEnabled: the race detector slows every goroutine several times, so
// frame-time budgets are only logged under it.
const raceEnabled = true
