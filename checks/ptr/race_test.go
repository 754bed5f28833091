//go:build race

package ptr_test

// raceEnabled: the race detector slows every goroutine several times, so
// timing assertions only log under it.
const raceEnabled = true
