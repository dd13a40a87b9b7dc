package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/tester"
	"github.com/mockarty-oss/mockarty/host/internal/tester/imports"
	"github.com/mockarty-oss/mockarty/sdk/postman"
)

// testerImportBody is every form an import arrives in (model-tools §1.7):
// Go {"data"}, Java {"content","namespace"}, Python the raw document or
// {"commands"} for cURL, and multipart `file`.
type testerImportBody struct {
	Data      string   `json:"data"`
	Content   string   `json:"content"`
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Commands  []string `json:"commands"`
}

// collectionImporter turns a document (or cURL commands) into a collection.
type collectionImporter func(ctx context.Context, doc []byte, commands []string) (*imports.Result, error)

// testerImporters are the import kinds (model-tools §1.7).
var testerImporters = map[string]collectionImporter{
	"postman":  func(_ context.Context, doc []byte, _ []string) (*imports.Result, error) { return imports.Postman(doc) },
	"mockarty": func(_ context.Context, doc []byte, _ []string) (*imports.Result, error) { return imports.Postman(doc) }, // Mockarty exports Postman v2.1
	"insomnia": func(_ context.Context, doc []byte, _ []string) (*imports.Result, error) { return imports.Insomnia(doc) },
	"har":      func(_ context.Context, doc []byte, _ []string) (*imports.Result, error) { return imports.HAR(doc) },
	"openapi": func(ctx context.Context, doc []byte, _ []string) (*imports.Result, error) {
		return imports.OpenAPI(ctx, doc)
	},
	"curl": func(_ context.Context, doc []byte, commands []string) (*imports.Result, error) {
		if len(commands) == 0 && len(doc) > 0 {
			commands = []string{string(doc)}
		}
		return imports.Curl(commands)
	},
	"wsdl": func(_ context.Context, doc []byte, _ []string) (*imports.Result, error) { return imports.WSDL(doc) },
	"grpc": func(ctx context.Context, doc []byte, _ []string) (*imports.Result, error) {
		return imports.Proto(ctx, doc)
	},
	"graphql": func(_ context.Context, doc []byte, _ []string) (*imports.Result, error) { return imports.GraphQL(doc) },
	"mcp":     func(_ context.Context, doc []byte, _ []string) (*imports.Result, error) { return imports.MCP(doc) },
	"soapui":  func(_ context.Context, doc []byte, _ []string) (*imports.Result, error) { return imports.SoapUI(doc) },
}

func importKinds() string {
	var k []string
	for name := range testerImporters {
		k = append(k, name)
	}
	sort.Strings(k)
	return strings.Join(k, ", ")
}

func (s *server) testerImportRoutes(t fiber.Router) {
	t.Post("/import/:kind", s.importCollection)
}

func (s *server) importCollection(c *fiber.Ctx) error {
	kind := param(c, "kind")
	imp, ok := testerImporters[kind]
	if !ok {
		return notFoundErr("no importer %q (kinds: %s)", kind, importKinds())
	}
	var b testerImportBody
	if err := s.decodeUpload(c, &b, uploadDoc{field: "data"}); err != nil {
		return err
	}
	doc := b.Data
	if doc == "" {
		doc = b.Content
	}
	if strings.TrimSpace(doc) == "" && len(b.Commands) == 0 {
		return fieldErr("data", "send the document: {\"data\": text}, {\"content\": text}, the document itself, or a multipart file")
	}
	if len(doc) > imports.MaxBytes {
		return apiErr(http.StatusRequestEntityTooLarge, CodeTooLarge, "the document is larger than %d MiB", imports.MaxBytes>>20)
	}
	ns, err := namespaceFor(c, b.Namespace, auth.Write)
	if err != nil {
		return err
	}
	res, err := imp(c.UserContext(), []byte(doc), b.Commands)
	if err != nil {
		return importErr(err)
	}
	return s.saveCollectionImport(c, ns, b.Name, "Imported "+kind+" collection", res)
}

// saveCollectionImport stores an imported collection (named name, else its own
// name, else fallback) and its environments in ns: 201 with what was made.
func (s *server) saveCollectionImport(c *fiber.Ctx, ns, name, fallback string, res *imports.Result) error {
	warnings := res.Warnings
	col := tester.FromPostman(res.Collection)
	col.Namespace, col.UserID = ns, principal(c).UserID
	if name != "" {
		col.Name = name
	}
	if strings.TrimSpace(col.Name) == "" {
		col.Name = fallback
	}
	out, err := s.testerSvc().CreateCollection(c.UserContext(), col)
	if err != nil {
		return err
	}
	for _, env := range res.Environments {
		e := &tester.Environment{Namespace: ns, Name: env.Name, Variables: env.Map()}
		if strings.TrimSpace(e.Name) == "" {
			e.Name = out.Name + " environment"
		}
		if _, err := s.testerSvc().CreateEnvironment(c.UserContext(), e); err != nil {
			warnings = append(warnings, fmt.Sprintf("environment %q was not imported: %v", env.Name, err))
		}
	}
	if warnings == nil {
		warnings = []string{}
	}
	n := len(out.Requests)
	return c.Status(http.StatusCreated).JSON(fiber.Map{"collectionId": out.ID, "name": out.Name, "imported": n,
		"message": fmt.Sprintf("imported %d requests in %d folders", n, len(out.Folders)), "created": n, "updated": 0, "skipped": 0,
		"errors": []string{}, "warnings": warnings, "mockIds": []string{}, "namespace": ns})
}

// importErr is a document an importer cannot read: a 422 naming where.
func importErr(err error) error {
	var ie *generate.InputError
	if errors.As(err, &ie) {
		return &model.FieldError{Field: ie.Field, Message: ie.Message}
	}
	var pe *postman.Error
	if errors.As(err, &pe) {
		field := "data"
		if pe.Path != "" {
			field = pe.Path
		}
		return &model.FieldError{Field: field, Message: pe.Message}
	}
	var fe *model.FieldError
	if errors.As(err, &fe) {
		return err
	}
	return &model.FieldError{Field: "data", Message: err.Error()}
}
