package report

import _ "embed" // for Schema

// Schema is the JSON Schema (draft 2020-12) of the mxray/v1 documents: the
// check report written by the json and ndjson formats, and the trace of
// `mxray send --json`. It is the file report/schema.json of this release.
//
//go:embed schema.json
var Schema []byte
