package ptr

import "github.com/mxray/mxray/checks"

// FactKey is the key of the fact the ptr check publishes for the checks
// that judge the sending side (profile): its data, once every address's
// lookups are in. A check with no public --ip address, or cut short,
// publishes none.
var FactKey = checks.NewFactKey[*Data](ID)
