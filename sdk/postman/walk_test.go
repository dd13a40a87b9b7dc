package postman

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func walkFixture(t *testing.T) *Collection {
	t.Helper()
	c, err := Parse([]byte(`{"item": [
	  {"id": "f1", "name": "Users", "item": [
	    {"id": "r1", "name": "List", "request": "http://h/users"},
	    {"id": "f2", "name": "Admin", "item": [{"id": "r2", "name": "Delete", "request": "http://h/users/1"}]}
	  ]},
	  {"id": "r3", "name": "Health", "request": "http://h/health"},
	  {"id": "r4", "name": "List", "request": "http://h/other"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWalkOrderAndParents(t *testing.T) {
	c := walkFixture(t)
	var seen []string
	err := c.Walk(func(parents []*Item, it *Item) error {
		names := []string{}
		for _, p := range parents {
			names = append(names, p.Name)
		}
		seen = append(seen, strings.Join(append(names, it.Name), "/"))
		return nil
	})
	want := []string{"Users", "Users/List", "Users/Admin", "Users/Admin/Delete", "Health", "List"}
	if err != nil || !reflect.DeepEqual(seen, want) {
		t.Errorf("%v %v", seen, err)
	}
	var skipped []string
	_ = c.Walk(func(_ []*Item, it *Item) error {
		skipped = append(skipped, it.ID)
		if it.Name == "Admin" {
			return SkipFolder
		}
		return nil
	})
	if !reflect.DeepEqual(skipped, []string{"f1", "r1", "f2", "r3", "r4"}) {
		t.Errorf("SkipFolder: %v", skipped)
	}
	stop := errors.New("stop here")
	n := 0
	if err := c.Walk(func(_ []*Item, _ *Item) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("an error stops the walk: %v after %d", err, n)
	}
	reqs := c.Requests()
	if len(reqs) != 4 || reqs[1].Item.ID != "r2" || !reflect.DeepEqual(reqs[1].Folders, []string{"Users", "Admin"}) {
		t.Errorf("requests: %+v", reqs)
	}
}

func TestFind(t *testing.T) {
	c := walkFixture(t)
	if it, ps := c.Find("r2"); it == nil || it.Name != "Delete" || len(ps) != 2 || ps[1].ID != "f2" {
		t.Errorf("by id: %+v %+v", it, ps)
	}
	if it, ps := c.Find("List"); it == nil || it.ID != "r1" || len(ps) != 1 {
		t.Errorf("by name, depth-first first: %+v", it)
	}
	if it, _ := c.Find("Admin"); it == nil || !it.IsFolder() {
		t.Errorf("a folder: %+v", it)
	}
	if it, _ := c.Find("nope"); it != nil {
		t.Errorf("found %+v", it)
	}
}

// A structure built in Go that loops stops at MaxDepth.
func TestWalkBounded(t *testing.T) {
	loop := &Item{Name: "loop"}
	loop.Item = []*Item{loop}
	n := 0
	err := Walk([]*Item{loop}, func(_ []*Item, _ *Item) error { n++; return nil })
	if err == nil || n != MaxDepth {
		t.Errorf("%v after %d", err, n)
	}
}
