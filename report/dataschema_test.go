package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/bimi"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/dkim"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/dnsbl"
	"github.com/mxray/mxray/checks/dnscheck"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/msgarc"
	"github.com/mxray/mxray/checks/msgauthres"
	"github.com/mxray/mxray/checks/msgbounce"
	"github.com/mxray/mxray/checks/msgdkim"
	"github.com/mxray/mxray/checks/msgdmarc"
	"github.com/mxray/mxray/checks/msgheaders"
	"github.com/mxray/mxray/checks/msgspf"
	"github.com/mxray/mxray/checks/msgunsub"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/profile"
	"github.com/mxray/mxray/checks/ptr"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/spf"
	"github.com/mxray/mxray/checks/tlscheck"
	"github.com/mxray/mxray/checks/tlsrpt"
)

// dataTypes is the Go type of every check's data (what it gives
// Out.SetData, pointer or not). TestDataTypesCoverEveryCheck fails when a
// check has no entry; TestDataValidates that a real run's data has this
// type.
var dataTypes = map[string]reflect.Type{
	dnscheck.ID: reflect.TypeFor[dnscheck.Data](),
	mx.ID:       reflect.TypeFor[mx.Data](),
	spf.ID:      reflect.TypeFor[spf.Data](),
	dkim.ID:     reflect.TypeFor[dkim.Data](),
	dmarc.ID:    reflect.TypeFor[dmarc.Data](),
	mtasts.ID:   reflect.TypeFor[mtasts.Data](),
	tlsrpt.ID:   reflect.TypeFor[tlsrpt.Data](),
	bimi.ID:     reflect.TypeFor[bimi.Data](),
	smtp.ID:     reflect.TypeFor[smtp.Data](),
	tlscheck.ID: reflect.TypeFor[tlscheck.Data](),
	dnsbl.ID:    reflect.TypeFor[dnsbl.Data](),
	ptr.ID:      reflect.TypeFor[ptr.Data](),
	profile.ID:  reflect.TypeFor[profile.Data](),
	// The message checks (mxray analyze, receive).
	msgheaders.ID: reflect.TypeFor[msgheaders.Data](),
	msgdkim.ID:    reflect.TypeFor[msgdkim.Data](),
	msgspf.ID:     reflect.TypeFor[msgspf.Data](),
	msgdmarc.ID:   reflect.TypeFor[msgdmarc.Data](),
	msgarc.ID:     reflect.TypeFor[msgarc.Data](),
	msgauthres.ID: reflect.TypeFor[msgauthres.Data](),
	msgunsub.ID:   reflect.TypeFor[msgunsub.Data](),
	msgbounce.ID:  reflect.TypeFor[msgbounce.Data](),
}

// everyCheck is every check whose data schema.json defines: the domain
// checks, then the message checks.
func everyCheck() []checks.Check { return append(all.Checks(), all.MessageChecks()...) }

const module = "github.com/mxray/mxray/"

// externalDocs describe the fields of types the data borrows from packages
// whose own doc comments say less (smtpwire's session records).
var externalDocs = map[string]string{
	"smtpwire.Reply.Code":       "Code is the three-digit SMTP reply code.",
	"smtpwire.Reply.Enhanced":   "Enhanced is the RFC 3463 enhanced status code (e.g. 2.1.5); absent when the server gave none.",
	"smtpwire.Reply.Lines":      "Lines are the reply's text lines, without code and separator.",
	"smtpwire.Stage.Name":       "Name is the step: connect, banner, ehlo, starttls, tls_handshake, ehlo_tls, vrfy, mail, rcpt, quit...",
	"smtpwire.Stage.StartMs":    "StartMs is when the step started, in milliseconds since the session began.",
	"smtpwire.Stage.DurationMs": "DurationMs is how long the step took, in milliseconds.",
	"smtpwire.Stage.Reply":      "Reply is the server's reply to the step; absent when none came.",
	"smtpwire.Stage.Error":      "Error says in plain words why the step failed; absent when it did not.",
	"smtpwire.Entry.AtMs":       "AtMs is when the line was sent or received, in milliseconds since the session began.",
	"smtpwire.Entry.Dir":        "Dir is C (sent by mxray), S (received from the server) or * (a note by mxray).",
	"smtpwire.Entry.Text":       "Text is the line, without CRLF.",
	// The message checks' data borrows these.
	"dnsq.Query.Name":            "Name is the name asked for, with its trailing dot.",
	"dnsq.Query.Type":            "Type is the record type asked for (TXT, A, MX...).",
	"dnsq.Query.Server":          "Server is the resolver asked, as host:port.",
	"arc.Result.Status":          "Status is the chain's validation result (RFC 8617 cv): none, pass, fail, temperror or permerror.",
	"arc.Failure.Reason":         "Reason says what failed, as a stable word.",
	"arc.Set.Instance":           "Instance is the set's i= (1 for the first hop that sealed).",
	"arc.Set.SignerSelector":     "SignerSelector is the ARC-Message-Signature's s=.",
	"arc.Set.SealerSelector":     "SealerSelector is the ARC-Seal's s=.",
	"arc.Set.ChainValue":         "ChainValue is the ARC-Seal's cv= (none, pass or fail).",
	"arc.Set.Signature":          "Signature is the result of verifying the ARC-Message-Signature.",
	"arc.Set.Seal":               "Seal is the result of verifying the ARC-Seal.",
	"bounce.Report.Format":       "Format is the bounce's format: an RFC 3464 DSN or one of the non-standard formats MTAs and providers send.",
	"bounce.Report.ReportingMTA": "ReportingMTA is the MTA that wrote the bounce (Reporting-MTA); absent when unknown.",
	"bounce.Report.Recipients":   "Recipients are what the bounce says about each recipient.",
	"bounce.Recipient.Action":    "Action is the DSN Action: failed, delayed, delivered, relayed or expanded; absent when the bounce gives none.",
	"bounce.Recipient.RemoteMTA": "RemoteMTA is the server that refused the message (Remote-MTA); absent when unknown.",
	"bounce.Recipient.Category":  "Category is why the message bounced, classified (authentication, dmarc, spf, dkim, ptr, tls, blocklist, reputation, rate, content, mailbox, policy, other).",
	"bounce.Original.From":       "From is the From field of the message that bounced.",
	"bounce.Original.To":         "To is the To field of the message that bounced.",
	"bounce.Original.Subject":    "Subject is the Subject field of the message that bounced.",
	"bounce.Original.MessageID":  "MessageID is the Message-ID of the message that bounced.",
	"bounce.Original.Date":       "Date is the Date field of the message that bounced.",
}

// TestDataTypesCoverEveryCheck fails when a check has no data type here or
// no data definition in schema.json.
func TestDataTypesCoverEveryCheck(t *testing.T) {
	t.Parallel()
	var s struct {
		Defs map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(Schema, &s); err != nil {
		t.Fatal(err)
	}
	for _, c := range everyCheck() {
		if _, ok := dataTypes[c.ID()]; !ok {
			t.Errorf("check %s has no entry in dataTypes", c.ID())
		}
		if _, ok := s.Defs["data."+c.ID()]; !ok {
			t.Errorf("schema.json has no $defs/data.%s", c.ID())
		}
	}
}

// TestDataSchemaGenerated keeps schema.json's data definitions equal to
// what the Go types say: every field, its JSON type, whether it is always
// present, its doc comment as description, and the constants of string
// types as enums. Run with -update to rewrite them after changing a type.
// It also fails when a data type or field has no doc comment.
func TestDataSchemaGenerated(t *testing.T) {
	t.Parallel()
	g := newSchemaGen(t)
	ids := make([]string, 0, len(dataTypes))
	for _, c := range everyCheck() {
		if _, ok := dataTypes[c.ID()]; ok {
			ids = append(ids, c.ID())
		}
	}
	byCheck := map[string]string{}
	for _, id := range ids {
		byCheck[id] = g.def(dataTypes[id])
	}
	// The message object of message documents (its $ref is hand-written
	// in checkReport).
	g.def(reflect.TypeFor[JSONMessage]())
	for _, u := range g.undocumented {
		t.Errorf("no doc comment: %s", u)
	}

	root, err := decodeOrdered(bytes.NewReader(Schema))
	if err != nil {
		t.Fatal(err)
	}
	doc := root.(*omap)
	defs := doc.get("$defs").(*omap)
	for _, k := range slices.Clone(defs.keys) {
		if strings.Contains(k, ".") {
			defs.del(k)
		}
	}
	var allOf []any
	for _, id := range ids {
		d := &omap{}
		d.set("description", fmt.Sprintf("The data of the %s check.", id))
		d.set("$ref", "#/$defs/"+byCheck[id])
		defs.set("data."+id, d)
		cond := &omap{}
		cond.set("required", []any{"id", "data"})
		idc := &omap{}
		idc.set("const", id)
		props := &omap{}
		props.set("id", idc)
		cond.set("properties", props)
		then := &omap{}
		ref := &omap{}
		ref.set("$ref", "#/$defs/data."+id)
		thenProps := &omap{}
		thenProps.set("data", ref)
		then.set("properties", thenProps)
		rule := &omap{}
		rule.set("if", cond)
		rule.set("then", then)
		allOf = append(allOf, rule)
	}
	names := make([]string, 0, len(g.defs))
	for n := range g.defs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		defs.set(n, g.defs[n])
	}
	check := defs.get("check").(*omap)
	check.set("allOf", allOf)
	dataProp := check.get("properties").(*omap).get("data").(*omap)
	dataProp.set("description", "Check-specific details: what the check read (records, answers, handshakes), typed per check ID by $defs/data.<id> (closed objects, every field documented); omitted when the check has none (e.g. skipped, or cut short).")

	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(b.Bytes(), Schema) {
		return
	}
	if golden.Updating() {
		if err := os.WriteFile("schema.json", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("rewrote schema.json: rebuild to embed it")
		return
	}
	t.Errorf("schema.json's data definitions differ from the Go types: run go test ./report -run TestDataSchemaGenerated -update")
}

// schemaGen turns Go types into JSON Schema definitions named
// "<package>.<Type>", with descriptions from the types' doc comments.
type schemaGen struct {
	t            *testing.T
	defs         map[string]*omap
	docs         map[string]*pkgDocs // by package path
	undocumented []string
}

func newSchemaGen(t *testing.T) *schemaGen {
	return &schemaGen{t: t, defs: map[string]*omap{}, docs: map[string]*pkgDocs{}}
}

// pkgDocs are one package's doc comments and string constants.
type pkgDocs struct {
	types  map[string]string            // type name → doc
	fields map[string]map[string]string // type name → field name → doc
	consts map[string][]string          // type name → constant values
}

func (g *schemaGen) pkg(path string) *pkgDocs {
	if d, ok := g.docs[path]; ok {
		return d
	}
	d := &pkgDocs{types: map[string]string{}, fields: map[string]map[string]string{}, consts: map[string][]string{}}
	g.docs[path] = d
	rel, ok := strings.CutPrefix(path, module)
	if !ok {
		return d
	}
	dir := filepath.Join("..", filepath.FromSlash(rel))
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		g.t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			g.t.Fatal(err)
		}
		for _, decl := range af.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range gd.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					doc := s.Doc.Text()
					if doc == "" && len(gd.Specs) == 1 {
						doc = gd.Doc.Text()
					}
					d.types[s.Name.Name] = oneLine(doc)
					st, ok := s.Type.(*ast.StructType)
					if !ok {
						continue
					}
					fm := map[string]string{}
					for _, f := range st.Fields.List {
						text := oneLine(f.Doc.Text() + " " + f.Comment.Text())
						for _, n := range f.Names {
							fm[n.Name] = text
						}
						if len(f.Names) == 0 { // embedded
							fm[typeName(f.Type)] = text
						}
					}
					d.fields[s.Name.Name] = fm
				case *ast.ValueSpec:
					if gd.Tok != token.CONST || s.Type == nil {
						continue
					}
					tn, ok := s.Type.(*ast.Ident)
					if !ok {
						continue
					}
					for _, v := range s.Values {
						if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							if u, err := strconv.Unquote(lit.Value); err == nil {
								d.consts[tn.Name] = append(d.consts[tn.Name], u)
							}
						}
					}
				}
			}
		}
	}
	return d
}

func typeName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.StarExpr:
		return typeName(x.X)
	case *ast.SelectorExpr:
		return x.Sel.Name
	}
	return ""
}

// clean joins a comment's lines into one.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func defName(t reflect.Type) string {
	return filepath.Base(t.PkgPath()) + "." + t.Name()
}

var (
	addrType = reflect.TypeFor[netip.Addr]()
	timeType = reflect.TypeFor[time.Time]()
)

// def returns the definition name of struct type t, generating it once.
func (g *schemaGen) def(t reflect.Type) string {
	name := defName(t)
	if _, ok := g.defs[name]; ok {
		return name
	}
	d := &omap{}
	g.defs[name] = d // before the fields: recursive types refer to it
	docs := g.pkg(t.PkgPath())
	doc := docs.types[t.Name()]
	if doc == "" {
		g.undocumented = append(g.undocumented, "type "+name)
	}
	d.set("description", doc)
	d.set("type", "object")
	d.set("additionalProperties", false)
	props := &omap{}
	var required []any
	g.fields(t, props, &required)
	if len(required) > 0 {
		d.set("required", required)
	}
	d.set("properties", props)
	return name
}

// fields adds t's JSON fields (embedded structs flattened) to props.
func (g *schemaGen) fields(t reflect.Type, props *omap, required *[]any) {
	docs := g.pkg(t.PkgPath())
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		s := g.schema(f.Type, !omit)
		doc := docs.fields[t.Name()][f.Name]
		if doc == "" {
			doc = externalDocs[defName(t)+"."+f.Name]
		}
		if doc == "" {
			g.undocumented = append(g.undocumented, "field "+defName(t)+"."+f.Name)
		}
		s.setFirst("description", doc)
		props.set(name, s)
		if !omit {
			*required = append(*required, name)
		}
	}
}

// schema returns the schema of a value of type t; nullable is set when a
// nil slice, map or pointer is encoded as null (no omitempty).
func (g *schemaGen) schema(t reflect.Type, nullable bool) *omap {
	s := &omap{}
	switch {
	case t == addrType:
		s.set("type", "string")
		return s
	case t == timeType:
		s.set("type", "string")
		s.set("format", "date-time")
		return s
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := g.schema(t.Elem(), false)
		if !nullable {
			return inner
		}
		null := &omap{}
		null.set("type", "null")
		s.set("anyOf", []any{inner, null})
		return s
	case reflect.Struct:
		s.set("$ref", "#/$defs/"+g.def(t))
	case reflect.Slice:
		s.set("type", orNull("array", nullable))
		s.set("items", g.schema(t.Elem(), false))
	case reflect.Map:
		s.set("type", orNull("object", nullable))
		s.set("additionalProperties", g.schema(t.Elem(), false))
	case reflect.String:
		s.set("type", "string")
		if t.PkgPath() != "" && t.Name() != "string" {
			if vals := g.pkg(t.PkgPath()).consts[t.Name()]; len(vals) > 0 {
				enum := make([]any, len(vals))
				for i, v := range vals {
					enum[i] = v
				}
				s.set("enum", enum)
			}
		}
	case reflect.Bool:
		s.set("type", "boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s.set("type", "integer")
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s.set("type", "integer")
		s.set("minimum", 0)
	case reflect.Float32, reflect.Float64:
		s.set("type", "number")
	default:
		g.t.Errorf("no schema for %s", t)
	}
	return s
}

func orNull(typ string, nullable bool) any {
	if nullable {
		return []any{typ, "null"}
	}
	return typ
}

// omap is a JSON object that keeps its keys in order, so that rewriting
// schema.json leaves the hand-written parts as they are.
type omap struct {
	keys []string
	vals map[string]any
}

func (m *omap) get(k string) any { return m.vals[k] }

func (m *omap) set(k string, v any) {
	if m.vals == nil {
		m.vals = map[string]any{}
	}
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// setFirst sets k as the first key.
func (m *omap) setFirst(k string, v any) {
	m.del(k)
	m.set(k, v)
	m.keys = append([]string{k}, m.keys[:len(m.keys)-1]...)
}

func (m *omap) del(k string) {
	if _, ok := m.vals[k]; !ok {
		return
	}
	delete(m.vals, k)
	m.keys = slices.DeleteFunc(m.keys, func(s string) bool { return s == k })
}

// MarshalJSON implements json.Marshaler, keeping the key order.
func (m *omap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		var vb bytes.Buffer
		enc := json.NewEncoder(&vb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m.vals[k]); err != nil {
			return nil, err
		}
		b.Write(bytes.TrimRight(vb.Bytes(), "\n"))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// decodeOrdered decodes one JSON value, objects as *omap and numbers as
// json.Number.
func decodeOrdered(r io.Reader) (any, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return decodeValue(dec)
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch d := tok.(type) {
	case json.Delim:
		switch d {
		case '{':
			m := &omap{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				m.set(kt.(string), v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return m, nil
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %v", d)
	}
	return tok, nil
}

// edgeZone is a small world for the data shapes of failures: a domain
// whose include answers SERVFAIL, whose MX hosts are a tarpit, one whose
// lookups time out and one that cuts its EHLO reply mid-line,
// one whose every lookup times out, one answered SERVFAIL, and one that
// does not exist.
const edgeZone = `
$ORIGIN .
. SOA a.root hostmaster 1 3600 600 86400 300
. NS a.root
$ORIGIN edge.example.
@ SOA ns1 hostmaster 1 3600 600 86400 300
@ NS ns1
@ MX 10 mx1
@ MX 20 slow
@ MX 30 mx3
@ TXT "v=spf1 include:sf.edge.example a:nx1.edge.example a:nx2.edge.example a:nx3.edge.example -all"
mx1 A 192.0.2.1
slow A 192.0.2.2
mx3 A 192.0.2.3
_dmarc TXT "v=DMARC1; p=none; rua=mailto:r@other.example"
_mta-sts TXT "v=STSv1; id=1"
_smtp._tls TXT "v=TLSRPTv1; rua=mailto:t@edge.example"
default._bimi TXT "v=BIMI1; l=https://bimi.edge.example/logo.svg"
$ORIGIN timeout.example.
@ SOA ns1 hostmaster 1 3600 600 86400 300
@ MX 10 mx1
$ORIGIN servfail.example.
@ SOA ns1 hostmaster 1 3600 600 86400 300
@ MX 10 mx1
`

// runAll runs every check against each domain and returns the reports.
func runAll(t *testing.T, w *mailtest.World, opts checks.Options, targets ...checks.Target) []*checks.Report {
	t.Helper()
	var reps []*checks.Report
	for _, tg := range targets {
		env, err := w.Env(opts)
		if err != nil {
			t.Fatal(err)
		}
		rep := (&checks.Runner{Env: env, Checks: all.Checks()}).Run(context.Background(), tg)
		env.DNS.Close()
		reps = append(reps, rep)
	}
	return reps
}

// dataReports runs the real checks against the demo world (every domain)
// and against edgeZone (timeouts, SERVFAIL, NXDOMAIN, null MX is the
// demo's nomail.example).
func dataReports(t *testing.T) []*checks.Report {
	t.Helper()
	w, err := demo.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	ips := map[string][]netip.Addr{
		"good.example":   {netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("2001:db8::10")},
		"broken.example": {netip.MustParseAddr("192.0.2.20"), netip.MustParseAddr("10.1.2.3")},
	}
	var targets []checks.Target
	for _, d := range demo.Domains {
		targets = append(targets, checks.Target{Domain: d.Name, HELO: "demo.mxray.invalid", IPs: ips[d.Name]})
	}
	// Every provider profile, bulk rules graded: the profile check runs too.
	profiles := []string{"gmail", "yahoo", "microsoft", "apple", "laposte"}
	reps := runAll(t, w, checks.Options{Timeout: 2 * time.Second, Profiles: profiles, Bulk: true}, targets...)

	e := mailtest.New(t, edgeZone)
	e.DNS.ScriptTree("sf.edge.example", mailtest.ServFail)
	e.DNS.Script("slow.edge.example", 0, mailtest.Timeout)
	e.DNS.ScriptTree("timeout.example", mailtest.Timeout)
	e.DNS.ScriptTree("servfail.example", mailtest.ServFail)
	if _, err := e.HostileSMTP(mailtest.HostileOptions{Greeting: mailtest.HostileReply{Stall: true}}, "192.0.2.1:25"); err != nil {
		t.Fatal(err)
	}
	cut := mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{"EHLO": {Text: "250-mx3.edge.example", Close: true}}}
	if _, err := e.HostileSMTP(cut, "192.0.2.3:25"); err != nil {
		t.Fatal(err)
	}
	edge := []checks.Target{
		{Domain: "edge.example", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}},
		{Domain: "timeout.example"},
		{Domain: "servfail.example"},
		{Domain: "nx.example", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.99")}},
	}
	return append(reps, runAll(t, e, checks.Options{Timeout: 300 * time.Millisecond, GreetingTimeout: 300 * time.Millisecond, Profiles: profiles}, edge...)...)
}

// TestDataValidates encodes real runs of every check with the JSON encoder
// and validates them against schema.json, where each check's data must
// match its own closed definition; the data must have the Go type listed
// in dataTypes, and every check must have produced data at least once.
func TestDataValidates(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the demo world")
	}
	sch := compileSchema(t)
	seen := map[string]bool{}
	for _, rep := range dataReports(t) {
		var st []string
		for _, r := range rep.Results {
			st = append(st, r.ID+"="+string(r.Status))

		}
		t.Logf("%s: %s", rep.Domain, strings.Join(st, " "))
		for _, r := range rep.Results {
			if r.Data == nil {
				continue
			}
			typ := reflect.TypeOf(r.Data)
			if typ.Kind() == reflect.Pointer {
				typ = typ.Elem()
			}
			if want := dataTypes[r.ID]; typ != want {
				t.Errorf("%s %s: data is a %s, dataTypes says %s", rep.Domain, r.ID, typ, want)
			}
			seen[r.ID] = true
		}
		out := render(t, Options{Format: FormatJSON}, rep)
		if err := validate(t, sch, out); err != nil {
			t.Errorf("%s: output does not validate: %v", rep.Domain, err)
		}
	}
	for _, c := range all.Checks() {
		if !seen[c.ID()] {
			t.Errorf("no run produced data for check %s", c.ID())
		}
	}
}

// TestDataSchemaRejects makes sure the data definitions are closed and
// selected by check ID: an unknown field at any level, or one check's data
// under another's ID, fails validation.
func TestDataSchemaRejects(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	base := `{"schema":"mxray/v1","domain":"x.example","started_at":"2026-01-02T15:04:05Z","duration_ms":1,"status":"pass","resolvers":[],"dns_queries":0,"checks":[{"id":"%s","title":"T","status":"pass","duration_ms":1,"findings":[],"data":%s}]}`
	mxData := `{"hosts":[{"name":"mx1.x.example","preference":10,"addresses":["192.0.2.1"]}]}`
	if err := validate(t, sch, []byte(fmt.Sprintf(base, "mx", mxData))); err != nil {
		t.Fatalf("valid mx data rejected: %v", err)
	}
	for name, doc := range map[string]string{
		"unknown top-level field": fmt.Sprintf(base, "mx", `{"hosts":[],"colour":"red"}`),
		"unknown nested field":    fmt.Sprintf(base, "mx", `{"hosts":[{"name":"a","preference":1,"addresses":[],"ttl":5}]}`),
		"wrong type":              fmt.Sprintf(base, "mx", `{"hosts":[{"name":"a","preference":-1,"addresses":[]}]}`),
		"mx data under spf":       fmt.Sprintf(base, "spf", mxData),
		"bad enum":                fmt.Sprintf(base, "ptr", `{"addresses":[{"address":"192.0.2.1","status":"fine"}]}`),
	} {
		t.Run(name, func(t *testing.T) {
			if err := validate(t, sch, []byte(doc)); err == nil {
				t.Errorf("schema accepted %s", doc)
			}
		})
	}
}
