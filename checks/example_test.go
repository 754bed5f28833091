package checks_test

import (
	"context"
	"fmt"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnscheck"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
)

// A Runner runs checks against a target: here the mx and dns checks
// against a small fake world on loopback, the way tests and the demo do.
func ExampleRunner() {
	w, err := mailtest.NewWorld(`
. NS a.root.
example. NS a.root.
shop.example. NS ns.shop.example.
shop.example. MX 10 mail.shop.example.
mail.shop.example. CNAME host.shop.example.
host.shop.example. A 192.0.2.20
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	env, err := w.Env(checks.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer env.DNS.Close()
	r := &checks.Runner{Env: env, Checks: []checks.Check{mx.Check{}, dnscheck.Check{}}}
	rep := r.Run(context.Background(), checks.Target{Domain: "shop.example"})
	for _, res := range rep.Results {
		fmt.Println(res.ID, res.Status)
		for _, f := range res.Findings {
			fmt.Println(" ", f.Severity, f.ID)
		}
	}
	fmt.Println("report:", rep.Status())
	// Output:
	// mx warn
	//   warn mx.cname
	//   info mx.single
	// dns warn
	//   warn dns.single-ns
	//   info dns.resolver-not-validating
	// report: warn
}
