package dkim_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxray/mxray/checks/dkim"
	"github.com/mxray/mxray/checks/internal/conformance"
)

// TestConformanceKeyRecords parses the DKIM key records of Mail::DKIM's
// FAKE_DNS.dat and dkimpy's key files, and compares whether the key is
// usable for email with what those verifiers do.
func TestConformanceKeyRecords(t *testing.T) {
	t.Parallel()
	dir := conformance.Dir(t, "dkim")
	// usable: the verifier accepts the key for an email signature.
	mailDKIM := map[string]bool{
		"expirationtest._domainkey.example.org": true, "selector1._domainkey.messiah.edu": true,
		"test1._domainkey.messiah.edu": true, "test2._domainkey.messiah.edu": true,
		"test3._domainkey.messiah.edu": true, "test4._domainkey.messiah.edu": true,
		"test5._domainkey.messiah.edu": true, "test6._domainkey.messiah.edu": true,
		"testbad1._domainkey.messiah.edu": false, "testbad2._domainkey.messiah.edu": false,
		"testbad3._domainkey.messiah.edu": false, "testbad4._domainkey.messiah.edu": false,
		"testbad7._domainkey.messiah.edu": false, "testbad8._domainkey.messiah.edu": false,
		"testrevoked._domainkey.messiah.edu": false, "s1024._domainkey.yahoo.com": true,
		"beta._domainkey.gmail.com": true, "jakla2._domainkey.ijs.si": true,
		"shan._domainkey.vmt2.cis.att.net": true, "foo._domainkey.vmt2.cis.att.net": true,
		"2023-05-ed25519._domainkey.wander.science": true, "2023-05-ed25519-empty._domainkey.wander.science": false,
		"invalid._domainkey.wander.science": false,
	}
	disagree := map[string]string{
		"testbad8._domainkey.messiah.edu": "g=*poe does not match the signer's local part, so Mail::DKIM rejects the key; RFC 6376 removed g=, so mxray keeps the key usable and reports dkim.obsolete-tag",
	}
	pass, fail, dis := 0, 0, 0
	f, err := os.Open(filepath.Join(dir, "mail-dkim", "FAKE_DNS.dat"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		name, value, _ := strings.Cut(line, " ")
		want, known := mailDKIM[name]
		if !known {
			continue
		}
		value = strings.TrimSpace(value)
		if value == `""` {
			value = ""
		}
		got := dkim.IsKeyRecord(value) && dkim.ParseKey(value).Usable()
		switch {
		case got == want:
			pass++
		case disagree[name] != "":
			dis++
			t.Logf("disagreement: %s: %s", name, disagree[name])
		default:
			fail++
			t.Errorf("%s %q: usable %v, Mail::DKIM %v; problems %v", name, value, got, want, dkim.ParseKey(value).Problems)
		}
	}
	dkimpy := map[string]struct {
		usable bool
		bits   int
	}{
		"test.txt": {true, 1024}, "test2.txt": {true, 1024}, "badversion.txt": {false, 0}, "badk.txt": {false, 0},
		"test_bad.txt": {false, 0}, "test_tlsrpt.txt": {false, 0},
		"1024_testkey_wo_markers.pub.txt": {true, 1024}, "2048_testkey_wo_markers.pub.txt": {true, 2048},
		"1024_testkey_wo_markers.pub.rsa.txt": {true, 1024}, "2048_testkey_wo_markers.pub.rsa.txt": {true, 2048},
		"2048_testkey_PKCS8.key.pub.txt": {true, 2048}, "ed25519test.dns": {true, 256}, "eximtest.dns": {true, 256},
	}
	for file, want := range dkimpy {
		raw, err := os.ReadFile(filepath.Join(dir, "dkimpy", file))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		k := dkim.ParseKey(strings.TrimSpace(string(raw)))
		if k.Usable() == want.usable && (!want.usable || k.Bits == want.bits) {
			pass++
		} else {
			fail++
			t.Errorf("dkimpy %s: usable %v bits %d, want %v %d; problems %v", file, k.Usable(), k.Bits, want.usable, want.bits, k.Problems)
		}
	}
	t.Logf("CONFORMANCE dkim key records (Mail::DKIM FAKE_DNS.dat, dkimpy): %d passed, %d failed, %d known disagreements", pass, fail, dis)
}
