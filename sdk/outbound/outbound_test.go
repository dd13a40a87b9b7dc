package outbound

import (
	"net"
	"testing"
)

func TestIsPrivate(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fd00::1",
		"0.0.0.1", "100.100.100.200", "198.18.0.1", "::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "fe80::1", "224.0.0.1"} {
		if !IsPrivate(net.ParseIP(s)) {
			t.Errorf("%s must count as private", s)
		}
	}
	for _, s := range []string{"93.184.216.34", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"} {
		if IsPrivate(net.ParseIP(s)) {
			t.Errorf("%s is public", s)
		}
	}
}

// TestPolicyAllowsOwnListeners: the server's own listeners are reachable
// whatever loopback address names them; other private addresses and ports
// are not.
func TestPolicyAllowsOwnListeners(t *testing.T) {
	p := Policy{Allow: []string{"127.0.0.1:5770", "0.0.0.0:4000", ":4100"}}
	for _, c := range []struct {
		ip   string
		port string
		want bool
	}{
		{"127.0.0.1", "5770", true},
		{"::1", "5770", true}, // localhost may resolve to ::1
		{"127.0.0.2", "5770", true},
		{"127.0.0.1", "5771", false},
		{"10.0.0.5", "5770", false},
		{"127.0.0.1", "4000", true},
		{"::1", "4100", true},
		{"192.168.1.2", "4000", false},
	} {
		if got := p.allows(net.ParseIP(c.ip), c.port); got != c.want {
			t.Errorf("%s:%s: allowed %v, want %v", c.ip, c.port, got, c.want)
		}
	}
}
