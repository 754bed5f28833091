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
