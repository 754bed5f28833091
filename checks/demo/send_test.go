package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/send"
)

// TestDemoSend delivers the demo's test message through its submission
// server: STARTTLS, AUTH, DKIM signed with the key the demo zone publishes.
func TestDemoSend(t *testing.T) {
	w, err := demo.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	env, err := w.Env(checks.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer env.DNS.Close()
	o := demo.SendOptions()
	if err := send.Validate(o); err != nil {
		t.Fatal(err)
	}
	tr := send.Send(context.Background(), env, o)
	if tr.Result != send.ResultDelivered || tr.QueueID == "" {
		t.Fatalf("%s: %s", tr.Result, tr.Error)
	}
	info := strings.Join(tr.Steps[0].Info, "\n")
	if !strings.Contains(info, "matches the signing key") {
		t.Errorf("the demo zone must publish the demo key:\n%s", info)
	}
}
