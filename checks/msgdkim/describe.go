package msgdkim

import (
	"fmt"
	"strings"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = (*Data)(nil)

// Describe implements checks.Describer: each signature with its verdict,
// its key record and the header fields it signs.
func (d *Data) Describe() []checks.Item {
	if d == nil {
		return nil
	}
	var items []checks.Item
	for _, s := range d.Signatures {
		items = append(items, checks.Item{Label: "signature", Value: fmt.Sprintf("d=%s s=%s a=%s", s.Domain, s.Selector, s.Algorithm)})
		verdict := "pass"
		switch {
		case s.Undecided():
			verdict = "not decided: " + s.Detail
		case !s.Pass:
			verdict = "fail: " + s.Detail
		}
		items = append(items, checks.Item{Depth: 1, Label: "result", Value: verdict})
		if s.KeyName != "" {
			key := s.KeyRecord
			if key == "" {
				key = "no record"
			}
			items = append(items, checks.Item{Depth: 1, Label: s.KeyName, Value: key})
		}
		if s.KeyBits > 0 {
			items = append(items, checks.Item{Depth: 1, Label: "key", Value: fmt.Sprintf("%s, %d bits", s.KeyType, s.KeyBits)})
		} else if s.KeyType != "" {
			items = append(items, checks.Item{Depth: 1, Label: "key", Value: s.KeyType})
		}
		if len(s.Headers) > 0 {
			items = append(items, checks.Item{Depth: 1, Label: "signed fields", Value: strings.Join(s.Headers, ":")})
		}
		if s.BodyLength != "" {
			items = append(items, checks.Item{Depth: 1, Label: "body length (l=)", Value: s.BodyLength})
		}
	}
	if d.Ignored > 0 {
		items = append(items, checks.Item{Label: "not verified", Value: fmt.Sprintf("%d more signatures", d.Ignored)})
	}
	return items
}
