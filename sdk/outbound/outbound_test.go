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
