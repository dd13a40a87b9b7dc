package main

import (
	"container/list"
	"sync"
)

// replied remembers the requests this process has answered, for
// redeliveries whose acknowledgement was lost with a connection.
type replied struct {
	mu    sync.Mutex
	max   int
	order *list.List
	keys  map[string]*list.Element
}

func newReplied(max int) *replied {
	return &replied{max: max, order: list.New(), keys: map[string]*list.Element{}}
}

func (r *replied) add(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.keys[key]; ok {
		r.order.MoveToFront(e)
		return
	}
	r.keys[key] = r.order.PushFront(key)
	for r.order.Len() > r.max {
		last := r.order.Back()
		r.order.Remove(last)
		delete(r.keys, last.Value.(string))
	}
}

func (r *replied) has(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.keys[key]
	return ok
}
