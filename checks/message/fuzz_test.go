package message

import "testing"

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("From: a@b\nFrom: c@d\n\n"))
	f.Add([]byte(" folded\r\nX: y\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := Parse(raw, Options{Limits: Limits{MaxSize: 1 << 16}})
		if m.Size > 1<<16 {
			t.Fatal("over the size limit")
		}
		_ = m.Trusted()
	})
}

func FuzzReceived(f *testing.F) {
	f.Add("from a (b [192.0.2.1]) by c with ESMTP id d for <e@f>; Fri, 2 Jan 2026 15:04:05 +0000")
	f.Add("from [IPv6:2001:db8::1] (helo=x) by y; z")
	f.Add("((((\\")
	f.Fuzz(func(t *testing.T, v string) {
		r := ParseReceived(v)
		if r.ClientIP.Zone() != "" {
			t.Fatal("zoned client IP")
		}
	})
}

func FuzzAuthResults(f *testing.F) {
	f.Add("mx.google.com; dkim=pass header.i=@example.com header.s=s1; spf=softfail (x; y) smtp.mailfrom=a@b; dmarc=fail (p=REJECT) header.from=b; arc=pass header.oldest-pass=1")
	f.Add("x 2; none")
	f.Add("\"a(b\" (c\\) d); e=f")
	f.Fuzz(func(t *testing.T, v string) {
		_ = ParseAuthResults(v)
	})
}
