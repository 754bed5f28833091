package smtp

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/mxray/mxray/checks/smtpwire"
)

// The fact hands each opening to every reader of it, waiting until it is
// there; when the check ends, readers of an opening that never came get
// nil (they open a session of their own) instead of waiting on.
func TestFactOpenings(t *testing.T) {
	t.Parallel()
	f := newFact()
	ip := netip.MustParseAddr("192.0.2.10")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	type got struct {
		op  *smtpwire.Opening
		err error
	}
	early := make(chan got)
	go func() { // asks before the opening is there
		op, err := f.Opening(ctx, "MX.d.test.", ip)
		early <- got{op, err}
	}()
	want := &smtpwire.Opening{Step: smtpwire.StepConnect}
	f.put("mx.d.test", ip, want)
	f.put("mx.d.test", ip, &smtpwire.Opening{}) // a host listed twice: the first opening counts
	if g := <-early; g.op != want || g.err != nil {
		t.Errorf("early reader got %+v", g)
	}
	if op, err := f.Opening(ctx, "mx.d.test", netip.MustParseAddr("::ffff:192.0.2.10")); op != want || err != nil {
		t.Errorf("late reader got %+v %v", op, err)
	}

	never := make(chan got)
	go func() {
		op, err := f.Opening(ctx, "mx2.d.test", ip)
		never <- got{op, err}
	}()
	f.close()
	if g := <-never; g.op != nil || g.err != nil {
		t.Errorf("reader of an opening that never came got %+v", g)
	}
	if op, err := f.Opening(ctx, "mx3.d.test", ip); op != nil || err != nil {
		t.Errorf("reader after the end got %+v %v", op, err)
	}
	if op, _ := f.Opening(ctx, "mx.d.test", ip); op != want {
		t.Errorf("a given opening is kept after the end: %+v", op)
	}

	done, stop := context.WithCancel(context.Background())
	stop()
	g := newFact()
	if op, err := g.Opening(done, "mx.d.test", ip); op != nil || err == nil {
		t.Errorf("cancelled reader got %+v %v", op, err)
	}
}
