package message

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func TestParseReceived(t *testing.T) {
	for _, tc := range []struct {
		name, v              string
		from, helo, rdns, by string
		ip, with, id, rcpt   string
		dated                bool
	}{
		{name: "postfix", v: "from mail.example.com (mail.example.com [192.0.2.10])\r\n\tby mx.example.net (Postfix) with ESMTPS id 4Xyz12\r\n\tfor <bob@example.net>; Tue, 2 Jan 2026 15:04:05 +0000 (UTC)",
			from: "mail.example.com", helo: "mail.example.com", rdns: "mail.example.com", by: "mx.example.net", ip: "192.0.2.10", with: "ESMTPS", id: "4Xyz12", rcpt: "bob@example.net", dated: true},
		{name: "gmail", v: "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id a1sor for <x@gmail.com> (Google Transport Security); Fri, 02 Jan 2026 07:04:05 -0800 (PST)",
			from: "mail-sor-f41.google.com", helo: "mail-sor-f41.google.com", rdns: "mail-sor-f41.google.com", by: "mx.google.com", ip: "209.85.220.41", with: "SMTPS", id: "a1sor", rcpt: "x@gmail.com", dated: true},
		{name: "exim", v: "from [2001:db8::25] (helo=client.example.org) by mx.example.net with esmtps (TLS1.3) id 1abc-0002 ; Fri, 02 Jan 2026 15:04:05 +0000",
			from: "[2001:db8::25]", helo: "client.example.org", by: "mx.example.net", ip: "2001:db8::25", with: "esmtps", id: "1abc-0002", dated: true},
		{name: "microsoft", v: "from NAM02-BN1-obe.outbound.protection.outlook.com (2603:10b6:806:ab::24) by BN8PR.outlook.office365.com (2603:10b6:408:70::18) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7; Fri, 2 Jan 2026 15:04:05 +0000",
			from: "NAM02-BN1-obe.outbound.protection.outlook.com", helo: "NAM02-BN1-obe.outbound.protection.outlook.com", by: "BN8PR.outlook.office365.com", ip: "2603:10b6:806:ab::24", with: "Microsoft", id: "15.20.7", dated: true},
		{name: "ipv6-literal", v: "from client (unknown [IPv6:2001:db8::7]) by mx; Fri, 2 Jan 2026 15:04:05 +0000",
			from: "client", helo: "client", by: "mx", ip: "2001:db8::7", dated: true},
		{name: "local", v: "by mail.example.com (Postfix, from userid 1000) id 1234; Fri, 2 Jan 2026 15:04:05 +0000",
			by: "mail.example.com", id: "1234", dated: true},
		{name: "sendmail-unknown", v: "from unknown [192.0.2.41] by smtp-gw5.example.co.jp with ESMTP id 00000000; Thu, 29 Apr 2009 23:45:07 +0900",
			from: "unknown", helo: "unknown", by: "smtp-gw5.example.co.jp", ip: "192.0.2.41", with: "ESMTP", id: "00000000", dated: true},
		{name: "exim-old", v: "from localhost (smtp-90.example.co.jp) [127.0.0.1] by mx4.example.org with esmtp (Exim 2.05 #1 (Debian)) id ffffff-000000-00; Thu, 29 Apr 1999 23:34:45 +0900",
			from: "localhost", helo: "localhost", by: "mx4.example.org", ip: "127.0.0.1", with: "esmtp", id: "ffffff-000000-00", dated: true},
		{name: "garbage", v: "((((( ;;; ) by"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ParseReceived(tc.v)
			ip := ""
			if r.ClientIP.IsValid() {
				ip = r.ClientIP.String()
			}
			got := []string{r.From, r.HELO, r.ReverseName, r.By, ip, r.With, r.ID, r.For}
			want := []string{tc.from, tc.helo, tc.rdns, tc.by, tc.ip, tc.with, tc.id, tc.rcpt}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("field %d = %q, want %q (%+v)", i, got[i], want[i], r)
				}
			}
			if r.Time.IsZero() == tc.dated {
				t.Errorf("date %q parsed: %v, want %v", r.Date, !r.Time.IsZero(), tc.dated)
			}
		})
	}
}

const sample = "Return-Path: <bounce@mail.example.com>\r\n" +
	"Received: from mx2.example.net (mx2.example.net [198.51.100.2]) by mx.final.example with ESMTP id 2; Fri, 2 Jan 2026 15:04:07 +0000\r\n" +
	"Received: from mail.example.com (mail.example.com [192.0.2.10]) by mx2.example.net with ESMTPS id 1; Fri, 2 Jan 2026 15:04:06 +0000\r\n" +
	"Authentication-Results: mx2.example.net; dkim=pass (2048-bit key) header.d=example.com header.s=s1; spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=bounce@mail.example.com; dmarc=pass header.from=example.com\r\n" +
	"From: =?utf-8?q?J=C3=BCrgen?= <j@B\xc3\xbccher.example>\r\n" +
	"To: a@example.net, \"B\" <b@example.net>\r\n" +
	"Subject: =?utf-8?b?SGVsbG8g8J+Mjw==?=\r\n" +
	"Date: Fri, 2 Jan 2026 15:04:05 +0000\r\n" +
	"Message-ID: <1@example.com>\r\n" +
	"\r\n" +
	"body\r\n"

func TestParse(t *testing.T) {
	m := Parse([]byte(sample), Options{})
	if m.FromDomain != "xn--bcher-kva.example" {
		t.Errorf("FromDomain = %q", m.FromDomain)
	}
	if len(m.To) != 2 || m.Subject != "Hello 🌏" || m.MessageID != "<1@example.com>" || m.DateTime.IsZero() || m.ReturnPath != "bounce@mail.example.com" {
		t.Errorf("parsed %+v", m)
	}
	if m.TrustedHop != 0 || m.Trusted().ClientIP != netip.MustParseAddr("198.51.100.2") {
		t.Errorf("trusted hop %d", m.TrustedHop)
	}
	m = Parse([]byte(sample), Options{ReceivedBy: "MX2.example.net."})
	if m.TrustedHop != 1 {
		t.Errorf("--received-by: trusted hop %d", m.TrustedHop)
	}
	filtered := "Received: from localhost (localhost [127.0.0.1]) by mx.final.example (Postfix) with ESMTP id 3; Fri, 2 Jan 2026 15:04:08 +0000\r\n" +
		"Received: from mx.final.example ([10.0.0.5]) by filter.final.example; Fri, 2 Jan 2026 15:04:08 +0000\r\n" + sample
	if m = Parse([]byte(filtered), Options{}); m.TrustedHop != 2 {
		t.Errorf("a content filter's loopback and private hops are skipped: trusted hop %d", m.TrustedHop)
	}
	if m = Parse([]byte(filtered), Options{ReceivedBy: "mx.final.example"}); m.TrustedHop != 0 {
		t.Errorf("--received-by may name a loopback hop: trusted hop %d", m.TrustedHop)
	}
	if m = Parse([]byte(sample), Options{ReceivedBy: "nowhere.example"}); m.TrustedHop != -1 {
		t.Errorf("unknown --received-by: trusted hop %d", m.TrustedHop)
	}
	if len(m.AuthResults) != 1 {
		t.Fatalf("%d Authentication-Results", len(m.AuthResults))
	}
	ar := m.AuthResults[0]
	if ar.AuthservID != "mx2.example.net" || len(ar.Results) != 3 || ar.Err != "" {
		t.Fatalf("%+v", ar)
	}
	if r := ar.Results[1]; r.Method != "spf" || r.Value != "pass" || r.Domain != "mail.example.com" {
		t.Errorf("spf %+v", r)
	}
	if r := ar.Results[0]; r.Method != "dkim" || r.Domain != "example.com" {
		t.Errorf("dkim %+v", r)
	}
	if string(m.Raw) != sample {
		t.Error("Raw is not verbatim")
	}
}

func TestRead(t *testing.T) {
	m, err := Read(strings.NewReader(sample+strings.Repeat("x", 200)), Options{Limits: Limits{MaxSize: len(sample)}})
	if err != nil || !m.Truncated || m.Size != len(sample) || !strings.Contains(m.Limit, fmt.Sprintf("%d bytes", len(sample))) {
		t.Errorf("err %v, truncated %v, size %d, limit %q", err, m.Truncated, m.Size, m.Limit)
	}
	m, err = Read(strings.NewReader(sample), Options{})
	if err != nil || m.Truncated || string(m.Raw) != sample {
		t.Errorf("err %v, truncated %v", err, m.Truncated)
	}
}

func TestLimits(t *testing.T) {
	m := Parse([]byte(strings.Repeat("X-A: b\r\n", 50)+"\r\nbody"), Options{Limits: Limits{MaxFields: 10}})
	if m.Limit == "" || len(m.Fields) != 10 {
		t.Errorf("limit %q, %d fields", m.Limit, len(m.Fields))
	}
	m = Parse([]byte(sample), Options{Limits: Limits{MaxSize: 100}})
	if !m.Truncated || m.Size != 100 {
		t.Errorf("truncated %v size %d", m.Truncated, m.Size)
	}
	lf := strings.ReplaceAll(sample, "\r\n", "\n")
	m = Parse([]byte(lf), Options{})
	if string(m.Raw) != lf || string(m.Wire()) != sample || m.FromDomain == "" {
		t.Error("LF message: Raw must stay verbatim and Wire be CRLF")
	}
}

func TestJSON(t *testing.T) {
	m := Parse([]byte(sample), Options{})
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"from_domain":"xn--bcher-kva.example"`, `"client_ip":"198.51.100.2"`, `"trusted_hop":0`, `"authserv_id":"mx2.example.net"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
	if strings.Contains(string(b), "body\\r\\n") {
		t.Error("the raw message is not part of the JSON")
	}
}
