package tester

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/objects"
	"github.com/mockarty-oss/mockarty/host/internal/store"
)

// Service keeps the API tester's objects.
type Service struct {
	st *store.Store
}

// NewService returns the service over a store.
func NewService(st *store.Store) *Service { return &Service{st: st} }

// Store is the service's store.
func (s *Service) Store() *store.Store { return s.st }

// ErrNotFound is an object that does not exist (or is deleted).
var ErrNotFound = store.ErrNotFound

// kind is how the tester's kinds of objects are kept (objects.Kind).
type kind[T any] = objects.Kind[T, *Service]

// get loads a live object of a kind.
func (s *Service) get(ctx context.Context, kind, id string) (*store.TesterObject, error) {
	return objects.Live(ctx, s.st, kind, id)
}

// --- collections ---

func collectionOf(o *store.TesterObject) (*Collection, error) {
	var c Collection
	if err := objects.Decode(o, &c); err != nil {
		return nil, err
	}
	c.ID, c.Namespace, c.Name, c.UserID = o.ID, o.Namespace, o.Name, o.UserID
	c.CreatedAt, c.UpdatedAt, c.DeletedAt = objects.ISO(o.CreatedMs), objects.ISO(o.UpdatedMs), objects.ISO(o.DeletedMs)
	if c.SharedUsers == nil {
		c.SharedUsers = []Share{}
	}
	if c.SharedNamespaces == nil {
		c.SharedNamespaces = []string{}
	}
	if c.Variables == nil {
		c.Variables = KVList{}
	}
	return &c, nil
}

// collections are the collections: an update leaves the server's fields
// and the sharing lists alone, and empty strings too.
var collections = &kind[Collection]{Name: store.TesterCollection, Of: collectionOf, Object: collectionObject,
	Owned: []string{"id", "namespace", "userId", "createdAt", "updatedAt", "deletedAt", "requestCount", "folders", "requests",
		"sharedUsers", "sharedNamespaces"},
	SkipEmpty: true,
	Check: func(_ context.Context, _ *Service, c *Collection) error {
		c.Name = strings.TrimSpace(c.Name)
		return checkCollection(c)
	}}

func collectionObject(namespace string, c *Collection) (*store.TesterObject, error) {
	doc := *c
	doc.Folders, doc.Requests = nil, nil
	o := &store.TesterObject{Kind: store.TesterCollection, ID: c.ID, Namespace: namespace, Name: c.Name, UserID: c.UserID}
	return o, objects.Encode(o, &doc)
}

func checkCollection(c *Collection) error {
	if err := checkName("name", c.Name, true); err != nil {
		return err
	}
	if len(c.Description) > maxScript {
		return fieldErr("description", "must be at most %d KiB", maxScript>>10)
	}
	if err := checkAuth("auth", c.Auth); err != nil {
		return err
	}
	return checkScripts("", c.PreRequestScript, c.TestScript)
}

// Collections lists the live (or deleted) collections of the namespaces.
func (s *Service) Collections(ctx context.Context, namespace string, namespaces []string, deleted bool) ([]Collection, error) {
	return collections.List(ctx, s, store.TesterFilter{Namespace: namespace, Namespaces: namespaces, Deleted: deleted})
}

// Collection loads a live collection; with tree, its folders and requests too.
func (s *Service) Collection(ctx context.Context, id string, tree bool) (*Collection, error) {
	c, err := collections.Get(ctx, s, id)
	if err != nil {
		return nil, err
	}
	folders, requests, err := s.Tree(ctx, id)
	if err != nil {
		return nil, err
	}
	c.RequestCount = len(requests)
	if tree {
		c.Folders, c.Requests = folders, requests
	}
	return c, nil
}

// CollectionAny loads a collection even when deleted (restore, rights).
func (s *Service) CollectionAny(ctx context.Context, id string) (*Collection, error) {
	o, err := s.st.GetTesterObject(ctx, store.TesterCollection, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: collection %q", store.ErrNotFound, id)
		}
		return nil, err
	}
	return collectionOf(o)
}

// CreateCollection stores a new collection with its inline folders and requests.
func (s *Service) CreateCollection(ctx context.Context, c *Collection) (*Collection, error) {
	c.Name = strings.TrimSpace(c.Name)
	if err := checkCollection(c); err != nil {
		return nil, err
	}
	if c.ID == "" {
		c.ID = uuid.NewString()
	} else if !model.NamePattern.MatchString(c.ID) {
		return nil, fieldErr("id", "must be 1-100 letters, digits, '.', '_' or '-'")
	}
	var more []*store.TesterObject
	// Inline folders and requests keep the order they give (an import's
	// positions), else the order they are listed in.
	ordered := false
	for _, f := range c.Folders {
		ordered = ordered || f.SortOrder != 0
	}
	for _, r := range c.Requests {
		ordered = ordered || r.SortOrder != 0
	}
	folderIDs := map[string]string{} // as given -> stored
	for i := range c.Folders {
		f := c.Folders[i]
		given := f.ID
		f.ID = uuid.NewString()
		folderIDs[given] = f.ID
		c.Folders[i] = f
	}
	for i := range c.Folders {
		f := &c.Folders[i]
		if err := checkName(fmt.Sprintf("folders[%d].name", i), f.Name, true); err != nil {
			return nil, err
		}
		f.CollectionID, f.ParentID = c.ID, folderIDs[f.ParentID]
		if !ordered {
			f.SortOrder = int64(i)
		}
		o, err := folderObject(c.Namespace, f)
		if err != nil {
			return nil, err
		}
		more = append(more, o)
	}
	for i := range c.Requests {
		r := &c.Requests[i]
		if err := checkRequest(fmt.Sprintf("requests[%d].", i), r); err != nil {
			return nil, err
		}
		r.ID, r.CollectionID, r.FolderID = uuid.NewString(), c.ID, folderIDs[r.FolderID]
		if !ordered {
			r.SortOrder = int64(i)
		}
		o, err := requestObject(c.Namespace, r)
		if err != nil {
			return nil, err
		}
		more = append(more, o)
	}
	if _, err := collections.Put(ctx, s, c.Namespace, c, 0, more...); err != nil {
		return nil, err
	}
	return s.Collection(ctx, c.ID, true)
}

// UpdateCollection merges body into a collection (empty strings and nulls
// leave fields unchanged, as the Go SDK sends every field).
func (s *Service) UpdateCollection(ctx context.Context, id string, body []byte) (*Collection, error) {
	if _, err := collections.Update(ctx, s, id, body); err != nil {
		return nil, err
	}
	return s.Collection(ctx, id, false)
}

// SaveCollection writes a changed collection (sharing lists).
func (s *Service) SaveCollection(ctx context.Context, c *Collection) error {
	o, err := s.get(ctx, store.TesterCollection, c.ID)
	if err != nil {
		return err
	}
	_, err = collections.Put(ctx, s, o.Namespace, c, o.CreatedMs)
	return err
}

// DeleteCollections marks collections deleted; Restore brings one back.
func (s *Service) DeleteCollections(ctx context.Context, ids []string) (int64, error) {
	return s.st.SetTesterDeleted(ctx, store.TesterCollection, ids, true)
}

// RestoreCollection brings a deleted collection back with its contents.
func (s *Service) RestoreCollection(ctx context.Context, id string) (*Collection, error) {
	if _, err := s.st.SetTesterDeleted(ctx, store.TesterCollection, []string{id}, false); err != nil {
		return nil, err
	}
	return s.Collection(ctx, id, false)
}

// DuplicateCollection copies a collection with its folders and requests.
func (s *Service) DuplicateCollection(ctx context.Context, id, userID string) (*Collection, error) {
	c, err := s.Collection(ctx, id, true)
	if err != nil {
		return nil, err
	}
	c.ID, c.UserID = "", userID
	c.Name = c.Name + " (copy)"
	if len(c.Name) > maxName {
		c.Name = c.Name[:maxName]
	}
	c.SharedUsers, c.SharedNamespaces = nil, nil
	return s.CreateCollection(ctx, c)
}

// --- folders ---

// folders are the folders of collections.
var folders = &kind[Folder]{Name: store.TesterFolder, Of: folderOf, Object: folderObject,
	Owned: []string{"id", "collectionId", "createdAt", "updatedAt"},
	Check: func(ctx context.Context, s *Service, f *Folder) error { return s.checkFolder(ctx, f) }}

// requests are the requests of collections.
var requests = &kind[Request]{Name: store.TesterRequest, Of: requestOf, Object: requestObject,
	Owned: []string{"id", "collectionId", "createdAt", "updatedAt"},
	Check: func(ctx context.Context, s *Service, r *Request) error {
		if err := checkRequest("", r); err != nil {
			return err
		}
		return s.checkFolderIn(ctx, r.CollectionID, r.FolderID, "folderId")
	}}

func folderObject(namespace string, f *Folder) (*store.TesterObject, error) {
	o := &store.TesterObject{ID: f.ID, Kind: store.TesterFolder, Namespace: namespace, Parent: f.CollectionID,
		Folder: f.ParentID, Name: f.Name, SortOrder: f.SortOrder}
	doc := *f
	return o, objects.Encode(o, &doc)
}

func folderOf(o *store.TesterObject) (*Folder, error) {
	var f Folder
	if err := objects.Decode(o, &f); err != nil {
		return nil, err
	}
	f.ID, f.CollectionID, f.ParentID, f.Name, f.SortOrder = o.ID, o.Parent, o.Folder, o.Name, o.SortOrder
	f.CreatedAt, f.UpdatedAt = objects.ISO(o.CreatedMs), objects.ISO(o.UpdatedMs)
	return &f, nil
}

func requestObject(namespace string, r *Request) (*store.TesterObject, error) {
	o := &store.TesterObject{ID: r.ID, Kind: store.TesterRequest, Namespace: namespace, Parent: r.CollectionID,
		Folder: r.FolderID, Name: r.Name, SortOrder: r.SortOrder}
	doc := *r
	return o, objects.Encode(o, &doc)
}

func requestOf(o *store.TesterObject) (*Request, error) {
	var r Request
	if err := objects.Decode(o, &r); err != nil {
		return nil, err
	}
	r.ID, r.CollectionID, r.FolderID, r.Name, r.SortOrder = o.ID, o.Parent, o.Folder, o.Name, o.SortOrder
	r.CreatedAt, r.UpdatedAt = objects.ISO(o.CreatedMs), objects.ISO(o.UpdatedMs)
	if r.Headers == nil {
		r.Headers = KVList{}
	}
	return &r, nil
}

// Tree lists a collection's folders and requests in sort order.
func (s *Service) Tree(ctx context.Context, collectionID string) ([]Folder, []Request, error) {
	fs, err := folders.List(ctx, s, store.TesterFilter{Parent: collectionID})
	if err != nil {
		return nil, nil, err
	}
	rs, err := requests.List(ctx, s, store.TesterFilter{Parent: collectionID})
	return fs, rs, err
}

// nextOrder is one past the highest sort order among a collection's objects.
func (s *Service) nextOrder(ctx context.Context, kind, collectionID string) (int64, error) {
	rows, _, err := s.st.TesterObjects(ctx, store.TesterFilter{Kind: kind, Parent: collectionID})
	if err != nil {
		return 0, err
	}
	var max int64 = -1
	for _, r := range rows {
		if r.SortOrder > max {
			max = r.SortOrder
		}
	}
	return max + 1, nil
}

// checkFolderIn checks a folder exists in the collection ("" is the root).
func (s *Service) checkFolderIn(ctx context.Context, collectionID, folderID, field string) error {
	if folderID == "" {
		return nil
	}
	o, err := s.get(ctx, store.TesterFolder, folderID)
	if err != nil || o.Parent != collectionID {
		return fieldErr(field, "folder %q is not in collection %q", folderID, collectionID)
	}
	return nil
}

// Folder loads a folder.
func (s *Service) Folder(ctx context.Context, id string) (*Folder, error) {
	return folders.Get(ctx, s, id)
}

// checkFolder validates a folder: name, auth, scripts, and a parent in
// the same collection that is not itself or inside it.
func (s *Service) checkFolder(ctx context.Context, f *Folder) error {
	f.Name = strings.TrimSpace(f.Name)
	if err := checkName("name", f.Name, true); err != nil {
		return err
	}
	if err := checkAuth("auth", f.Auth); err != nil {
		return err
	}
	if err := checkScripts("", f.PreRequestScript, f.TestScript); err != nil {
		return err
	}
	for p, seen := f.ParentID, 0; p != ""; seen++ {
		if p == f.ID || seen > 64 {
			return fieldErr("parentId", "a folder cannot be inside itself")
		}
		po, err := s.get(ctx, store.TesterFolder, p) // not s.Folder: the kind's check is part of the kind
		if err != nil || po.Parent != f.CollectionID {
			return fieldErr("parentId", "folder %q is not in collection %q", p, f.CollectionID)
		}
		p = po.Folder
	}
	return nil
}

// CreateFolder adds a folder to a collection.
func (s *Service) CreateFolder(ctx context.Context, c *Collection, f *Folder) (*Folder, error) {
	f.ID, f.CollectionID = uuid.NewString(), c.ID
	if err := s.checkFolder(ctx, f); err != nil {
		return nil, err
	}
	order, err := s.nextOrder(ctx, store.TesterFolder, c.ID)
	if err != nil {
		return nil, err
	}
	f.SortOrder = order
	if _, err := folders.Put(ctx, s, c.Namespace, f, 0); err != nil {
		return nil, err
	}
	return s.Folder(ctx, f.ID)
}

// UpdateFolder merges body into a folder.
func (s *Service) UpdateFolder(ctx context.Context, id string, body []byte) (*Folder, error) {
	return folders.Update(ctx, s, id, body)
}

// DeleteFolder removes a folder with its subfolders and requests.
func (s *Service) DeleteFolder(ctx context.Context, id string) error {
	f, err := s.Folder(ctx, id)
	if err != nil {
		return err
	}
	folders, requests, err := s.Tree(ctx, f.CollectionID)
	if err != nil {
		return err
	}
	gone := map[string]bool{id: true}
	for changed := true; changed; {
		changed = false
		for _, g := range folders {
			if !gone[g.ID] && gone[g.ParentID] {
				gone[g.ID], changed = true, true
			}
		}
	}
	var fids, rids []string
	for k := range gone {
		fids = append(fids, k)
	}
	for _, r := range requests {
		if gone[r.FolderID] {
			rids = append(rids, r.ID)
		}
	}
	if len(rids) > 0 {
		if _, err := s.st.DeleteTesterObjects(ctx, store.TesterRequest, rids); err != nil {
			return err
		}
	}
	_, err = s.st.DeleteTesterObjects(ctx, store.TesterFolder, fids)
	return err
}

// --- requests ---

// Request loads a request.
func (s *Service) Request(ctx context.Context, id string) (*Request, error) {
	return requests.Get(ctx, s, id)
}

// Requests lists a collection's requests in order.
func (s *Service) Requests(ctx context.Context, collectionID string) ([]Request, error) {
	_, requests, err := s.Tree(ctx, collectionID)
	return requests, err
}

// CreateRequest adds a request to a collection (at the end).
func (s *Service) CreateRequest(ctx context.Context, c *Collection, r *Request) (*Request, error) {
	r.CollectionID = c.ID
	if err := requests.Check(ctx, s, r); err != nil {
		return nil, err
	}
	order, err := s.nextOrder(ctx, store.TesterRequest, c.ID)
	if err != nil {
		return nil, err
	}
	r.ID, r.SortOrder = uuid.NewString(), order
	if _, err := requests.Put(ctx, s, c.Namespace, r, 0); err != nil {
		return nil, err
	}
	return s.Request(ctx, r.ID)
}

// UpdateRequest merges body into a request.
func (s *Service) UpdateRequest(ctx context.Context, id string, body []byte) (*Request, error) {
	return requests.Update(ctx, s, id, body)
}

// DeleteRequests removes requests for good.
func (s *Service) DeleteRequests(ctx context.Context, ids []string) (int64, error) {
	return s.st.DeleteTesterObjects(ctx, store.TesterRequest, ids)
}

// MoveRequests puts requests into a folder (or the root, "") of their collection.
func (s *Service) MoveRequests(ctx context.Context, ids []string, folderID string) (int64, error) {
	var objs []*store.TesterObject
	for i, id := range ids {
		o, err := s.get(ctx, store.TesterRequest, id)
		if err != nil {
			return 0, fmt.Errorf("ids[%d]: %w", i, err)
		}
		if err := s.checkFolderIn(ctx, o.Parent, folderID, "folderId"); err != nil {
			return 0, err
		}
		r, err := requestOf(o)
		if err != nil {
			return 0, err
		}
		r.FolderID = folderID
		no, err := requestObject(o.Namespace, r)
		if err != nil {
			return 0, err
		}
		no.CreatedMs = o.CreatedMs
		objs = append(objs, no)
	}
	return int64(len(objs)), s.st.PutTesterObjects(ctx, objs...)
}

// ReorderRequests sets the order of a collection's requests: ids first in
// the given order, the rest after them in their old order.
func (s *Service) ReorderRequests(ctx context.Context, c *Collection, ids []string) ([]Request, error) {
	requests, err := s.Requests(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	pos := map[string]int{}
	for i, id := range ids {
		if _, dup := pos[id]; dup {
			return nil, fieldErr(fmt.Sprintf("ids[%d]", i), "%q is listed twice", id)
		}
		pos[id] = i
	}
	byID := map[string]bool{}
	for _, r := range requests {
		byID[r.ID] = true
	}
	for i, id := range ids {
		if !byID[id] {
			return nil, fieldErr(fmt.Sprintf("ids[%d]", i), "request %q is not in collection %q", id, c.ID)
		}
	}
	var objs []*store.TesterObject
	next := int64(len(ids))
	for i := range requests {
		r := &requests[i]
		if p, ok := pos[r.ID]; ok {
			r.SortOrder = int64(p)
		} else {
			r.SortOrder = next
			next++
		}
		o, err := requestObject(c.Namespace, r)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	if err := s.st.PutTesterObjects(ctx, objs...); err != nil {
		return nil, err
	}
	return s.Requests(ctx, c.ID)
}

func newID() string { return uuid.NewString() }
