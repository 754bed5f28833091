package mailtest

import "fmt"

// Refuse routes each of the given addresses (e.g. "192.0.2.10:25") to a
// loopback port where nothing listens, and where nothing else can listen
// while the world runs: connections are refused, as by a host whose port
// is closed. Closing a listener instead leaves its port free, and a
// listener of another test running in parallel may take it, so that the
// connection is accepted (and reset) rather than refused.
func (w *World) Refuse(routes ...string) error {
	addr, release, err := reservePort()
	if err != nil {
		return fmt.Errorf("mailtest: refuse: %w", err)
	}
	for _, r := range routes {
		w.Dialer.Route(r, addr)
	}
	w.OnClose(release)
	return nil
}
