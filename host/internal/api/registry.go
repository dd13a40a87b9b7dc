package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/graphqlgen"
	"github.com/mockarty-oss/mockarty/host/internal/openapi"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk"
)

// Schema registries of the listeners that read documents: GraphQL SDL files
// (/api/v1/graphql/schemas: a namespace's files together form the schema
// its GraphQL endpoints validate against and introspect), WSDL files
// (/api/v1/soap/wsdls: served at ?wsdl) and OpenAPI descriptions
// (/api/v1/openapi/specs: what HTTP mocks with http.validateRequest check
// requests against). Every change is checked first, so the registry only
// holds what its users can use; the resolver drops what it keeps of a
// namespace's documents and listeners hear of changes through
// Watch(documents:<kind>) (Resolver.DocumentsChanged).

// registry is one kind of registered document.
type registry struct {
	kind string   // sdk.DocumentGraphQL, sdk.DocumentWSDL, sdk.DocumentOpenAPI
	noun string   // for messages
	exts []string // accepted file name endings
	// check validates the namespace's set as it would be after the change.
	check func(set map[string]string) error
	// checkFile, for files that stand alone, validates the one file a
	// change writes instead (a deletion then needs no check): the others
	// are not read again.
	checkFile func(name, content string) error
}

var (
	graphqlRegistry = &registry{kind: sdk.DocumentGraphQL, noun: "GraphQL schema", exts: []string{".graphql", ".graphqls", ".gql"},
		check: graphqlgen.Validate}
	wsdlRegistry = &registry{kind: sdk.DocumentWSDL, noun: "WSDL", exts: []string{".wsdl", ".xml"},
		check: checkWSDLSet}
	openapiRegistry = &registry{kind: sdk.DocumentOpenAPI, noun: "OpenAPI description", exts: []string{".json", ".yaml", ".yml"},
		checkFile: checkOpenAPIFile}
)

// checkOpenAPIFile loads a description as the OpenAPI generator does, so
// one that does not parse is refused naming its line.
func checkOpenAPIFile(name, content string) error {
	if _, err := openapi.Load(context.Background(), []byte(content)); err != nil {
		var ie *generate.InputError
		if errors.As(err, &ie) {
			return generate.Inputf("content", "%s: %s", name, ie.Message)
		}
		return generate.Inputf("content", "%s: %v", name, err)
	}
	return nil
}

func (s *server) registryRoutes(v1 fiber.Router) {
	for prefix, r := range map[string]*registry{"/graphql/schemas": graphqlRegistry, "/soap/wsdls": wsdlRegistry,
		"/openapi/specs": openapiRegistry} {
		v1.Get(prefix, s.listDocs(r))
		v1.Post(prefix, s.putDoc(r))
		v1.Get(prefix+"/*", s.getDoc(r))
		v1.Put(prefix+"/*", s.putDoc(r))
		v1.Delete(prefix+"/*", s.deleteDoc(r))
	}
}

var docNamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)

// docName reads the file name from the path (it may hold slashes), the body or ?name=.
func (r *registry) docName(c *fiber.Ctx, fromBody string) (string, error) {
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
	return r.checkName(name)
}

// checkName says whether name can name a file of this registry.
func (r *registry) checkName(name string) (string, error) {
	ok := len(name) <= 255 && docNamePattern.MatchString(name) && !strings.Contains(name, "..")
	if ok {
		ok = false
		for _, e := range r.exts {
			ok = ok || strings.HasSuffix(strings.ToLower(name), e)
		}
	}
	if !ok {
		return "", fieldErr("name", "%q is not a valid %s file name: letters, digits, '.', '_', '-' and '/', ending in %s",
			name, r.noun, strings.Join(r.exts, ", "))
	}
	return name, nil
}

// set is the namespace's registered files as name -> source.
func (s *server) docSet(c *fiber.Ctx, r *registry, ns string) (map[string]string, map[string]store.DocumentRow, error) {
	rows, err := s.Catalog.Store().Documents(c.UserContext(), r.kind, ns)
	if err != nil {
		return nil, nil, err
	}
	set := make(map[string]string, len(rows))
	byName := make(map[string]store.DocumentRow, len(rows))
	for _, row := range rows {
		set[row.Name] = row.Content
		byName[row.Name] = row
	}
	return set, byName, nil
}

func docJSON(row *store.DocumentRow) fiber.Map {
	return fiber.Map{"name": row.Name, "namespace": row.Namespace, "size": len(row.Content), "updatedAt": row.UpdatedMs}
}

// checkErr turns a validator's error into the API's 422.
func checkErr(err error) error {
	var ie *generate.InputError
	if errors.As(err, &ie) {
		return fieldErr("content", "%s", ie.Message)
	}
	return fieldErr("content", "%v", err)
}

func (s *server) listDocs(r *registry) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := namespaceFor(c, "", auth.Read)
		if err != nil {
			return err
		}
		_, rows, err := s.docSet(c, r, ns)
		if err != nil {
			return err
		}
		out := []fiber.Map{}
		for _, name := range sortedKeys(rows) {
			row := rows[name]
			out = append(out, docJSON(&row))
		}
		return c.JSON(fiber.Map{"items": out, "total": len(out), "namespace": ns})
	}
}

func (s *server) putDoc(r *registry) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b struct {
			Name      string  `json:"name"`
			Content   *string `json:"content"`
			Namespace string  `json:"namespace"`
		}
		if err := s.decodeUpload(c, &b, uploadDoc{field: "content", name: "name"}); err != nil {
			return err
		}
		if b.Content == nil || strings.TrimSpace(*b.Content) == "" {
			return fieldErr("content", "is required: the %s source (JSON {\"name\",\"content\"}, a multipart form with a file part, or the file itself with ?name=)", r.noun)
		}
		ns, err := namespaceFor(c, b.Namespace, auth.Write)
		if err != nil {
			return err
		}
		name, err := r.docName(c, b.Name)
		if err != nil {
			return err
		}
		row, existed, err := s.putDocument(c, r, ns, name, *b.Content, true)
		if err != nil {
			return err
		}
		status := http.StatusCreated
		if existed {
			status = http.StatusOK
		}
		return c.Status(status).JSON(docJSON(row))
	}
}

// putDocument registers (or replaces) one file, checked first unless the
// caller already did (check false), and tells the resolver.
func (s *server) putDocument(c *fiber.Ctx, r *registry, ns, name, content string, check bool) (*store.DocumentRow, bool, error) {
	s.registryMu.Lock()
	defer s.registryMu.Unlock()
	var existed bool
	switch {
	case r.checkFile != nil:
		_, err := s.Catalog.Store().GetDocument(c.UserContext(), r.kind, ns, name)
		switch {
		case err == nil:
			existed = true
		case !errors.Is(err, store.ErrNotFound):
			return nil, false, err
		}
		if check {
			if err := r.checkFile(name, content); err != nil {
				return nil, false, checkErr(err)
			}
		}
	default:
		set, rows, err := s.docSet(c, r, ns)
		if err != nil {
			return nil, false, err
		}
		_, existed = rows[name]
		set[name] = content
		if check {
			if err := r.check(set); err != nil {
				return nil, false, checkErr(err)
			}
		}
	}
	row := &store.DocumentRow{Kind: r.kind, Namespace: ns, Name: name, Content: content, UpdatedMs: time.Now().UnixMilli()}
	if err := s.Catalog.Store().PutDocument(c.UserContext(), row); err != nil {
		return nil, false, err
	}
	s.Resolver.AddNamespace(ns)
	s.Resolver.DocumentsChanged(r.kind, ns)
	return row, existed, nil
}

func (s *server) getDoc(r *registry) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := namespaceFor(c, "", auth.Read)
		if err != nil {
			return err
		}
		name, err := r.docName(c, "")
		if err != nil {
			return err
		}
		row, err := s.Catalog.Store().GetDocument(c.UserContext(), r.kind, ns, name)
		if errors.Is(err, store.ErrNotFound) || row == nil {
			return notFoundErr("%s %q not found in namespace %q", r.noun, name, ns)
		}
		if err != nil {
			return err
		}
		if c.Query("raw") == "true" {
			c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
			return c.SendString(row.Content)
		}
		out := docJSON(row)
		out["content"] = row.Content
		return c.JSON(out)
	}
}

func (s *server) deleteDoc(r *registry) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := namespaceFor(c, "", auth.Delete)
		if err != nil {
			return err
		}
		name, err := r.docName(c, "")
		if err != nil {
			return err
		}
		s.registryMu.Lock()
		defer s.registryMu.Unlock()
		if r.checkFile == nil {
			set, rows, err := s.docSet(c, r, ns)
			if err != nil {
				return err
			}
			if _, ok := rows[name]; !ok {
				return notFoundErr("%s %q not found in namespace %q", r.noun, name, ns)
			}
			delete(set, name)
			if len(set) > 0 {
				if err := r.check(set); err != nil {
					return apiErr(http.StatusConflict, CodeConflict, "the other files need %s: %v", name, err)
				}
			}
		}
		err = s.Catalog.Store().DeleteDocument(c.UserContext(), r.kind, ns, name)
		if errors.Is(err, store.ErrNotFound) {
			return notFoundErr("%s %q not found in namespace %q", r.noun, name, ns)
		}
		if err != nil {
			return err
		}
		// Mocks naming a deleted OpenAPI description answer unchecked from now on.
		s.Resolver.DocumentsChanged(r.kind, ns)
		return c.JSON(fiber.Map{"name": name, "namespace": ns, "deleted": true})
	}
}
