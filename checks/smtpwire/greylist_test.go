package smtpwire_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/mxray/mxray/checks/smtpwire"
)

func TestSaysGreylisting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		reply smtpwire.Reply
		want  bool
	}{
		{smtpwire.Reply{Code: 450, Enhanced: "4.2.0", Lines: []string{"<postmaster@d.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/d.test.html"}}, true},
		{smtpwire.Reply{Code: 451, Enhanced: "4.7.1", Lines: []string{"Greylisting in action, please come back in 00:05:00"}}, true},
		{smtpwire.Reply{Code: 450, Lines: []string{"Temporary failure: GRAYLISTED"}}, true},
		{smtpwire.Reply{Code: 451, Lines: []string{"you are", "grey-listed"}}, true},
		// Words alone are not enough on a permanent or positive reply.
		{smtpwire.Reply{Code: 550, Lines: []string{"greylisted forever"}}, false},
		{smtpwire.Reply{Code: 250, Lines: []string{"greylisting passed"}}, false},
		// "Try again later" is what greylisters, rate limits and failing
		// lookups all say: only the retries can tell.
		{smtpwire.Reply{Code: 451, Enhanced: "4.7.1", Lines: []string{"Try again later"}}, false},
		{smtpwire.Reply{Code: 451, Enhanced: "4.3.0", Lines: []string{"<postmaster@d.test>: Temporary lookup failure"}}, false},
	} {
		if got := smtpwire.SaysGreylisting(&tc.reply); got != tc.want {
			t.Errorf("SaysGreylisting(%s) = %t, want %t", tc.reply.String(), got, tc.want)
		}
	}
	if smtpwire.SaysGreylisting(nil) {
		t.Error("SaysGreylisting(nil)")
	}
}

func TestAboutSender(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		reply smtpwire.Reply
		want  bool
	}{
		{smtpwire.Reply{Code: 450, Enhanced: "4.1.8", Lines: []string{"<a@mxray.invalid>: Sender address rejected: Domain not found"}}, true},
		{smtpwire.Reply{Code: 553, Enhanced: "5.1.7", Lines: []string{"bad sender"}}, true},
		{smtpwire.Reply{Code: 451, Lines: []string{"Could not complete sender verify callout"}}, true},
		{smtpwire.Reply{Code: 450, Enhanced: "4.2.0", Lines: []string{"<postmaster@d.test>: Recipient address rejected: Greylisted"}}, false},
		{smtpwire.Reply{Code: 550, Enhanced: "5.1.1", Lines: []string{"User unknown"}}, false},
		{smtpwire.Reply{Code: 451, Enhanced: "4.1.80", Lines: []string{"odd"}}, false},
	} {
		if got := smtpwire.AboutSender(&tc.reply); got != tc.want {
			t.Errorf("AboutSender(%s) = %t, want %t", tc.reply.String(), got, tc.want)
		}
	}
}

// Every probe sender is new, letters only before the domain, with no
// delimiter a greylister could cut it at.
func TestProbeSender(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^mxray[a-z]{12}@probe\.example$`)
	seen := map[string]bool{}
	for range 1000 {
		s := smtpwire.ProbeSender("probe.example")
		if !re.MatchString(s) || strings.ContainsAny(s, "+-=0123456789") {
			t.Fatalf("ProbeSender = %q", s)
		}
		if seen[s] {
			t.Fatalf("%q twice", s)
		}
		seen[s] = true
	}
}

func FuzzSaysGreylisting(f *testing.F) {
	f.Add(450, "4.2.0", "Greylisted, see http://postgrey")
	f.Add(451, "4.1.8", "Sender address rejected")
	f.Fuzz(func(t *testing.T, code int, enh, text string) {
		r := &smtpwire.Reply{Code: code, Enhanced: enh, Lines: strings.Split(text, "\n")}
		if smtpwire.SaysGreylisting(r) && !r.Transient() {
			t.Fatalf("greylisting on %d", code)
		}
		_ = smtpwire.AboutSender(r)
	})
}
