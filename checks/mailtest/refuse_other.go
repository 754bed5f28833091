//go:build !unix

package mailtest

import "net"

// reservePort returns a loopback port where nothing listens. Without a
// way to bind a socket and not listen, it closes a listener: another
// listener may take the port back (see Refuse).
func reservePort() (addr string, release func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr = l.Addr().String()
	l.Close()
	return addr, func() {}, nil
}
