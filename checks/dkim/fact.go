package dkim

import "github.com/mxray/mxray/checks"

// FactKey is the key of the fact the dkim check publishes for the checks
// that judge the domain as a whole (profile): its data, once every
// selector's lookup is in. A check cut short publishes none.
var FactKey = checks.NewFactKey[*Data](ID)
