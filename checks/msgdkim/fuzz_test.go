package msgdkim

import (
	"errors"
	"testing"
)

// FuzzKeyInfo reads hostile key records (DNS data).
func FuzzKeyInfo(f *testing.F) {
	f.Add("v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMqRUJYxpcUAZWUJGVyF/zpvk1qZuVLFvARx1U2KyaDWiArytCe1iq95Po38b6fupgnIQ9Xf7NVSD72xjHaIZMkCAwEAAQ==")
	f.Add("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
	f.Add("k=; p=")
	f.Fuzz(func(t *testing.T, rec string) {
		if _, bits := keyInfo(rec); bits < 0 {
			t.Fatal("negative key size")
		}
	})
}

// FuzzReadTags reads hostile DKIM-Signature values and classifies a
// failure on them: neither may panic, and a reason is always given.
func FuzzReadTags(f *testing.F) {
	f.Add("v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1; t=1; x=2; l=3; h=from:to; bh=AA==; b=AA==")
	f.Add("v=1; d=; s=; h=::::")
	f.Add(";;=;")
	f.Fuzz(func(t *testing.T, v string) {
		s := readTags(1, v)
		if r, _ := classify(s, errors.New("dkim: signature did not verify"), lookup{}, false, s.Expires); r == ReasonNone {
			t.Fatal("a failing signature got no reason")
		}
	})
}
