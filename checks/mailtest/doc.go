// Package mailtest is a fake mail world for tests and `mxray demo`, in the
// spirit of net/http/httptest: a DNS server answering from zone text over
// real UDP and TCP sockets on loopback, a dialer that routes documentation
// addresses to loopback listeners, and a test certificate authority.
//
// Everything here listens on 127.0.0.1 only and never reaches the internet.
package mailtest
