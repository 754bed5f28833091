package mailtest

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// The stages at which a GreylistSMTP server defers.
const (
	GreylistAtRCPT = "RCPT" // the (client, sender, recipient) triplet, as postgrey and most do
	GreylistAtMAIL = "MAIL" // the (client, sender) pair, before any recipient is known
	GreylistAtVRFY = "VRFY" // the (client, argument) pair of a VRFY
	GreylistNever  = "none" // no greylisting: only the other scripted replies
)

// GreylistOptions script a greylisting mail server: a server behind a
// greylisting policy (postgrey, sqlgrey, milter-greylist...) that defers
// the first attempt of every key it has not seen (a triplet of client,
// sender and recipient at RCPT) and accepts an attempt made at least
// Delay after the first, remembering the key from then on. Its other
// replies are an ordinary server's: recipients in Domains are accepted,
// others are refused as relaying, VRFY is non-committal (252).
type GreylistOptions struct {
	// Hostname is the name in the greeting (default "mx.test").
	Hostname string
	// Domains are the domains whose recipients the server accepts.
	Domains []string
	// Stage is where it greylists: GreylistAtRCPT (the default),
	// GreylistAtMAIL, GreylistAtVRFY or GreylistNever.
	Stage string
	// Reply is the deferral; "%s" in it is replaced by the recipient (or
	// the sender at MAIL, the argument at VRFY). Default: postgrey's
	// "450 4.2.0 <%s>: Recipient address rejected: Greylisted, see
	// http://postgrey.schweikert.ch/help/mx.test.html".
	Reply string
	// Delay is how long after the first attempt a retry is accepted; 0
	// accepts the first retry.
	Delay time.Duration
	// Known are senders already whitelisted, as after an earlier
	// successful retry ("" is the null sender <>): never deferred.
	Known []string
	// SenderReply, when set, answers every RCPT from a sender other than
	// the null sender (a server whose sender checks fail for the
	// sender's domain, e.g. "450 4.1.8 <%s>: Sender address rejected:
	// Domain not found", "%s" the sender), before greylisting.
	SenderReply string
	// NullSenderReply, when set, answers every RCPT from the null sender
	// (a server that refuses the null sender only at RCPT, as Postfix
	// does with smtpd_delay_reject), before greylisting.
	NullSenderReply string
}

// GreylistServer is a running greylisting mail server.
type GreylistServer struct {
	Addr string // the loopback "127.0.0.1:port" it listens on

	opts GreylistOptions
	srv  *connServer

	mu       sync.Mutex
	first    map[string]time.Time // the first deferral of each key
	passed   map[string]bool      // keys whitelisted
	deferred int
}

// GreylistSMTP starts a greylisting mail server and routes the given
// addresses (e.g. "192.0.2.10:25") to it. It stops with the world.
func (w *World) GreylistSMTP(o GreylistOptions, routes ...string) (*GreylistServer, error) {
	l, err := w.Listen(routes...)
	if err != nil {
		return nil, err
	}
	s := ServeGreylistSMTP(l, o)
	w.OnClose(s.Close)
	return s, nil
}

// ServeGreylistSMTP serves a greylisting mail server on l until Close.
func ServeGreylistSMTP(l net.Listener, o GreylistOptions) *GreylistServer {
	if o.Hostname == "" {
		o.Hostname = "mx.test"
	}
	if o.Stage == "" {
		o.Stage = GreylistAtRCPT
	}
	if o.Reply == "" {
		o.Reply = "450 4.2.0 <%s>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/" + o.Hostname + ".html"
	}
	s := &GreylistServer{Addr: l.Addr().String(), opts: o, first: map[string]time.Time{}, passed: map[string]bool{}}
	for _, k := range o.Known {
		s.passed["known|"+strings.ToLower(k)] = true
	}
	s.srv = newConnServer(l)
	s.srv.start(s.session, nil)
	return s
}

// Close stops the server, drops its connections and waits for them.
func (s *GreylistServer) Close() { s.srv.Close() }

// Deferred returns how many attempts the server has deferred.
func (s *GreylistServer) Deferred() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deferred
}

// greylist decides one attempt for key (sender is the transaction's, for
// Known): true means defer it.
func (s *GreylistServer) greylist(key, sender string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.passed[key] || s.passed["known|"+strings.ToLower(sender)] {
		return false
	}
	now := time.Now()
	first, seen := s.first[key]
	if seen && now.Sub(first) >= s.opts.Delay {
		s.passed[key] = true
		return false
	}
	if !seen {
		s.first[key] = now
	}
	s.deferred++
	return true
}

func (s *GreylistServer) isLocal(domain string) bool {
	for _, d := range s.opts.Domains {
		if strings.EqualFold(strings.TrimSuffix(d, "."), strings.TrimSuffix(domain, ".")) {
			return true
		}
	}
	return false
}

// fill puts arg in place of the "%s" in a scripted reply.
func fill(reply, arg string) string { return strings.ReplaceAll(reply, "%s", arg) }

// angle returns the address in "FROM:<a>" or "TO:<a>" (after the colon).
func angle(arg string) string {
	_, a, _ := strings.Cut(arg, ":")
	a = strings.TrimSpace(a)
	if i := strings.IndexByte(a, '>'); strings.HasPrefix(a, "<") && i > 0 {
		return a[1:i]
	}
	a, _, _ = strings.Cut(a, " ")
	return strings.Trim(a, "<>")
}

func (s *GreylistServer) session(c net.Conn) {
	client, _, _ := net.SplitHostPort(c.RemoteAddr().String())
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	write := func(line string) bool {
		_, err := io.WriteString(c, line+"\r\n")
		return err == nil
	}
	if !write("220 " + s.opts.Hostname + " ESMTP") {
		return
	}
	br := bufio.NewReader(c)
	from, inTx := "", false
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		var reply string
		switch strings.ToUpper(verb) {
		case "EHLO":
			reply = "250-" + s.opts.Hostname + "\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES"
		case "HELO":
			reply = "250 " + s.opts.Hostname
		case "MAIL":
			sender := angle(arg)
			switch {
			case inTx:
				reply = "503 5.5.1 Error: nested MAIL command"
			case s.opts.Stage == GreylistAtMAIL && s.greylist("mail|"+client+"|"+strings.ToLower(sender), sender):
				reply = fill(s.opts.Reply, sender)
			default:
				from, inTx = sender, true
				reply = "250 2.1.0 Ok"
			}
		case "RCPT":
			rcpt := angle(arg)
			_, domain, _ := strings.Cut(rcpt, "@")
			switch {
			case !inTx:
				reply = "503 5.5.1 Error: need MAIL command"
			case from != "" && s.opts.SenderReply != "":
				reply = fill(s.opts.SenderReply, from)
			case from == "" && s.opts.NullSenderReply != "":
				reply = s.opts.NullSenderReply
			case !s.isLocal(domain):
				reply = "554 5.7.1 <" + rcpt + ">: Relay access denied"
			case s.opts.Stage == GreylistAtRCPT && s.greylist("rcpt|"+client+"|"+strings.ToLower(from)+"|"+strings.ToLower(rcpt), from):
				reply = fill(s.opts.Reply, rcpt)
			default:
				reply = "250 2.1.5 Ok"
			}
		case "VRFY":
			a := strings.Trim(strings.TrimSpace(arg), "<>")
			if s.opts.Stage == GreylistAtVRFY && s.greylist("vrfy|"+client+"|"+strings.ToLower(a), "vrfy") {
				reply = fill(s.opts.Reply, a)
			} else {
				reply = "252 2.0.0 " + a
			}
		case "RSET":
			from, inTx = "", false
			reply = "250 2.0.0 Ok"
		case "NOOP":
			reply = "250 2.0.0 Ok"
		case "QUIT":
			write("221 2.0.0 Bye")
			return
		case "DATA":
			reply = "554 5.5.1 Error: no valid recipients"
		default:
			reply = "502 5.5.2 Error: command not recognized"
		}
		if !write(reply) {
			return
		}
	}
}
