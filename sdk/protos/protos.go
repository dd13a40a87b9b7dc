// Package protos compiles .proto files at run time, with no protoc: the
// host checks uploads with it and the gRPC listener builds its services
// from it. The well-known types (google/protobuf/*.proto) and the rich
// error types (google/rpc/status.proto, google/rpc/error_details.proto,
// google/rpc/code.proto) are always importable.
package protos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
	_ "google.golang.org/genproto/googleapis/rpc/code"       // registers google/rpc/code.proto
	_ "google.golang.org/genproto/googleapis/rpc/errdetails" // registers google/rpc/error_details.proto
	_ "google.golang.org/genproto/googleapis/rpc/status"     // registers google/rpc/status.proto
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Error is a compile error with its place: File:Line:Column: Message.
type Error struct {
	File         string
	Line, Column int
	Message      string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message)
	}
	return e.File + ": " + e.Message
}

// ValidName reports whether name can name a .proto file: relative slash
// paths of letters, digits, '.', '_' and '-' segments, ending in .proto.
func ValidName(name string) bool {
	if !strings.HasSuffix(name, ".proto") || len(name) > 300 || strings.HasPrefix(name, "/") {
		return false
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for _, c := range seg {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Compile compiles every file of files (name → source), resolving imports
// among them and from the bundled types, and returns them linked, sorted by
// name. The first error is returned as an *Error when it has a place.
func Compile(ctx context.Context, files map[string]string) ([]protoreflect.FileDescriptor, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		if !ValidName(n) {
			return nil, &Error{File: n, Message: "not a valid .proto file name (relative path ending in .proto)"}
		}
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, nil
	}
	sources := &protocompile.SourceResolver{Accessor: func(path string) (io.ReadCloser, error) {
		if src, ok := files[path]; ok {
			return io.NopCloser(strings.NewReader(src)), nil
		}
		return nil, protoregistry.NotFound
	}}
	bundled := protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
		if _, mine := files[path]; mine {
			return protocompile.SearchResult{}, protoregistry.NotFound
		}
		if strings.HasPrefix(path, "google/rpc/") {
			fd, err := protoregistry.GlobalFiles.FindFileByPath(path)
			if err == nil {
				return protocompile.SearchResult{Desc: fd}, nil
			}
		}
		return protocompile.SearchResult{}, protoregistry.NotFound
	})
	var first error
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(protocompile.CompositeResolver{sources, bundled}),
		SourceInfoMode: protocompile.SourceInfoStandard,
		Reporter: reporter.NewReporter(func(err reporter.ErrorWithPos) error {
			if first == nil {
				pos := err.GetPosition()
				first = &Error{File: pos.Filename, Line: pos.Line, Column: pos.Col, Message: err.Unwrap().Error()}
			}
			return err
		}, nil),
	}
	linked, err := c.Compile(ctx, names...)
	if err != nil {
		if first != nil {
			return nil, first
		}
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, &Error{File: fileOf(err, names), Message: err.Error()}
	}
	out := make([]protoreflect.FileDescriptor, 0, len(linked))
	for _, f := range linked {
		out = append(out, f)
	}
	return out, nil
}

func fileOf(err error, names []string) string {
	for _, n := range names {
		if strings.Contains(err.Error(), n) {
			return n
		}
	}
	return names[0]
}

// Files is linked descriptors as a resolver (for dynamic messages).
func Files(fds []protoreflect.FileDescriptor) (*protoregistry.Files, error) {
	reg := &protoregistry.Files{}
	var add func(fd protoreflect.FileDescriptor) error
	seen := map[string]bool{}
	add = func(fd protoreflect.FileDescriptor) error {
		if seen[fd.Path()] {
			return nil
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			if err := add(imports.Get(i).FileDescriptor); err != nil {
				return err
			}
		}
		return reg.RegisterFile(fd)
	}
	for _, fd := range fds {
		if err := add(fd); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// Services lists the fully qualified services of fds with their methods.
func Services(fds []protoreflect.FileDescriptor) map[string][]protoreflect.MethodDescriptor {
	out := map[string][]protoreflect.MethodDescriptor{}
	for _, fd := range fds {
		svcs := fd.Services()
		for i := 0; i < svcs.Len(); i++ {
			sd := svcs.Get(i)
			ms := sd.Methods()
			for j := 0; j < ms.Len(); j++ {
				out[string(sd.FullName())] = append(out[string(sd.FullName())], ms.Get(j))
			}
		}
	}
	return out
}
