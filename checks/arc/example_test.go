package arc_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/mxray/mxray/checks/arc"
)

// A list seals a message it forwards; the receiver validates the chain.
// Keys come from a map here; mxray passes arc.DNSLookup(env.DNS).
func Example() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	records := map[string]string{
		"arc._domainkey.lists.example": "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
	}
	lookup := func(_ context.Context, name string) ([]string, error) {
		if r, ok := records[name]; ok {
			return []string{r}, nil
		}
		return nil, fmt.Errorf("%w: %s", arc.ErrNoRecord, name)
	}
	msg := "From: alice@sender.example\r\nTo: team@lists.example\r\nSubject: hello\r\n\r\nHi all.\r\n"
	set, err := arc.Seal([]byte(msg), arc.SealOptions{
		Domain: "lists.example", Selector: "arc", Key: key, AuthServID: "mx.lists.example",
		AuthResults: []string{"spf=pass smtp.mailfrom=sender.example", "dkim=pass header.d=sender.example"},
		Time:        time.Unix(1767225600, 0),
	})
	if err != nil {
		panic(err)
	}
	forwarded := append(set, msg...)
	res, err := arc.Verify(context.Background(), forwarded, lookup)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Instances, res.Sets[0].AuthResults)
	// A footer added after sealing: the seal still holds, the message
	// signature no longer does.
	res, _ = arc.Verify(context.Background(), append(forwarded, "-- \r\nfooter\r\n"...), lookup)
	fmt.Println(res.Status, res.Failure.Reason, strings.Contains(res.Failure.Detail, "body"))
	// Output:
	// pass 1 mx.lists.example; spf=pass smtp.mailfrom=sender.example; dkim=pass header.d=sender.example
	// fail body-hash true
}
