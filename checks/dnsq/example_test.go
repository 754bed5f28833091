package dnsq_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mailtest"
)

// A Client keeps the outcomes apart that other tools conflate: records,
// NODATA and NXDOMAIN are answers; SERVFAIL and timeouts are errors, never
// "no record".
func ExampleClient_Lookup() {
	srv, err := mailtest.NewDNSServer(`
example.       SOA ns.example. hostmaster.example. 1 3600 600 86400 300
mail.example.  A   192.0.2.25
broken.example. A  192.0.2.26
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	srv.Script("broken.example", 0, mailtest.ServFail)
	c, err := dnsq.New(dnsq.Config{Servers: []string{srv.Addr()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ctx := context.Background()
	for _, name := range []string{"mail.example", "nowhere.example", "broken.example"} {
		ans, err := c.Lookup(ctx, name, dns.TypeA)
		switch {
		case errors.Is(err, dnsq.ErrServFail):
			fmt.Println(err)
		case err != nil:
			fmt.Println("other error:", err)
		case ans.NXDomain():
			fmt.Println(name, "does not exist")
		default:
			fmt.Println(name, ans.Addrs())
		}
	}
	// Output:
	// mail.example [192.0.2.25]
	// nowhere.example does not exist
	// broken.example A: the resolver answered SERVFAIL
}
