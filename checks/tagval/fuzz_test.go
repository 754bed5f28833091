package tagval

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string, fold bool) {
		l := Parse(s, fold)
		if len(l.Tags) > MaxTags {
			t.Fatalf("%d tags kept, limit %d", len(l.Tags), MaxTags)
		}
		if len(l.Problems) > MaxProblems {
			t.Fatalf("%d problems, limit %d", len(l.Problems), MaxProblems)
		}
		for _, tg := range l.Tags {
			if !validName(tg.Name) || strings.Contains(tg.Value, ";") {
				t.Fatalf("bad tag %q=%q", tg.Name, tg.Value)
			}
		}
		_ = Clean(s)
		if got := Sanitize(s); len(got) > 4096+64 {
			t.Fatalf("Sanitize returned %d bytes", len(got))
		}
	})
}

func TestParse(t *testing.T) {
	l := Parse(" v=DKIM1 ;k = rsa; ; p=AB\r\n CD; x", false)
	if len(l.Tags) != 3 || l.Tags[1].Value != "rsa" || l.Tags[2].Value != "AB\r\n CD" {
		t.Errorf("tags %+v", l.Tags)
	}
	if len(l.Problems) != 2 {
		t.Errorf("problems %+v", l.Problems)
	}
	if got := Join([]string{"v=DMARC1; ", "p=reject\x00"}); got != "v=DMARC1; p=reject\x00" {
		t.Errorf("Join = %q", got)
	}
}
