//go:build unix

package mailtest

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
)

// TestRefuse: a refused route is refused, and its loopback port cannot be
// taken by a listener while the world runs (the race a closed listener
// leaves open).
func TestRefuse(t *testing.T) {
	w := New(t, "")
	if err := w.Refuse("192.0.2.99:25"); err != nil {
		t.Fatal(err)
	}
	_, err := w.Dialer.DialContext(context.Background(), "tcp", "192.0.2.99:25")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial: %v, want connection refused", err)
	}
	w.Dialer.mu.RLock()
	port := w.Dialer.routes["192.0.2.99:25"]
	w.Dialer.mu.RUnlock()
	if l, err := net.Listen("tcp", port); err == nil {
		l.Close()
		t.Fatalf("a listener took the refusing port %s", port)
	}
}
