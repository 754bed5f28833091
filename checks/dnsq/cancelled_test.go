package dnsq_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxray/mxray/checks/dnsq"
)

// TestCancelledCallerGetsNoAnswer: a caller whose context has already
// ended gets an error, even for an answer in the cache, every time (the
// answer and the cancellation were once both ready, and either won).
func TestCancelledCallerGetsNoAnswer(t *testing.T) {
	s := newPortServer(t)
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.addr()}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Lookup(context.Background(), "cached.example", dns.TypeA); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 50 {
		for _, name := range []string{"cached.example", "fresh.example"} {
			if ans, err := c.Lookup(ctx, name, dns.TypeA); err == nil || !errors.Is(err, dnsq.ErrClosed) {
				t.Fatalf("%s with a cancelled context: answer %v, error %v; want ErrClosed", name, ans, err)
			}
		}
	}
}
