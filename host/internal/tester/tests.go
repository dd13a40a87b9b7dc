package tester

import (
	"context"
	"fmt"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// --- standalone tests ---

func testOf(o *store.TesterObject) (*Test, error) {
	var t Test
	if err := objects.Decode(o, &t); err != nil {
		return nil, err
	}
	t.ID, t.Namespace, t.Name = o.ID, o.Namespace, o.Name
	t.CreatedAt, t.UpdatedAt = objects.ISO(o.CreatedMs), objects.ISO(o.UpdatedMs)
	if t.Request.Headers == nil {
		t.Request.Headers = KVList{}
	}
	return &t, nil
}

// CheckTest validates a standalone test.
func CheckTest(t *Test) error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" {
		t.Name = t.Request.Name
	}
	if err := checkName("name", t.Name, true); err != nil {
		return err
	}
	if strings.TrimSpace(t.Request.URL) == "" {
		return fieldErr("request.url", "is required")
	}
	return checkRequest("request.", &t.Request)
}

// tests are the standalone tests.
var tests = &kind[Test]{Name: store.TesterTest, Of: testOf,
	Object: func(namespace string, t *Test) (*store.TesterObject, error) {
		o := &store.TesterObject{Kind: store.TesterTest, ID: t.ID, Namespace: namespace, Name: t.Name}
		doc := *t
		return o, objects.Encode(o, &doc)
	},
	Owned: []string{"id", "namespace", "createdAt", "updatedAt"},
	Check: func(_ context.Context, _ *Service, t *Test) error { return CheckTest(t) }}

// Tests lists a namespace's standalone tests.
func (s *Service) Tests(ctx context.Context, namespace string, namespaces []string) ([]Test, error) {
	return tests.List(ctx, s, store.TesterFilter{Namespace: namespace, Namespaces: namespaces})
}

// Test loads a standalone test.
func (s *Service) Test(ctx context.Context, id string) (*Test, error) { return tests.Get(ctx, s, id) }

// CreateTest stores a standalone test.
func (s *Service) CreateTest(ctx context.Context, t *Test) (*Test, error) {
	if err := CheckTest(t); err != nil {
		return nil, err
	}
	t.ID = newID()
	if _, err := tests.Put(ctx, s, t.Namespace, t, 0); err != nil {
		return nil, err
	}
	return s.Test(ctx, t.ID)
}

// UpdateTest merges body into a standalone test.
func (s *Service) UpdateTest(ctx context.Context, id string, body []byte) (*Test, error) {
	return tests.Update(ctx, s, id, body)
}

// DeleteObject removes one object of a kind.
func (s *Service) DeleteObject(ctx context.Context, kind, id string) error {
	n, err := s.st.DeleteTesterObjects(ctx, kind, []string{id})
	if err == nil && n == 0 {
		return fmt.Errorf("%w: %s %q", store.ErrNotFound, kind, id)
	}
	return err
}

// AdhocCollection is a collection of one request (a standalone test, a
// request executed on its own); within is the collection it belongs to,
// whose variables, auth and scripts apply (nil: none).
func AdhocCollection(name string, r *Request, within *Collection) *postman.Collection {
	c := &Collection{Name: name}
	if within != nil {
		cp := *within
		cp.Folders, cp.Requests = nil, nil
		c = &cp
	}
	return ToPostman(c, nil, []Request{*r})
}
