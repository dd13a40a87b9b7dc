// Package objects keeps the tools' objects (API-tester collections and
// requests, perf configs, ...) as JSON documents in the store's object
// table: one Kind per kind of object reads, lists, checks and
// merge-updates it, so every tool's CRUD is this one piece.
package objects

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// Owner is what a Kind's checks run against: a tool's service.
type Owner interface {
	Store() *store.Store
}

// Kind is how one kind of object is read from its row, written to one,
// checked and updated.
type Kind[T any, O Owner] struct {
	Name string
	// Of reads a row; Object builds one (namespace from the caller: an
	// object's namespace never changes).
	Of     func(o *store.TesterObject) (*T, error)
	Object func(namespace string, v *T) (*store.TesterObject, error)
	// Owned are fields an update leaves alone; SkipEmpty makes an update
	// ignore empty strings too (the Go SDK sends every field).
	Owned     []string
	SkipEmpty bool
	Check     func(ctx context.Context, owner O, v *T) error
}

// Get loads a live object.
func (k *Kind[T, O]) Get(ctx context.Context, owner O, id string) (*T, error) {
	o, err := Live(ctx, owner.Store(), k.Name, id)
	if err != nil {
		return nil, err
	}
	return k.Of(o)
}

// List lists objects of the kind.
func (k *Kind[T, O]) List(ctx context.Context, owner O, f store.TesterFilter) ([]T, error) {
	f.Kind = k.Name
	rows, _, err := owner.Store().TesterObjects(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(rows))
	for i := range rows {
		v, err := k.Of(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// Put writes v (a new object when its row is new) with more objects in
// the same transaction, keeping a replaced row's creation time.
func (k *Kind[T, O]) Put(ctx context.Context, owner O, namespace string, v *T, createdMs int64, more ...*store.TesterObject) (*store.TesterObject, error) {
	o, err := k.Object(namespace, v)
	if err != nil {
		return nil, err
	}
	o.CreatedMs = createdMs
	return o, owner.Store().PutTesterObjects(ctx, append([]*store.TesterObject{o}, more...)...)
}

// Save checks v and writes it: a new object when *id is "" (it gets a new
// id), else the one *id names, keeping its creation time. id points at
// v's own id field. It returns v read back.
func (k *Kind[T, O]) Save(ctx context.Context, owner O, namespace string, id *string, v *T) (*T, error) {
	if err := k.Check(ctx, owner, v); err != nil {
		return nil, err
	}
	var created int64
	if *id == "" {
		*id = uuid.NewString()
	} else if o, err := Live(ctx, owner.Store(), k.Name, *id); err == nil {
		created = o.CreatedMs
	}
	if _, err := k.Put(ctx, owner, namespace, v, created); err != nil {
		return nil, err
	}
	return k.Get(ctx, owner, *id)
}

// Delete removes an object for good; what names it in a not-found error.
func (k *Kind[T, O]) Delete(ctx context.Context, owner O, id, what string) error {
	n, err := owner.Store().DeleteTesterObjects(ctx, k.Name, []string{id})
	if err == nil && n == 0 {
		return fmt.Errorf("%w: %s %q", store.ErrNotFound, what, id)
	}
	return err
}

// Update merges body into a live object, checks it, writes it and reads
// it back.
func (k *Kind[T, O]) Update(ctx context.Context, owner O, id string, body []byte) (*T, error) {
	o, err := Live(ctx, owner.Store(), k.Name, id)
	if err != nil {
		return nil, err
	}
	v, err := k.Of(o)
	if err != nil {
		return nil, err
	}
	if err := Merge(v, body, k.SkipEmpty, k.Owned...); err != nil {
		return nil, err
	}
	if err := k.Check(ctx, owner, v); err != nil {
		return nil, err
	}
	if _, err := k.Put(ctx, owner, o.Namespace, v, o.CreatedMs); err != nil {
		return nil, err
	}
	return k.Get(ctx, owner, id)
}

// Live loads a row of a kind that is not deleted.
func Live(ctx context.Context, st *store.Store, kind, id string) (*store.TesterObject, error) {
	o, err := st.GetTesterObject(ctx, kind, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s %q", store.ErrNotFound, kind, id)
		}
		return nil, err
	}
	if o.DeletedMs != 0 {
		return nil, fmt.Errorf("%w: %s %q (deleted; restore it first)", store.ErrNotFound, kind, id)
	}
	return o, nil
}

// Decode reads a row's document into v.
func Decode(o *store.TesterObject, v any) error {
	if err := json.Unmarshal([]byte(o.Document), v); err != nil {
		return fmt.Errorf("stored %s %q is unreadable: %w", o.Kind, o.ID, err)
	}
	return nil
}

// Encode writes v as a row's document.
func Encode(o *store.TesterObject, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	o.Document = string(b)
	return nil
}

// ISO is an epoch-ms time as RFC 3339 ("" for zero).
func ISO(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
}

// Merge overlays the fields present in body onto cur (a struct), skipping
// nulls, owned fields and, when skipEmpty, empty strings.
func Merge(cur any, body []byte, skipEmpty bool, owned ...string) error {
	base, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(base, &m); err != nil {
		return err
	}
	var in map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil {
		return &model.FieldError{Message: "body must be a JSON object", Malformed: true}
	}
	skip := map[string]bool{}
	for _, k := range owned {
		skip[k] = true
	}
	for k, v := range in {
		t := bytes.TrimSpace(v)
		if skip[k] || bytes.Equal(t, []byte("null")) || (skipEmpty && bytes.Equal(t, []byte(`""`))) {
			continue
		}
		m[k] = v
	}
	merged, _ := json.Marshal(m)
	if err := json.Unmarshal(merged, cur); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &model.FieldError{Field: te.Field, Message: "wrong type: got JSON " + te.Value, Malformed: true}
		}
		return &model.FieldError{Message: err.Error(), Malformed: true}
	}
	return nil
}
