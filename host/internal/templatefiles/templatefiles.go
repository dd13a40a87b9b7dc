// Package templatefiles keeps the payload template files that mocks name in
// payloadTemplatePath, one folder per namespace under the template folder.
// Every access goes through os.Root, so no name can reach outside it.
package templatefiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// ErrNotFound is returned for a template that does not exist.
var ErrNotFound = errors.New("template not found")

// ErrBadName is returned for a name that is not a plain file name.
var ErrBadName = errors.New("invalid template file name")

// File describes one stored template.
type File struct {
	Name      string
	Namespace string
	Size      int64
	UpdatedAt int64 // epoch ms
}

// Dir is the template folder.
type Dir struct {
	root *os.Root
	path string
}

// Open creates the folder if needed and opens it.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("create template folder: %w", err)
	}
	r, err := os.OpenRoot(path)
	if err != nil {
		return nil, fmt.Errorf("open template folder: %w", err)
	}
	return &Dir{root: r, path: path}, nil
}

// Close releases the folder.
func (d *Dir) Close() error { return d.root.Close() }

// Path is the folder on disk.
func (d *Dir) Path() string { return d.path }

func checkNames(namespace, name string) error {
	if !model.ValidFileName(name) {
		return fmt.Errorf("%w %q: use a plain name such as users.json (no '/', '\\', '..', or leading '.')", ErrBadName, name)
	}
	if !model.NamePattern.MatchString(namespace) {
		return fmt.Errorf("%w: namespace %q", ErrBadName, namespace)
	}
	return nil
}

// Read returns the content of a template.
func (d *Dir) Read(namespace, name string) ([]byte, error) {
	if err := checkNames(namespace, name); err != nil {
		return nil, err
	}
	b, err := d.root.ReadFile(filepath.Join(namespace, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return b, err
}

// Write stores a template durably: a temporary file, fsync, then rename.
func (d *Dir) Write(namespace, name string, content []byte) (*File, error) {
	if err := checkNames(namespace, name); err != nil {
		return nil, err
	}
	if err := d.root.MkdirAll(namespace, 0o755); err != nil {
		return nil, err
	}
	tmp := filepath.Join(namespace, ".tmp-"+name)
	f, err := d.root.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		_ = d.root.Remove(tmp)
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		_ = d.root.Remove(tmp)
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := d.root.Rename(tmp, filepath.Join(namespace, name)); err != nil {
		_ = d.root.Remove(tmp)
		return nil, err
	}
	if dir, err := d.root.Open(namespace); err == nil {
		_ = dir.Sync() // make the rename itself durable
		dir.Close()
	}
	return d.Stat(namespace, name)
}

// Stat describes one template.
func (d *Dir) Stat(namespace, name string) (*File, error) {
	if err := checkNames(namespace, name); err != nil {
		return nil, err
	}
	fi, err := d.root.Stat(filepath.Join(namespace, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &File{Name: name, Namespace: namespace, Size: fi.Size(), UpdatedAt: fi.ModTime().UnixMilli()}, nil
}

// Delete removes a template.
func (d *Dir) Delete(namespace, name string) error {
	if err := checkNames(namespace, name); err != nil {
		return err
	}
	err := d.root.Remove(filepath.Join(namespace, name))
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	return err
}

// List returns the templates of a namespace sorted by name, optionally only
// those whose name contains search (case-insensitive).
func (d *Dir) List(namespace, search string) ([]File, error) {
	if !model.NamePattern.MatchString(namespace) {
		return nil, fmt.Errorf("%w: namespace %q", ErrBadName, namespace)
	}
	dir, err := d.root.Open(namespace)
	if errors.Is(err, fs.ErrNotExist) {
		return []File{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	entries, err := dir.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	search = strings.ToLower(search)
	out := []File{}
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(e.Name()), search) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, File{Name: e.Name(), Namespace: namespace, Size: fi.Size(), UpdatedAt: fi.ModTime().UnixMilli()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Count returns the number of templates in every namespace.
func (d *Dir) Count() int {
	n := 0
	_ = fs.WalkDir(d.root.FS(), ".", func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			n++
		}
		return nil
	})
	return n
}
