package asyncapigen

import (
	"fmt"
	"strings"
)

// AsyncAPI 3: operations say what the application (the mocked server)
// receives and sends; a receive operation's reply is its answer.

type operation3 struct {
	key     string
	label   string // `operation "key"`, in warnings
	action  string
	chPtr   string
	chKey   string
	channel map[string]any
	msgs    []*message
	op      map[string]any
	ptr     string
}

func (g *gen) v3(root map[string]any) error {
	opsV, ok := root["operations"]
	if !ok {
		return g.d.errf("", "has no operations: AsyncAPI 3 says what the server receives in operations (action: receive)")
	}
	ops, ok := opsV.(map[string]any)
	if !ok {
		return g.d.errf("/operations", "must be an object of operations")
	}
	var all []*operation3
	for _, key := range g.d.keys("/operations", ops) {
		o, err := g.operation3(key, ops[key])
		if err != nil {
			return err
		}
		if o != nil {
			all = append(all, o)
		}
	}
	sendsOn := map[string][]*operation3{} // by channel
	for _, o := range all {
		if o.action == "send" {
			sendsOn[o.chPtr] = append(sendsOn[o.chPtr], o)
		}
	}
	replies := map[*message]bool{}
	n := 0
	for _, o := range all {
		if o.action != "receive" {
			continue
		}
		reply, err := g.reply3(o, sendsOn[o.chPtr])
		if err != nil {
			return err
		}
		if reply != nil {
			replies[reply] = true
		}
		st := g.socketType(g.protocols3(root, o.channel, o.chPtr), hasWSBinding(o.channel, o.op))
		for _, m := range o.msgs {
			g.add(exchange{channel: o.chKey, op: o.label, in: m, reply: reply, socketType: st})
			n++
		}
	}
	return g.unsolicited(root, all, replies, n)
}

// unsolicited deals with what the server sends without being asked. A
// pure stream (no message received at all) answers connect with the
// first such message; otherwise they are pointed to the push API.
func (g *gen) unsolicited(root map[string]any, all []*operation3, replies map[*message]bool, received int) error {
	var first *operation3
	var firstMsg *message
	var names []string
	for _, o := range all {
		if o.action != "send" {
			continue
		}
		for _, m := range o.msgs {
			if replies[m] {
				continue
			}
			if first == nil {
				first, firstMsg = o, m
			}
			names = append(names, m.label())
		}
	}
	if len(names) == 0 {
		return nil
	}
	if received > 0 {
		g.warn("messages the server sends on its own (%s) are not mocked: the socket listener answers messages; send them with POST /api/v1/socket/push", strings.Join(names, ", "))
		return nil
	}
	st := g.socketType(g.protocols3(root, first.channel, first.chPtr), hasWSBinding(first.channel, first.op))
	g.add(exchange{channel: first.chKey, op: first.label, reply: firstMsg, socketType: st})
	g.warn("the document describes no message the server receives: the first message it sends (%s) answers the connect event", firstMsg.label())
	if len(names) > 1 {
		g.warn("the other messages the server sends (%s) are not mocked: send them with POST /api/v1/socket/push", strings.Join(names[1:], ", "))
	}
	return nil
}

// operation3 reads one operation: its action, channel and messages.
func (g *gen) operation3(key string, v any) (*operation3, error) {
	op, ptr, err := g.d.object(v, "/operations/"+escape(key), "an operation")
	if err != nil {
		return nil, err
	}
	o := &operation3{key: key, label: fmt.Sprintf("operation %q", key), op: op, ptr: ptr}
	o.action, _ = op["action"].(string)
	if o.action != "send" && o.action != "receive" {
		g.warn("%s: %s: action %q is neither send nor receive; left out", g.d.where(ptr), o.label, o.action)
		return nil, nil
	}
	chV, ok := op["channel"]
	if !ok {
		return nil, g.d.errf(ptr, "%s has no channel", o.label)
	}
	if o.channel, o.chPtr, err = g.d.object(chV, ptr+"/channel", "a channel"); err != nil {
		return nil, err
	}
	o.chKey = channelKey(o.chPtr, o.channel)
	if o.msgs, err = g.messages3(op["messages"], ptr+"/messages", o.channel, o.chPtr); err != nil {
		return nil, err
	}
	if len(o.msgs) == 0 {
		g.warn("%s: %s names no messages; left out", g.d.where(ptr), o.label)
		return nil, nil
	}
	return o, nil
}

// channelKey is a channel's key under channels (else its address).
func channelKey(ptr string, ch map[string]any) string {
	segs := segments(ptr)
	if n := len(segs); n >= 2 && segs[n-2] == "channels" {
		return segs[n-1]
	}
	if a, ok := ch["address"].(string); ok {
		return a
	}
	return "channel"
}

// messages3 are the messages listed (refs into a channel's messages),
// else all of the channel's.
func (g *gen) messages3(list any, ptr string, ch map[string]any, chPtr string) ([]*message, error) {
	var out []*message
	if l, ok := list.([]any); ok && len(l) > 0 {
		for i, v := range l {
			m, err := g.message(v, ptr+"/"+itoa(i))
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
	msgs, ok := ch["messages"].(map[string]any)
	if !ok {
		return nil, nil
	}
	for _, k := range g.d.keys(chPtr+"/messages", msgs) {
		m, err := g.message(msgs[k], chPtr+"/messages/"+escape(k))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// reply3 is the message a receive operation answers with: the first of
// its reply's messages (or of its reply channel's). An operation without
// a reply on a channel the server sends on in one operation only is
// answered with that operation's message, as AsyncAPI 2's publish and
// subscribe on one channel (and documents converted from 2.x) pair.
func (g *gen) reply3(o *operation3, sends []*operation3) (*message, error) {
	rv, ok := o.op["reply"]
	if !ok {
		if len(sends) == 1 && len(sends[0].msgs) > 0 {
			return sends[0].msgs[0], nil
		}
		return nil, nil
	}
	r, rptr, err := g.d.object(rv, o.ptr+"/reply", "a reply")
	if err != nil {
		return nil, err
	}
	var msgs []*message
	if l, ok := r["messages"].([]any); ok && len(l) > 0 {
		if msgs, err = g.messages3(l, rptr+"/messages", nil, ""); err != nil {
			return nil, err
		}
	} else if chV, ok := r["channel"]; ok {
		ch, chPtr, err := g.d.object(chV, rptr+"/channel", "a channel")
		if err != nil {
			return nil, err
		}
		all, err := g.messages3(nil, "", ch, chPtr)
		if err != nil {
			return nil, err
		}
		own := map[*message]bool{}
		for _, m := range o.msgs {
			own[m] = true
		}
		for _, m := range all {
			if !own[m] { // the reply channel may be the request's
				msgs = append(msgs, m)
			}
		}
	}
	switch {
	case len(msgs) == 0:
		g.warn("%s: %s has a reply that names no message: its mock sends nothing back", g.d.where(rptr), o.label)
		return nil, nil
	case len(msgs) > 1:
		names := make([]string, len(msgs))
		for i, m := range msgs {
			names[i] = m.label()
		}
		g.warn("%s: the reply may be any of %s; the mock answers with %s (a socket mock sends one message)", o.label, strings.Join(names, ", "), names[0])
	}
	return msgs[0], nil
}

// protocols3 are the protocols of the channel's servers (all servers
// when it names none).
func (g *gen) protocols3(root map[string]any, ch map[string]any, chPtr string) []string {
	var out []string
	if l, ok := ch["servers"].([]any); ok && len(l) > 0 {
		for i, v := range l {
			if s, _, err := g.d.object(v, chPtr+"/servers/"+itoa(i), "a server"); err == nil {
				p, _ := s["protocol"].(string)
				out = append(out, p)
			}
		}
		return out
	}
	return allProtocols(g.d, root)
}

// allProtocols are the protocols of every server of the document.
func allProtocols(d *doc, root map[string]any) []string {
	servers, ok := root["servers"].(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for _, k := range d.keys("/servers", servers) {
		if s, _, err := d.object(servers[k], "/servers/"+escape(k), "a server"); err == nil {
			p, _ := s["protocol"].(string)
			out = append(out, p)
		}
	}
	return out
}

// hasWSBinding says whether a channel or operation has WebSocket bindings.
func hasWSBinding(objs ...map[string]any) bool {
	for _, o := range objs {
		if b, ok := o["bindings"].(map[string]any); ok {
			if _, ok := b["ws"]; ok {
				return true
			}
		}
	}
	return false
}
