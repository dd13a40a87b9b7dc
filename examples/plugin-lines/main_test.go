package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
	"github.com/mockarty-oss/mockarty/sdk/plugintest"
)

func TestLines(t *testing.T) {
	host := &plugintest.FakeHost{FindSocketFunc: func(_ context.Context, req *find.SocketRequest) (*find.SocketResponse, error) {
		if req.Event != "ping" || req.ServerName != "lines" {
			return nil, &sdk.NoMatch{Message: "no mock for " + req.Event, Code: "no_match"}
		}
		return &find.SocketResponse{Data: json.RawMessage(`{"event":"pong"}`)}, nil
	}}
	p := plugintest.Start(t, &Lines{}, json.RawMessage(`{"address":"127.0.0.1:0"}`), host)
	c, err := net.Dial("tcp", p.Addresses[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	fmt.Fprintln(c, `{"event":"ping"}`)
	if line, _ := r.ReadString('\n'); line != "{\"event\":\"pong\"}\n" {
		t.Fatalf("reply: %q", line)
	}
	fmt.Fprintln(c, `{"event":"other"}`)
	if line, _ := r.ReadString('\n'); line != "{\"error\":\"no mock for other\"}\n" {
		t.Fatalf("miss: %q", line)
	}
}
