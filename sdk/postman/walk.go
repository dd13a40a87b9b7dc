package postman

import (
	"errors"
	"fmt"
)

// SkipFolder, returned by a WalkFunc for a folder, skips its content.
var SkipFolder = errors.New("skip this folder")

// WalkFunc is called for every item, folders before their content.
// parents are the folders it is in, outermost first; the slice is reused
// between calls, so a caller keeping it copies it.
type WalkFunc func(parents []*Item, it *Item) error

// Walk visits items depth-first in order. It stops at the first error
// fn returns (other than SkipFolder), and with an error when folders nest
// deeper than MaxDepth (a structure built in Go could even loop).
func Walk(items []*Item, fn WalkFunc) error {
	err := walk(make([]*Item, 0, 8), items, fn)
	if errors.Is(err, SkipFolder) {
		return nil
	}
	return err
}

func walk(parents []*Item, items []*Item, fn WalkFunc) error {
	if len(parents) >= MaxDepth {
		return fmt.Errorf("folders nest more than %d deep", MaxDepth)
	}
	for _, it := range items {
		if it == nil {
			continue
		}
		err := fn(parents, it)
		switch {
		case errors.Is(err, SkipFolder):
			continue
		case err != nil:
			return err
		}
		if it.IsFolder() {
			if err := walk(append(parents, it), it.Item, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// Walk visits the collection's items as Walk does.
func (c *Collection) Walk(fn WalkFunc) error { return Walk(c.Item, fn) }

// Find is the item (request or folder) whose id is idOrName, else the
// first one depth-first so named (as newman's --folder picks), with the
// folders it is in; nil when there is none.
func (c *Collection) Find(idOrName string) (it *Item, parents []*Item) {
	var byName *Item
	var nameParents []*Item
	_ = c.Walk(func(ps []*Item, x *Item) error {
		if x.ID != "" && x.ID == idOrName {
			it, parents = x, append([]*Item(nil), ps...)
			return errStop
		}
		if byName == nil && x.Name == idOrName {
			byName, nameParents = x, append([]*Item(nil), ps...)
		}
		return nil
	})
	if it != nil {
		return it, parents
	}
	return byName, nameParents
}

var errStop = errors.New("stop")

// Requests is every request item, depth-first, with the folder names
// leading to it.
func (c *Collection) Requests() []Located {
	var out []Located
	_ = c.Walk(func(ps []*Item, x *Item) error {
		if !x.IsFolder() {
			names := make([]string, len(ps))
			for i, p := range ps {
				names[i] = p.Name
			}
			out = append(out, Located{Item: x, Folders: names})
		}
		return nil
	})
	return out
}

// Located is a request item and the names of the folders it is in,
// outermost first.
type Located struct {
	Item    *Item
	Folders []string
}
