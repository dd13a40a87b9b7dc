package main

import (
	"sync"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Mocked methods are served from their wire bytes: a request message is
// received as bytes and turned into the JSON a find carries, a reply's
// JSON into the bytes sent. Both conversions go through dynamic messages
// and are remembered (memo), so the repeated calls of a test or a load
// run convert nothing.

// rawMessage is a message as its wire bytes, which the codec passes
// through without decoding or encoding.
type rawMessage struct{ b []byte }

// codec is grpc-go's proto codec, except for *rawMessage.
type codec struct{ proto encoding.CodecV2 }

func newCodec() codec { return codec{proto: encoding.GetCodecV2("proto")} }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if r, ok := v.(*rawMessage); ok {
		return mem.BufferSlice{mem.SliceBuffer(r.b)}, nil
	}
	return c.proto.Marshal(v)
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	if r, ok := v.(*rawMessage); ok {
		r.b = data.Materialize()
		return nil
	}
	return c.proto.Unmarshal(data, v)
}

func (codec) Name() string { return "proto" }

// memo remembers conversions of one snapshot's messages (a reload starts
// a new one, since a message of the same name may have changed). Bounded:
// when full, it starts again empty.
type memo struct {
	mu sync.RWMutex
	m  map[string][]byte
}

const (
	memoMaxEntries = 4096
	memoMaxItem    = 4 << 10 // larger messages are converted every time
)

func (m *memo) get(key string) ([]byte, bool) {
	m.mu.RLock()
	b, ok := m.m[key]
	m.mu.RUnlock()
	return b, ok
}

func (m *memo) put(key string, b []byte) {
	m.mu.Lock()
	if m.m == nil || len(m.m) >= memoMaxEntries {
		m.m = make(map[string][]byte)
	}
	m.m[key] = b
	m.mu.Unlock()
}

// memoKey names a conversion: its direction, the message type and the input.
func memoKey(dir byte, md protoreflect.MessageDescriptor, in []byte) string {
	name := md.FullName()
	b := make([]byte, 0, 2+len(name)+len(in))
	b = append(b, dir)
	b = append(b, name...)
	b = append(b, 0)
	b = append(b, in...)
	return string(b)
}

// requestJSON is a request message's wire bytes as protojson.
func (m *memo) requestJSON(md protoreflect.MessageDescriptor, wire []byte) ([]byte, error) {
	if len(wire) > memoMaxItem {
		return toJSON(md, wire)
	}
	key := memoKey('q', md, wire)
	if b, ok := m.get(key); ok {
		return b, nil
	}
	b, err := toJSON(md, wire)
	if err == nil {
		m.put(key, b)
	}
	return b, err
}

// replyWire is a reply's protojson as wire bytes.
func (m *memo) replyWire(md protoreflect.MessageDescriptor, js []byte) ([]byte, error) {
	if len(js) > memoMaxItem {
		return toWire(md, js)
	}
	key := memoKey('r', md, js)
	if b, ok := m.get(key); ok {
		return b, nil
	}
	b, err := toWire(md, js)
	if err == nil {
		m.put(key, b)
	}
	return b, err
}

func toJSON(md protoreflect.MessageDescriptor, wire []byte) ([]byte, error) {
	msg := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(wire, msg); err != nil {
		return nil, err
	}
	return protojson.MarshalOptions{UseProtoNames: false, EmitUnpopulated: false}.Marshal(msg)
}

func toWire(md protoreflect.MessageDescriptor, js []byte) ([]byte, error) {
	msg := dynamicpb.NewMessage(md)
	if len(js) > 0 && string(js) != "null" {
		if err := protojson.Unmarshal(js, msg); err != nil {
			return nil, err
		}
	}
	return proto.Marshal(msg)
}
