//go:build race

package dnsbl_test

// raceEnabled: the race detector slows every goroutine several times, so
// timing assertions only log under it.
const raceEnabled = true
