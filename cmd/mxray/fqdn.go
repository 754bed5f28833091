package main

import (
	"bufio"
	"io"
	"os"
	"strings"

	"github.com/mxray/mxray/checks/send"
)

// hostsFile is where machineFQDN looks for the host's canonical name.
const hostsFile = "/etc/hosts"

// maxHostsFile bounds what machineFQDN reads of the hosts file.
const maxHostsFile = 1 << 20

// machineFQDN returns this machine's fully qualified domain name, the
// default EHLO name of `send`, or "" when it has none.
func machineFQDN() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	f, err := os.Open(hostsFile)
	if err != nil {
		return fqdnOf(h, nil)
	}
	defer f.Close()
	return fqdnOf(h, f)
}

// fqdnOf returns the fully qualified name of the host called host: host
// itself when it is one (send.IsFQDN), else the canonical name the hosts
// file (may be nil) gives it, as `hostname -f` finds it (the first name
// of the line naming host), or an alias of that line under host
// ("box.example.com" for "box"); "" when none is fully qualified.
func fqdnOf(host string, hosts io.Reader) string {
	host = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
	if send.IsFQDN(host) {
		return host
	}
	if host == "" || hosts == nil {
		return ""
	}
	sc := bufio.NewScanner(io.LimitReader(hosts, maxHostsFile))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(strings.ToLower(line))
		if len(f) < 2 {
			continue
		}
		names := f[1:]
		for i := range names {
			names[i] = strings.TrimSuffix(names[i], ".")
		}
		named := false
		for _, n := range names {
			named = named || n == host
		}
		if !named {
			continue
		}
		if send.IsFQDN(names[0]) {
			return names[0]
		}
		for _, n := range names {
			if strings.HasPrefix(n, host+".") && send.IsFQDN(n) {
				return n
			}
		}
	}
	return ""
}
