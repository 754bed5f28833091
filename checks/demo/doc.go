// Package demo builds the embedded mail world that `mxray demo` checks: a
// healthy domain, a broken one and a few special cases, all served from
// loopback with no network access.
package demo
