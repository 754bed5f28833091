package queue

import (
	"errors"
	"strings"
	"testing"
)

func TestJobID(t *testing.T) {
	b := Batch("0123456789abcdef")
	id := b.Job(17)
	if id != "0123456789abcdef.17" || id.Subject() != "mxray.results.0123456789abcdef.17" || b.ResultsFilter() != "mxray.results.0123456789abcdef.*" {
		t.Fatalf("%s %s %s", id, id.Subject(), b.ResultsFilter())
	}
	if gb, n, err := id.Parse(); err != nil || gb != b || n != 17 {
		t.Fatalf("Parse: %s %d %v", gb, n, err)
	}
	if got, err := ResultJob(id.Subject()); err != nil || got != id {
		t.Fatalf("ResultJob: %s %v", got, err)
	}
	nb, err := NewBatch()
	if err != nil || len(nb) != 16 || !validBatch(string(nb)) {
		t.Fatalf("NewBatch: %q %v", nb, err)
	}
	for _, bad := range []string{"", "b", "b.", ".1", "b.-1", "b.01", "b.+1", "b.1.2", "b c.1", "b*.1", "b>.1", "b.99999999999999", strings.Repeat("b", 65) + ".1", "b.1 "} {
		if _, _, err := JobID(bad).Parse(); !errors.Is(err, ErrBadJobID) {
			t.Errorf("%q parsed", bad)
		}
	}
	for _, bad := range []string{"mxray.jobs", "mxray.results.", "mxray.results.b", "mxray.result.b.1", "x.mxray.results.b.1"} {
		if _, err := ResultJob(bad); !errors.Is(err, ErrBadJobID) {
			t.Errorf("subject %q accepted", bad)
		}
	}
}

func TestJobRoundTrip(t *testing.T) {
	j := Job{ID: "b.3", Line: 9, Input: "Bücher.example <&>", Domain: "xn--bcher-kva.example"}
	data, err := j.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "<&>") || strings.Contains(string(data), "\n") {
		t.Fatalf("encoded as %s", data)
	}
	got, err := DecodeJob(data)
	if err != nil || got != j {
		t.Fatalf("%+v %v", got, err)
	}
	// Fields may be added: unknown ones are ignored.
	if _, err := DecodeJob([]byte(`{"job_id":"b.0","line":1,"input":"a.example","priority":3}`)); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"not JSON":        `nope`,
		"two values":      `{"job_id":"b.0","line":1,"input":"a.example"} {}`,
		"no id":           `{"line":1,"input":"a.example"}`,
		"bad id":          `{"job_id":"b","line":1,"input":"a.example"}`,
		"no line":         `{"job_id":"b.0","input":"a.example"}`,
		"no input":        `{"job_id":"b.0","line":1}`,
		"long input":      `{"job_id":"b.0","line":1,"input":"` + strings.Repeat("a", 4097) + `"}`,
		"too big":         `{"job_id":"b.0","line":1,"input":"a.example","x":"` + strings.Repeat("a", MaxJobSize) + `"}`,
		"wrong types":     `{"job_id":1,"line":"1","input":"a.example"}`,
		"invalid UTF-8":   "{\"job_id\":\"b.0\",\"line\":1,\"input\":\"\xff\"}",
		"array":           `[{"job_id":"b.0","line":1,"input":"a.example"}]`,
		"negative line":   `{"job_id":"b.0","line":-4,"input":"a.example"}`,
		"domain too long": `{"job_id":"b.0","line":1,"input":"a.example","domain":"` + strings.Repeat("a", 256) + `"}`,
	} {
		if _, err := DecodeJob([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := (Job{ID: "b.0", Line: 0, Input: "a.example"}).Encode(); err == nil {
		t.Error("a job without its line encoded")
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"nats://user:secret@queue:4222":           "nats://***@queue:4222",
		"tls://tok@a:1, nats://b:2":               "tls://***@a:1,nats://b:2",
		"queue:4222":                              "queue:4222",
		"nats://u:p@ss@queue":                     "nats://***@queue",
		"nats://queue:4222,nats://x:y@other:4222": "nats://queue:4222,nats://***@other:4222",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDecodeJob: any message either decodes to a valid job that encodes
// back to the same job, or is rejected with ErrMalformedJob or
// ErrBadJobID; never a panic.
func FuzzDecodeJob(f *testing.F) {
	f.Add([]byte(`{"job_id":"0123456789abcdef.0","line":1,"input":"good.example","domain":"good.example"}`))
	f.Add([]byte(`{"job_id":"b.18446744073709551616","line":1,"input":"x"}`))
	f.Add([]byte(`{"job_id":"b.1","line":1e99,"input":"x"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := DecodeJob(data)
		if err != nil {
			if !errors.Is(err, ErrMalformedJob) && !errors.Is(err, ErrBadJobID) {
				t.Fatalf("error %v is neither ErrMalformedJob nor ErrBadJobID", err)
			}
			return
		}
		again, err := j.Encode()
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", j, err)
		}
		if j2, err := DecodeJob(again); err != nil || j2 != j {
			t.Fatalf("round trip: %+v %v", j2, err)
		}
		if _, err := ResultJob(j.ID.Subject()); err != nil {
			t.Fatalf("the job's result subject %q does not parse: %v", j.ID.Subject(), err)
		}
	})
}

// FuzzResultJob: any subject is either a result subject whose job ID
// parses, or rejected.
func FuzzResultJob(f *testing.F) {
	f.Add("mxray.results.0123456789abcdef.12")
	f.Add("mxray.results.a.b.c")
	f.Fuzz(func(t *testing.T, subject string) {
		id, err := ResultJob(subject)
		if err != nil {
			return
		}
		if id.Subject() != subject {
			t.Fatalf("%q -> %q -> %q", subject, id, id.Subject())
		}
	})
}
