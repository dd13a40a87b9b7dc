package asyncapigen

import (
	"fmt"
	"strings"
)

// AsyncAPI 2: a channel's publish operation is what clients send the
// application (the mocked server), its subscribe operation what the
// application sends them, so a channel with both answers one with the
// other.

type channel2 struct {
	key      string
	ptr      string
	ch       map[string]any
	pub, sub []*message
	pubOp    string // the publish operation's label, in warnings
}

func (g *gen) v2(root map[string]any) error {
	chV, ok := root["channels"]
	if !ok {
		return g.d.errf("", "has no channels")
	}
	chans, ok := chV.(map[string]any)
	if !ok {
		return g.d.errf("/channels", "must be an object of channels")
	}
	var all []*channel2
	for _, key := range g.d.keys("/channels", chans) {
		c, err := g.channel2(key, chans[key])
		if err != nil {
			return err
		}
		all = append(all, c)
	}
	received := 0
	for _, c := range all {
		if len(c.pub) == 0 {
			continue
		}
		var reply *message
		if len(c.sub) > 0 {
			reply = c.sub[0]
			if len(c.sub) > 1 {
				names := make([]string, len(c.sub))
				for i, m := range c.sub {
					names[i] = m.label()
				}
				g.warn("channel %q: the server may answer with any of %s; the mocks answer with %s (a socket mock sends one message)", c.key, strings.Join(names, ", "), names[0])
			}
		}
		st := g.socketType(g.protocols2(root, c), hasWSBinding(c.ch))
		for _, m := range c.pub {
			g.add(exchange{channel: c.key, op: c.pubOp, in: m, reply: reply, socketType: st})
			received++
		}
	}
	// What the server sends on channels nobody publishes to.
	var streams []*channel2
	var names []string
	for _, c := range all {
		if len(c.pub) == 0 && len(c.sub) > 0 {
			streams = append(streams, c)
			for _, m := range c.sub {
				names = append(names, m.label())
			}
		}
	}
	switch {
	case len(streams) == 0:
	case received > 0:
		g.warn("messages the server sends on its own (%s) are not mocked: the socket listener answers messages; send them with POST /api/v1/socket/push", strings.Join(names, ", "))
	default:
		c := streams[0]
		st := g.socketType(g.protocols2(root, c), hasWSBinding(c.ch))
		g.add(exchange{channel: c.key, op: fmt.Sprintf("channel %q", c.key), reply: c.sub[0], socketType: st})
		g.warn("the document describes no message the server receives: the first message it sends (%s) answers the connect event", c.sub[0].label())
		if len(names) > 1 {
			g.warn("the other messages the server sends (%s) are not mocked: send them with POST /api/v1/socket/push", strings.Join(names[1:], ", "))
		}
	}
	return nil
}

// channel2 reads one channel item and the messages of its operations.
func (g *gen) channel2(key string, v any) (*channel2, error) {
	ch, ptr, err := g.d.object(v, "/channels/"+escape(key), "a channel")
	if err != nil {
		return nil, err
	}
	c := &channel2{key: key, ptr: ptr, ch: ch, pubOp: fmt.Sprintf("channel %q", key)}
	if op, ok := ch["publish"].(map[string]any); ok {
		if id, ok := op["operationId"].(string); ok && id != "" {
			c.pubOp = fmt.Sprintf("operation %q", id)
		}
		if c.pub, err = g.messages2(op, ptr+"/publish"); err != nil {
			return nil, err
		}
	}
	if op, ok := ch["subscribe"].(map[string]any); ok {
		if c.sub, err = g.messages2(op, ptr+"/subscribe"); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// messages2 are an operation's message, or the messages of its oneOf.
func (g *gen) messages2(op map[string]any, ptr string) ([]*message, error) {
	mv, ok := op["message"]
	if !ok || mv == nil {
		return nil, nil
	}
	m, mptr, err := g.d.object(mv, ptr+"/message", "a message")
	if err != nil {
		return nil, err
	}
	list, isList := m["oneOf"].([]any)
	if !isList {
		one, err := g.message(mv, ptr+"/message")
		if err != nil {
			return nil, err
		}
		g.nameFallback(one, op)
		return []*message{one}, nil
	}
	out := make([]*message, 0, len(list))
	for i, v := range list {
		one, err := g.message(v, mptr+"/oneOf/"+itoa(i))
		if err != nil {
			return nil, err
		}
		g.nameFallback(one, op)
		out = append(out, one)
	}
	return out, nil
}

// nameFallback names a message that has no name, messageId or key after
// its operation.
func (g *gen) nameFallback(m *message, op map[string]any) {
	if m.name != "" {
		return
	}
	if id, ok := op["operationId"].(string); ok && id != "" {
		m.name = id
	}
}

// protocols2 are the protocols of the channel's servers (all servers
// when it names none; 2.2+ channels name them).
func (g *gen) protocols2(root map[string]any, c *channel2) []string {
	names, ok := c.ch["servers"].([]any)
	if !ok || len(names) == 0 {
		return allProtocols(g.d, root)
	}
	servers, _ := root["servers"].(map[string]any)
	var out []string
	for _, n := range names {
		name, _ := n.(string)
		if s, _, err := g.d.object(servers[name], "/servers/"+escape(name), "a server"); err == nil {
			p, _ := s["protocol"].(string)
			out = append(out, p)
		}
	}
	return out
}
