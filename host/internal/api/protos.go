package api

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/protos"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The .proto registry: files per namespace, checked by compiling the
// namespace's whole set with each change, so a file that does not compile,
// or breaks another, is refused with the compiler's error and its line.
// The gRPC listener serves what is registered and reloads on change.

func (s *server) protoRoutes(v1 fiber.Router) {
	v1.Get("/protos", s.listProtos)
	v1.Post("/protos", s.uploadProto)
	v1.Get("/protos/*", s.getProto)
	v1.Put("/protos/*", s.uploadProto)
	v1.Delete("/protos/*", s.deleteProto)
}

// protoSet is the namespace's registered files as name -> source.
func (s *server) protoSet(c *fiber.Ctx, ns string) (map[string]string, map[string]store.DocumentRow, error) {
	rows, err := s.Catalog.Store().Documents(c.UserContext(), sdk.DocumentProto, ns)
	if err != nil {
		return nil, nil, err
	}
	set := make(map[string]string, len(rows))
	byName := make(map[string]store.DocumentRow, len(rows))
	for _, r := range rows {
		set[r.Name] = r.Content
		byName[r.Name] = r
	}
	return set, byName, nil
}

func compileErr(err error) error {
	var pe *protos.Error
	if errors.As(err, &pe) {
		return fieldErr("content", "%s", pe.Error())
	}
	return fieldErr("content", "%v", err)
}

func servicesJSON(fds []protoreflect.FileDescriptor, file string) []fiber.Map {
	out := []fiber.Map{}
	for _, fd := range fds {
		if file != "" && fd.Path() != file {
			continue
		}
		svcs := fd.Services()
		for i := 0; i < svcs.Len(); i++ {
			sd := svcs.Get(i)
			methods := []fiber.Map{}
			for j := 0; j < sd.Methods().Len(); j++ {
				m := sd.Methods().Get(j)
				methods = append(methods, fiber.Map{"name": string(m.Name()), "input": string(m.Input().FullName()),
					"output": string(m.Output().FullName()), "clientStreaming": m.IsStreamingClient(), "serverStreaming": m.IsStreamingServer()})
			}
			out = append(out, fiber.Map{"name": string(sd.FullName()), "file": fd.Path(), "methods": methods})
		}
	}
	return out
}

func protoJSON(r *store.DocumentRow, fds []protoreflect.FileDescriptor) fiber.Map {
	return fiber.Map{"name": r.Name, "namespace": r.Namespace, "size": len(r.Content), "updatedAt": r.UpdatedMs,
		"services": servicesJSON(fds, r.Name)}
}

func (s *server) listProtos(c *fiber.Ctx) error {
	ns, err := namespaceFor(c, "", auth.Read)
	if err != nil {
		return err
	}
	set, rows, err := s.protoSet(c, ns)
	if err != nil {
		return err
	}
	fds, _ := protos.Compile(c.UserContext(), set) // the registry only holds sets that compile
	out := []fiber.Map{}
	for _, name := range sortedKeys(rows) {
		r := rows[name]
		out = append(out, protoJSON(&r, fds))
	}
	return c.JSON(fiber.Map{"protos": out, "total": len(out), "namespace": ns, "services": servicesJSON(fds, "")})
}

func sortedKeys(m map[string]store.DocumentRow) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// protoName reads the file name from the path (it may hold slashes) or the body.
func protoName(c *fiber.Ctx, fromBody string) (string, error) {
	name := c.Params("*")
	if u, err := url.PathUnescape(name); err == nil {
		name = u
	}
	if name == "" {
		name = strings.TrimSpace(fromBody)
	}
	if name == "" {
		name = c.Query("name")
	}
	if !protos.ValidName(name) {
		return "", fieldErr("name", "%q is not a .proto file name: a relative path of letters, digits, '.', '_' and '-' ending in .proto", name)
	}
	return name, nil
}

func (s *server) uploadProto(c *fiber.Ctx) error {
	var b struct {
		Name      string  `json:"name"`
		Content   *string `json:"content"`
		Namespace string  `json:"namespace"`
	}
	if err := s.decodeUpload(c, &b, uploadDoc{field: "content", name: "name"}); err != nil {
		return err
	}
	if b.Content == nil || strings.TrimSpace(*b.Content) == "" {
		return fieldErr("content", "is required: the .proto source (JSON {\"name\",\"content\"}, a multipart form with a file part, or the file itself with ?name=)")
	}
	ns, err := namespaceFor(c, b.Namespace, auth.Write)
	if err != nil {
		return err
	}
	name, err := protoName(c, b.Name)
	if err != nil {
		return err
	}
	set, rows, err := s.protoSet(c, ns)
	if err != nil {
		return err
	}
	_, existed := rows[name]
	set[name] = *b.Content
	fds, err := protos.Compile(c.UserContext(), set)
	if err != nil {
		return compileErr(err)
	}
	row := &store.DocumentRow{Kind: sdk.DocumentProto, Namespace: ns, Name: name, Content: *b.Content, UpdatedMs: time.Now().UnixMilli()}
	if err := s.Catalog.Store().PutDocument(c.UserContext(), row); err != nil {
		return err
	}
	s.Resolver.AddNamespace(ns)
	s.Resolver.Notify(sdk.DocumentsTopic(sdk.DocumentProto))
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	return c.Status(status).JSON(protoJSON(row, fds))
}

func (s *server) getProto(c *fiber.Ctx) error {
	ns, err := namespaceFor(c, "", auth.Read)
	if err != nil {
		return err
	}
	name, err := protoName(c, "")
	if err != nil {
		return err
	}
	set, rows, err := s.protoSet(c, ns)
	if err != nil {
		return err
	}
	row, ok := rows[name]
	if !ok {
		return notFoundErr("proto %q not found in namespace %q", name, ns)
	}
	if c.Query("raw") == "true" {
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.SendString(row.Content)
	}
	fds, _ := protos.Compile(c.UserContext(), set)
	out := protoJSON(&row, fds)
	out["content"] = row.Content
	return c.JSON(out)
}

func (s *server) deleteProto(c *fiber.Ctx) error {
	ns, err := namespaceFor(c, "", auth.Delete)
	if err != nil {
		return err
	}
	name, err := protoName(c, "")
	if err != nil {
		return err
	}
	set, rows, err := s.protoSet(c, ns)
	if err != nil {
		return err
	}
	if _, ok := rows[name]; !ok {
		return notFoundErr("proto %q not found in namespace %q", name, ns)
	}
	delete(set, name)
	if _, err := protos.Compile(c.UserContext(), set); err != nil {
		return apiErr(http.StatusConflict, CodeConflict, "other files need %s: %v", name, err)
	}
	if err := s.Catalog.Store().DeleteDocument(c.UserContext(), sdk.DocumentProto, ns, name); err != nil {
		return err
	}
	s.Resolver.Notify(sdk.DocumentsTopic(sdk.DocumentProto))
	return c.JSON(fiber.Map{"name": name, "namespace": ns, "deleted": true})
}
