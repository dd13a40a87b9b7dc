// Command mockarty-plugin-lines is an example plugin: a TCP listener that
// reads one JSON message per line, resolves it as a socket message through
// the host (event = the message's "event" field) and writes the mock's
// reply as one line. It uses nothing but the sdk.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/find"
)

func main() { sdk.Serve(&Lines{}) }

// Settings of the example.
type Settings struct {
	Address    string `json:"address"`
	ServerName string `json:"serverName"`
	Namespace  string `json:"namespace"`
}

// Lines is the example listener.
type Lines struct {
	mu       sync.Mutex
	settings Settings
	ln       net.Listener
	host     sdk.Host
}

// Info describes the plugin and the JSON Schema of its settings.
func (l *Lines) Info() sdk.Info {
	return sdk.Info{Name: "lines", Kind: sdk.KindListener, Version: "0.1.0", Protocols: []string{"socket"},
		Description: "One JSON message per line over TCP, resolved as socket messages.",
		SettingsSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{
			"address":{"type":"string"},"serverName":{"type":"string"},"namespace":{"type":"string"}}}`)}
}

// Configure reads the settings.
func (l *Lines) Configure(_ context.Context, raw json.RawMessage) error {
	s := Settings{Address: "127.0.0.1:5799", ServerName: "lines", Namespace: "sandbox"}
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	l.mu.Lock()
	l.settings = s
	l.mu.Unlock()
	return nil
}

// Health fails while nothing is listening.
func (l *Lines) Health(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil {
		return errors.New("not listening")
	}
	return nil
}

// Start listens and serves connections until Stop.
func (l *Lines) Start(_ context.Context, host sdk.Host) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ln, err := net.Listen("tcp", l.settings.Address)
	if err != nil {
		return nil, err
	}
	l.ln, l.host = ln, host
	go l.accept(ln)
	return []string{ln.Addr().String()}, nil
}

// Stop closes the listener.
func (l *Lines) Stop(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil {
		return nil
	}
	err := l.ln.Close()
	l.ln = nil
	return err
}

func (l *Lines) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go l.serve(c)
	}
}

func (l *Lines) serve(c net.Conn) {
	defer c.Close()
	l.mu.Lock()
	s, host := l.settings, l.host
	l.mu.Unlock()
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		line := sc.Bytes()
		var msg struct {
			Event string `json:"event"`
		}
		_ = json.Unmarshal(line, &msg)
		resp, err := host.FindSocket(context.Background(), &find.SocketRequest{Namespace: s.Namespace,
			ServerName: s.ServerName, Event: msg.Event, Data: find.DataOf(line)})
		if err != nil { // no mock matches (*sdk.NoMatch), or the host did not answer
			fmt.Fprintf(c, `{"error":%q}`+"\n", err.Error())
			continue
		}
		fmt.Fprintf(c, "%s\n", resp.Data)
	}
}
