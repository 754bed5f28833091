// Package leakcheck fails a test binary whose tests leave goroutines
// running: a package's TestMain calls Main instead of m.Run.
package leakcheck
