package tester

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

const maxVariables = 5000

// envInput reads variables as an object of any values or Postman's
// list of {key, value, enabled}; values become strings.
type envInput struct {
	Environment
	Variables KVList `json:"variables"`
	Values    KVList `json:"values"` // a Postman environment file
}

func environmentOf(o *store.TesterObject) (*Environment, error) {
	var e Environment
	if err := objects.Decode(o, &e); err != nil {
		return nil, err
	}
	e.ID, e.Namespace, e.Name = o.ID, o.Namespace, o.Name
	e.IsActive, e.Active = o.Active, o.Active
	e.CreatedAt, e.UpdatedAt = objects.ISO(o.CreatedMs), objects.ISO(o.UpdatedMs)
	if e.Variables == nil {
		e.Variables = map[string]string{}
	}
	return &e, nil
}

// DecodeEnvironment reads an environment body (variables as an object or
// a list; a Postman environment file's values too).
func DecodeEnvironment(body []byte) (*Environment, bool, error) {
	var in envInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, false, &model.FieldError{Field: "variables", Message: err.Error(), Malformed: true}
	}
	e := in.Environment
	vars := in.Variables
	if vars == nil {
		vars = in.Values
	}
	hasVars := vars != nil
	e.Variables = vars.Map()
	return &e, hasVars, nil
}

func checkEnvironment(e *Environment) error {
	e.Name = strings.TrimSpace(e.Name)
	if err := checkName("name", e.Name, true); err != nil {
		return err
	}
	if len(e.Variables) > maxVariables {
		return fieldErr("variables", "at most %d variables", maxVariables)
	}
	for k, v := range e.Variables {
		if len(k) > 1000 || len(v) > maxScript {
			return fieldErr("variables."+k, "a key is at most 1000 characters and a value at most %d KiB", maxScript>>10)
		}
	}
	return nil
}

// environments are the environments of namespaces.
var environments = &kind[Environment]{Name: store.TesterEnvironment, Of: environmentOf,
	Object: func(namespace string, e *Environment) (*store.TesterObject, error) {
		o := &store.TesterObject{Kind: store.TesterEnvironment, ID: e.ID, Namespace: namespace, Name: e.Name, Active: e.IsActive || e.Active}
		doc := *e
		return o, objects.Encode(o, &doc)
	},
	Check: func(_ context.Context, _ *Service, e *Environment) error { return checkEnvironment(e) }}

// putEnvironment writes an environment; an active one becomes the only
// active one of its namespace.
func (s *Service) putEnvironment(ctx context.Context, e *Environment, createdMs int64) (*Environment, error) {
	o, err := environments.Put(ctx, s, e.Namespace, e, createdMs)
	if err != nil {
		return nil, err
	}
	if o.Active {
		if err := s.st.ActivateTesterObject(ctx, store.TesterEnvironment, e.Namespace, o.ID); err != nil {
			return nil, err
		}
	}
	return s.Environment(ctx, o.ID)
}

// Environments lists the environments of the namespaces.
func (s *Service) Environments(ctx context.Context, namespace string, namespaces []string) ([]Environment, error) {
	return environments.List(ctx, s, store.TesterFilter{Namespace: namespace, Namespaces: namespaces})
}

// Environment loads one environment.
func (s *Service) Environment(ctx context.Context, id string) (*Environment, error) {
	return environments.Get(ctx, s, id)
}

// ActiveEnvironment is the namespace's active environment.
func (s *Service) ActiveEnvironment(ctx context.Context, namespace string) (*Environment, error) {
	envs, err := s.Environments(ctx, namespace, nil)
	if err != nil {
		return nil, err
	}
	for i := range envs {
		if envs[i].IsActive {
			return &envs[i], nil
		}
	}
	return nil, fmt.Errorf("%w: no active environment in namespace %q", store.ErrNotFound, namespace)
}

// CreateEnvironment stores a new environment.
func (s *Service) CreateEnvironment(ctx context.Context, e *Environment) (*Environment, error) {
	if err := checkEnvironment(e); err != nil {
		return nil, err
	}
	e.ID = newID()
	return s.putEnvironment(ctx, e, 0)
}

// UpdateEnvironment replaces the fields given.
func (s *Service) UpdateEnvironment(ctx context.Context, id string, in *Environment, hasVars bool) (*Environment, error) {
	o, err := s.get(ctx, store.TesterEnvironment, id)
	if err != nil {
		return nil, err
	}
	e, err := environmentOf(o)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Name) != "" {
		e.Name = in.Name
	}
	if in.Description != "" {
		e.Description = in.Description
	}
	if hasVars {
		e.Variables = in.Variables
	}
	if in.IsActive || in.Active {
		e.IsActive = true
	}
	if err := checkEnvironment(e); err != nil {
		return nil, err
	}
	return s.putEnvironment(ctx, e, o.CreatedMs)
}

// ActivateEnvironment makes one environment its namespace's active one.
func (s *Service) ActivateEnvironment(ctx context.Context, id string) (*Environment, error) {
	e, err := s.Environment(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.st.ActivateTesterObject(ctx, store.TesterEnvironment, e.Namespace, id); err != nil {
		return nil, err
	}
	return s.Environment(ctx, id)
}

// DeleteEnvironment removes an environment.
func (s *Service) DeleteEnvironment(ctx context.Context, id string) error {
	n, err := s.st.DeleteTesterObjects(ctx, store.TesterEnvironment, []string{id})
	if err == nil && n == 0 {
		return fmt.Errorf("%w: environment %q", store.ErrNotFound, id)
	}
	return err
}
