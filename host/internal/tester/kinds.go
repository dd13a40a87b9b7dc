package tester

import (
	"context"

	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// kind is how one kind of tester object is read from its row, written to
// one, checked and updated: every kind's get, list and merge-update is
// this one piece.
type kind[T any] struct {
	name string
	// of reads a row; object builds one (namespace from the caller: an
	// object's namespace never changes).
	of     func(o *store.TesterObject) (*T, error)
	object func(namespace string, v *T) (*store.TesterObject, error)
	// owned are fields an update leaves alone; skipEmpty makes an update
	// ignore empty strings too (the Go SDK sends every collection field).
	owned     []string
	skipEmpty bool
	check     func(ctx context.Context, s *Service, v *T) error
}

// get loads a live object.
func (k *kind[T]) get(ctx context.Context, s *Service, id string) (*T, error) {
	o, err := s.get(ctx, k.name, id)
	if err != nil {
		return nil, err
	}
	return k.of(o)
}

// list lists objects of the kind.
func (k *kind[T]) list(ctx context.Context, s *Service, f store.TesterFilter) ([]T, error) {
	f.Kind = k.name
	rows, _, err := s.st.TesterObjects(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(rows))
	for i := range rows {
		v, err := k.of(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// put writes v (a new object when its row is new) with more objects in
// the same transaction, keeping a replaced row's creation time.
func (k *kind[T]) put(ctx context.Context, s *Service, namespace string, v *T, createdMs int64, more ...*store.TesterObject) (*store.TesterObject, error) {
	o, err := k.object(namespace, v)
	if err != nil {
		return nil, err
	}
	o.CreatedMs = createdMs
	return o, s.st.PutTesterObjects(ctx, append([]*store.TesterObject{o}, more...)...)
}

// update merges body into a live object, checks it, writes it and reads
// it back.
func (k *kind[T]) update(ctx context.Context, s *Service, id string, body []byte) (*T, error) {
	o, err := s.get(ctx, k.name, id)
	if err != nil {
		return nil, err
	}
	v, err := k.of(o)
	if err != nil {
		return nil, err
	}
	if err := mergeJSON(v, body, k.skipEmpty, k.owned...); err != nil {
		return nil, err
	}
	if err := k.check(ctx, s, v); err != nil {
		return nil, err
	}
	if _, err := k.put(ctx, s, o.Namespace, v, o.CreatedMs); err != nil {
		return nil, err
	}
	return k.get(ctx, s, id)
}
