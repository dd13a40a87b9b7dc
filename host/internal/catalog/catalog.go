// Package catalog holds the rules of mock management: what a create,
// overwrite, patch, copy or restore does, on top of the store. HTTP handlers
// decode and encode; everything they decide lives here.
package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// ErrInvalid wraps rule violations of a request (not of a mock document).
var ErrInvalid = errors.New("invalid request")

// Observer hears about every committed change, to keep the in-memory index
// in step with the database.
type Observer interface {
	Changed(mocks ...*model.Mock)
	Edited(mocks ...*model.Mock) // like Changed, but live usage counters carry over
	Removed(ids ...string)
	ChainCleared(namespace, chainID string)
}

// Catalog manages mocks and the resources around them.
type Catalog struct {
	st         *store.Store
	versioning bool
	obs        Observer
}

// New builds the catalog over a store; obs may be nil.
func New(st *store.Store, versioning bool, obs Observer) *Catalog {
	if obs == nil {
		obs = nopObserver{}
	}
	return &Catalog{st: st, versioning: versioning, obs: obs}
}

type nopObserver struct{}

func (nopObserver) Changed(...*model.Mock)      {}
func (nopObserver) Edited(...*model.Mock)       {}
func (nopObserver) Removed(...string)           {}
func (nopObserver) ChainCleared(string, string) {}

func (c *Catalog) changedIDs(ctx context.Context, ids []string) error {
	mocks, err := c.st.MocksByIDs(ctx, ids)
	if err != nil {
		return err
	}
	c.obs.Changed(mocks...)
	return nil
}

// Store exposes the repository for read-only handlers.
func (c *Catalog) Store() *store.Store { return c.st }

// Versioning reports whether mock history is kept.
func (c *Catalog) Versioning() bool { return c.versioning }

// Intent says what a create may do when the ID exists.
type Intent string

// Intents of POST /api/v1/mocks.
const (
	IntentAny       Intent = ""
	IntentCreateNew Intent = "create_new"
	IntentOverwrite Intent = "overwrite"
)

// ParseIntent validates the ?intent= parameter.
func ParseIntent(s string) (Intent, error) {
	switch Intent(s) {
	case IntentAny, IntentCreateNew, IntentOverwrite:
		return Intent(s), nil
	}
	return "", fmt.Errorf("%w: intent must be create_new or overwrite, got %q", ErrInvalid, s)
}

// Prepare normalises and validates a decoded mock for saving: the model's
// rules, then what only the engine can tell (conditions that compile,
// fakers that exist).
func Prepare(m *model.Mock, defaultNamespace string) *model.FieldError {
	if strings.TrimSpace(m.Namespace) == "" {
		m.Namespace = defaultNamespace
	}
	m.Normalise()
	if ferr := m.Validate(); ferr != nil {
		return ferr
	}
	var ferr *model.FieldError
	src := match.SourceBody
	if m.SOAP != nil {
		src = match.SourceSOAP // XPath paths too
	}
	model.EachConditionList(m, func(path string, list []model.Condition) {
		for i := range list {
			if ferr != nil {
				return
			}
			if _, err := match.CompileConditions(list[i:i+1], src, false); err != nil {
				ferr = &model.FieldError{Field: fmt.Sprintf("%s[%d].path", path, i), Message: err.Error()}
			}
		}
	})
	if ferr != nil {
		return ferr
	}
	check := func(field string, doc json.RawMessage) {
		if ferr == nil && len(doc) > 0 {
			if err := render.CheckFakers(doc); err != nil {
				ferr = &model.FieldError{Field: field, Message: err.Error()}
			}
		}
	}
	checkResponse := func(path string, r *model.ContentResponse) {
		check(path+".payload", r.Payload)
		if len(r.Headers) > 0 {
			b, _ := json.Marshal(r.Headers)
			check(path+".headers", b)
		}
		if r.SSEEventChain != nil {
			b, _ := json.Marshal(r.SSEEventChain)
			check(path+".sseEventChain", b)
		}
	}
	if m.Response != nil {
		checkResponse("response", m.Response)
	}
	if m.OneOf != nil {
		for i := range m.OneOf.Responses {
			checkResponse(fmt.Sprintf("oneOf.responses[%d]", i), &m.OneOf.Responses[i])
		}
	}
	for i, w := range m.Webhooks {
		b, _ := json.Marshal(w)
		check(fmt.Sprintf("webhooks[%d]", i), b)
	}
	if m.Extract != nil {
		b, _ := json.Marshal(m.Extract)
		check("extract", b)
	}
	return ferr
}

// Save creates or overwrites a mock. m must have passed Prepare.
func (c *Catalog) Save(ctx context.Context, m *model.Mock, intent Intent) (*store.SaveResult, error) {
	if intent == IntentCreateNew {
		exists, err := c.st.MockIDExists(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		if exists {
			return nil, fmt.Errorf("%w: a mock with id %q already exists (intent=create_new)", store.ErrConflict, m.ID)
		}
	}
	if m.FolderID != "" {
		if err := c.checkFolder(ctx, m.FolderID, m.Namespace); err != nil {
			return nil, err
		}
	}
	res, err := c.st.SaveMock(ctx, m, store.ChangeOverwrite, c.versioning)
	if err != nil {
		return nil, err
	}
	c.obs.Changed(res.Mock)
	return res, nil
}

// SaveBatch validates every mock first and saves them all, or none on a validation error.
func (c *Catalog) SaveBatch(ctx context.Context, mocks []*model.Mock) ([]*store.SaveResult, error) {
	seen := map[string]int{}
	for i, m := range mocks {
		if j, dup := seen[m.ID]; dup {
			return nil, &model.FieldError{Field: fmt.Sprintf("[%d].id", i), Message: fmt.Sprintf("duplicates the id of [%d]", j)}
		}
		seen[m.ID] = i
	}
	for _, m := range mocks {
		if m.FolderID != "" {
			if err := c.checkFolder(ctx, m.FolderID, m.Namespace); err != nil {
				return nil, fmt.Errorf("mock %q: %w", m.ID, err)
			}
		}
	}
	// Saved in transactions of batchChunk mocks: one commit (one fsync)
	// per chunk instead of per mock, and few enough row locks per
	// transaction for PostgreSQL's lock table.
	out := make([]*store.SaveResult, 0, len(mocks))
	for start := 0; start < len(mocks); start += batchChunk {
		chunk := mocks[start:min(start+batchChunk, len(mocks))]
		res, err := c.st.SaveMocks(ctx, chunk, store.ChangeOverwrite, c.versioning)
		if err != nil {
			return out, err
		}
		saved := make([]*model.Mock, len(res))
		for i, r := range res {
			saved[i] = r.Mock
		}
		c.obs.Changed(saved...)
		out = append(out, res...)
	}
	return out, nil
}

const batchChunk = 500

func (c *Catalog) checkFolder(ctx context.Context, folderID, namespace string) error {
	f, err := c.st.GetFolder(ctx, folderID)
	if errors.Is(err, store.ErrNotFound) {
		return &model.FieldError{Field: "folderId", Message: fmt.Sprintf("folder %q does not exist", folderID)}
	}
	if err != nil {
		return err
	}
	if f.Namespace != namespace {
		return &model.FieldError{Field: "folderId", Message: fmt.Sprintf("folder %q belongs to namespace %q, not %q", folderID, f.Namespace, namespace)}
	}
	return nil
}

// Patch merges a JSON merge patch into a mock and saves the result. The ID
// cannot change; server-set fields in the patch are ignored.
func (c *Catalog) Patch(ctx context.Context, id string, patch json.RawMessage) (*model.Mock, error) {
	cur, err := c.st.GetMock(ctx, id)
	if err != nil {
		return nil, err
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(patch, &p); err != nil || p == nil {
		return nil, &model.FieldError{Message: "the patch must be a JSON object", Malformed: true}
	}
	if raw, ok := p["id"]; ok {
		var pid string
		if json.Unmarshal(raw, &pid) != nil || pid != id {
			return nil, &model.FieldError{Field: "id", Message: "cannot be changed by a patch"}
		}
	}
	for _, k := range []string{"useCounter", "createdAt", "updatedAt", "lastUse", "expireAt", "closedAt"} {
		delete(p, k)
	}
	base := cur.Clone()
	base.UseCounter, base.CreatedAt, base.UpdatedAt, base.LastUse, base.ExpireAt, base.ClosedAt = 0, 0, 0, 0, 0, 0
	doc, _ := json.Marshal(base)
	pb, _ := json.Marshal(p)
	merged, err := model.MergePatch(doc, pb)
	if err != nil {
		return nil, err
	}
	m, err := model.DecodeMock(merged)
	if err != nil {
		return nil, err
	}
	// A patch that sets a protocol context or a response kind replaces the others.
	for _, k := range model.Protocols {
		if setIn(p, k) {
			m.KeepOnlyContext(k)
			break
		}
	}
	switch {
	case setIn(p, "oneOf"):
		m.Response, m.Proxy = nil, nil
	case setIn(p, "proxy"):
		m.OneOf = nil
	case setIn(p, "response"):
		m.OneOf = nil
	}
	if ferr := Prepare(m, cur.Namespace); ferr != nil {
		return nil, ferr
	}
	if m.FolderID != "" && m.FolderID != cur.FolderID {
		if err := c.checkFolder(ctx, m.FolderID, m.Namespace); err != nil {
			return nil, err
		}
	}
	res, err := c.st.SaveMock(ctx, m, store.ChangePatch, c.versioning)
	if err != nil {
		return nil, err
	}
	if cur.ClosedAt > 0 {
		// Patching does not resurrect a deleted mock.
		if _, err := c.st.SoftDeleteMocks(ctx, []string{id}); err != nil {
			return nil, err
		}
		c.obs.Removed(id)
		return c.st.GetMock(ctx, id)
	}
	c.obs.Edited(res.Mock)
	return res.Mock, nil
}

// setIn reports whether the patch sets key to something other than null.
func setIn(p map[string]json.RawMessage, key string) bool {
	v, ok := p[key]
	return ok && strings.TrimSpace(string(v)) != "null"
}

// Delete soft-deletes mocks and returns the IDs that changed.
func (c *Catalog) Delete(ctx context.Context, ids []string) ([]string, error) {
	changed, err := c.st.SoftDeleteMocks(ctx, ids)
	if err != nil {
		return nil, err
	}
	c.obs.Removed(changed...)
	return changed, nil
}

// Restore brings soft-deleted mocks back and returns the IDs that changed.
func (c *Catalog) Restore(ctx context.Context, ids []string) ([]string, error) {
	changed, err := c.st.RestoreMocks(ctx, ids)
	if err != nil {
		return nil, err
	}
	return changed, c.changedIDs(ctx, changed)
}

// Purge removes a mock for good.
func (c *Catalog) Purge(ctx context.Context, id string) error {
	if err := c.st.PurgeMock(ctx, id); err != nil {
		return err
	}
	c.obs.Removed(id)
	return nil
}

// TagChange adds, removes or replaces tags on many mocks.
type TagChange struct {
	Add, Remove []string
	Replace     []string
	ReplaceSet  bool
}

// UpdateTags applies a tag change to the listed mocks.
func (c *Catalog) UpdateTags(ctx context.Context, ids []string, ch TagChange) ([]*model.Mock, error) {
	return c.updateMocks(ctx, ids, func(m *model.Mock) error {
		tags := m.Tags
		if ch.ReplaceSet {
			tags = append([]string(nil), ch.Replace...)
		}
		tags = append(tags, ch.Add...)
		remove := map[string]bool{}
		for _, t := range ch.Remove {
			remove[t] = true
		}
		kept := tags[:0:0]
		for _, t := range tags {
			if !remove[t] {
				kept = append(kept, t)
			}
		}
		m.Tags = kept
		m.Normalise()
		if ferr := m.Validate(); ferr != nil {
			return ferr
		}
		return nil
	})
}

func (c *Catalog) updateMocks(ctx context.Context, ids []string, fn func(*model.Mock) error) ([]*model.Mock, error) {
	out, err := c.st.UpdateMocks(ctx, ids, store.ChangePatch, c.versioning, fn)
	if err != nil {
		return nil, err
	}
	for _, m := range out {
		if m.ClosedAt == 0 {
			c.obs.Edited(m)
		}
	}
	return out, nil
}

// Move puts mocks into a folder ("" for the root). Every mock must be in the folder's namespace.
func (c *Catalog) Move(ctx context.Context, ids []string, folderID string) ([]*model.Mock, error) {
	var folder *store.Folder
	if folderID != "" {
		f, err := c.st.GetFolder(ctx, folderID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &model.FieldError{Field: "folderId", Message: fmt.Sprintf("folder %q does not exist", folderID)}
		}
		if err != nil {
			return nil, err
		}
		folder = f
	}
	return c.updateMocks(ctx, ids, func(m *model.Mock) error {
		if folder != nil && folder.Namespace != m.Namespace {
			return &model.FieldError{Field: "folderId", Message: fmt.Sprintf("folder %q is in namespace %q but mock %q is in %q", folder.ID, folder.Namespace, m.ID, m.Namespace)}
		}
		m.FolderID = folderID
		return nil
	})
}

// CopyToNamespace copies live or deleted mocks into another namespace under
// new IDs (<id>-<namespace>, numbered if taken) and returns the copies.
func (c *Catalog) CopyToNamespace(ctx context.Context, ids []string, target string) ([]*model.Mock, error) {
	src, err := c.st.MocksByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	found := map[string]bool{}
	for _, m := range src {
		found[m.ID] = true
	}
	for _, id := range ids {
		if !found[id] {
			return nil, fmt.Errorf("%w: mock %q", store.ErrNotFound, id)
		}
	}
	if err := c.st.EnsureNamespace(ctx, target); err != nil {
		return nil, err
	}
	out := make([]*model.Mock, 0, len(src))
	for _, m := range src {
		cp := m.Clone()
		cp.Namespace = target
		cp.UseCounter, cp.LastUse, cp.ClosedAt, cp.CreatedAt, cp.UpdatedAt, cp.ExpireAt = 0, 0, 0, 0, 0, 0
		cp.FolderID = "" // folders belong to the source namespace
		newID, err := c.freeID(ctx, truncateID(m.ID, target))
		if err != nil {
			return nil, err
		}
		cp.ID = newID
		if ferr := Prepare(cp, target); ferr != nil {
			return nil, ferr
		}
		res, err := c.st.SaveMock(ctx, cp, store.ChangeCopy, c.versioning)
		if err != nil {
			return nil, err
		}
		c.obs.Changed(res.Mock)
		out = append(out, res.Mock)
	}
	return out, nil
}

func truncateID(id, ns string) string {
	s := id + "-" + ns
	if len(s) > 190 {
		s = s[:190]
	}
	return s
}

func (c *Catalog) freeID(ctx context.Context, base string) (string, error) {
	id := base
	for i := 2; ; i++ {
		exists, err := c.st.MockIDExists(ctx, id)
		if err != nil {
			return "", err
		}
		if !exists {
			return id, nil
		}
		id = fmt.Sprintf("%s-%d", base, i)
	}
}

// RestoreVersion saves an old revision as the newest one.
func (c *Catalog) RestoreVersion(ctx context.Context, id string, version int64) (*model.Mock, error) {
	if !c.versioning {
		return nil, fmt.Errorf("%w: versioning is off (set DB_ENABLE_VERSIONING=true)", store.ErrNotFound)
	}
	if _, err := c.st.GetMock(ctx, id); err != nil {
		return nil, err
	}
	v, err := c.st.GetMockVersion(ctx, id, version)
	if err != nil {
		return nil, err
	}
	m := v.Mock
	if ferr := Prepare(m, m.Namespace); ferr != nil {
		return nil, ferr
	}
	res, err := c.st.SaveMock(ctx, m, store.ChangeRestore, c.versioning)
	if err != nil {
		return nil, err
	}
	c.obs.Changed(res.Mock)
	return res.Mock, nil
}

// DeleteChain soft-deletes every live mock of a chain and clears its store.
func (c *Catalog) DeleteChain(ctx context.Context, chainID, namespace string) ([]string, error) {
	mocks, err := c.st.ChainMocks(ctx, chainID, namespace)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(mocks))
	namespaces := map[string]bool{}
	for _, m := range mocks {
		ids = append(ids, m.ID)
		namespaces[m.Namespace] = true
	}
	if namespace != "" {
		namespaces[namespace] = true
	}
	deleted, err := c.st.SoftDeleteMocks(ctx, ids)
	if err != nil {
		return nil, err
	}
	c.obs.Removed(deleted...)
	for ns := range namespaces {
		if _, err := c.st.DeleteStore(ctx, ns, chainID); err != nil {
			return nil, err
		}
		c.obs.ChainCleared(ns, chainID)
	}
	return deleted, nil
}
