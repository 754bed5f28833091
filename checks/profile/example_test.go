package profile_test

import (
	"fmt"

	"github.com/mxray/mxray/checks/profile"
)

// ExampleExplainCode shows what `mxray explain "550 5.7.515"` prints from.
func ExampleExplainCode() {
	e, ok := profile.ExplainCode("550 5.7.515 Access denied, sending domain example.com does not meet the required authentication level.")
	if !ok {
		return
	}
	fmt.Println(e.Code, "-", e.Class)
	for _, u := range e.Uses {
		fmt.Println(u.Provider, u.Reply, "rule:", u.Rule)
	}
	e, _ = profile.ExplainCode("[tss04]")
	fmt.Println(e.Code, e.Uses[0].Provider, e.Uses[0].Rule)
	// Output:
	// 5.7.515 - permanent failure
	// microsoft 550 5.7.515 rule: spf-and-dkim
	// TSS04 yahoo spam-rate
}

// ExampleParseProviders turns --profile values into checks.Options.Profiles.
func ExampleParseProviders() {
	ps, err := profile.ParseProviders([]string{"Gmail,yahoo", "outlook"})
	fmt.Println(ps, err)
	// Output: [gmail yahoo microsoft] <nil>
}

// ExampleEntry_Text is what `mxray explain TSS04` prints.
func ExampleEntry_Text() {
	e, _ := profile.ExplainCode("TSS04")
	fmt.Print(e.Text())
	// Output:
	// TSS04: a provider's own code
	//
	// Yahoo answers 421 4.7.0 [TSS04]: Yahoo defers mail for a while: unusual volume, complaints from its users, content that looks like spam, or a poor reputation of the address or its network.
	//   rule: spam-rate (The complaint rate stays below 0.3%)
	//   fix: Send only to people who asked for your mail, honour unsubscribes within two days, remove addresses that bounce, and watch the provider's own data: Google Postmaster Tools, Yahoo's Complaint Feedback Loop, Microsoft SNDS.
	//   source: https://senders.yahooinc.com/smtp-error-codes/ (read 2026-12-06)
}
