package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/mockarty-oss/mockarty/sdk"
)

// The actions the host's API offers (sdk.Caller):
//
//	push        {serverName, connectionId?, data}: send data to one open
//	            connection, or to all of the server's when connectionId is empty
//	connections {serverName?}: the servers and their open connections
var _ sdk.Caller = (*Listener)(nil)

// PushParams are the parameters of the push action.
type PushParams struct {
	ServerName   string          `json:"serverName"`
	ConnectionID string          `json:"connectionId"`
	Data         json.RawMessage `json:"data"`
}

// PushResult is the answer of the push action.
type PushResult struct {
	ServerName string `json:"serverName"`
	Namespace  string `json:"namespace"`
	// Sent counts the connections the message was written to.
	Sent          int      `json:"sent"`
	ConnectionIDs []string `json:"connectionIds"`
	// Failed lists the connections the write failed on.
	Failed []PushFailure `json:"failed,omitempty"`
	// NotOpen: the connectionId asked for is not open on the server.
	NotOpen bool `json:"notOpen,omitempty"`
}

// PushFailure is a connection a push could not be written to.
type PushFailure struct {
	ConnectionID string `json:"connectionId"`
	Error        string `json:"error"`
}

// ConnectionsParams are the parameters of the connections action.
type ConnectionsParams struct {
	ServerName string `json:"serverName"`
}

// ServerJSON describes a configured server.
type ServerJSON struct {
	ServerName string   `json:"serverName"`
	Namespace  string   `json:"namespace"`
	Addresses  []string `json:"addresses"`
}

// ConnectionsResult is the answer of the connections action: the servers
// asked for (all, or the one named; none when no server has that name)
// and their connections, server by server, oldest first.
type ConnectionsResult struct {
	Servers     []ServerJSON `json:"servers"`
	Connections []connJSON   `json:"connections"`
}

// Call runs one of the listener's actions for the host.
func (l *Listener) Call(ctx context.Context, action string, params json.RawMessage) (json.RawMessage, error) {
	var (
		out any
		err error
	)
	switch action {
	case "push":
		var p PushParams
		if err := decodeParams(params, &p); err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
		out, err = l.push(ctx, p)
	case "connections":
		var p ConnectionsParams
		if err := decodeParams(params, &p); err != nil {
			return nil, fmt.Errorf("connections: %w", err)
		}
		out, err = l.connections(p), nil
	default:
		return nil, sdk.ErrUnknownAction
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	return json.Marshal(out)
}

func decodeParams(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad parameters: %w", err)
	}
	return nil
}

func (l *Listener) started() ([]*server, map[string]*server) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order, l.servers
}

func (l *Listener) serverNamed(name string) (*server, error) {
	order, byName := l.started()
	if len(order) == 0 {
		return nil, errors.New("the listener is not running")
	}
	if srv := byName[name]; srv != nil {
		return srv, nil
	}
	names := make([]string, 0, len(order))
	for _, s := range order {
		names = append(names, s.ServerName)
	}
	return nil, fmt.Errorf("no socket server named %q (servers: %s)", name, strings.Join(names, ", "))
}

// push writes data to the server's connections: a JSON string as its
// text, other JSON as it is.
func (l *Listener) push(_ context.Context, p PushParams) (*PushResult, error) {
	if p.ServerName == "" {
		return nil, errors.New("serverName is required")
	}
	msg := payload(bytes.TrimSpace(p.Data))
	if msg == nil {
		return nil, errors.New("data is required (a JSON value: a string is sent as its text)")
	}
	if len(p.Data) > 0 && p.Data[0] != '"' {
		var buf bytes.Buffer
		if err := json.Compact(&buf, p.Data); err != nil {
			return nil, fmt.Errorf("data is not JSON: %w", err)
		}
		msg = buf.Bytes()
	}
	srv, err := l.serverNamed(p.ServerName)
	if err != nil {
		return nil, err
	}
	res := &PushResult{ServerName: srv.ServerName, Namespace: srv.Namespace, ConnectionIDs: []string{}}
	var targets []*conn
	if p.ConnectionID != "" {
		c := srv.get(p.ConnectionID)
		if c == nil {
			res.NotOpen = true
			return res, nil
		}
		targets = []*conn{c}
	} else {
		targets = srv.list()
	}
	// Each connection is written to at once: a slow client delays only its own write.
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, c := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.send(msg)
		}()
	}
	wg.Wait()
	for i, c := range targets {
		if errs[i] != nil {
			res.Failed = append(res.Failed, PushFailure{ConnectionID: c.id, Error: errs[i].Error()})
			continue
		}
		res.Sent++
		res.ConnectionIDs = append(res.ConnectionIDs, c.id)
	}
	return res, nil
}

func (l *Listener) connections(p ConnectionsParams) *ConnectionsResult {
	order, _ := l.started()
	res := &ConnectionsResult{Servers: []ServerJSON{}, Connections: []connJSON{}}
	for _, srv := range order {
		if p.ServerName != "" && srv.ServerName != p.ServerName {
			continue
		}
		res.Servers = append(res.Servers, ServerJSON{ServerName: srv.ServerName, Namespace: srv.Namespace,
			Addresses: append([]string{}, srv.addrs...)})
		for _, c := range srv.list() {
			res.Connections = append(res.Connections, c.json())
		}
	}
	return res
}
