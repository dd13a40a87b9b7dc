package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/auth"
	"github.com/mockarty-oss/mockarty/host/internal/catalog"
	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/sdk/protos"
)

// Generators turn an API description into mocks. Re-running one merges
// (the integrations guide's "Smart Merge"): new methods become new mocks,
// existing mocks keep every hand edit (conditions, responses, stores) and
// only get their service, method and kind brought in line, and mocks of
// methods that are gone are left alone.

func (s *server) generatorRoutes(v1 fiber.Router) {
	v1.Post("/generators/grpc/preview", s.generateGRPC(true))
	v1.Post("/generators/grpc", s.generateGRPC(false))
	s.webGeneratorRoutes(v1)
	s.openapiGeneratorRoutes(v1)
	s.harGeneratorRoutes(v1)
	s.socketGeneratorRoutes(v1)
}

type grpcGenBody struct {
	Namespace string `json:"namespace"`
	// ProtoName picks one registered file; Content compiles a file with the
	// registry without registering it (Name names it). Neither: every
	// registered file of the namespace.
	ProtoName string `json:"protoName"`
	Content   string `json:"content"`
	Name      string `json:"name"`
	Service   string `json:"service"`
	IDPrefix  string `json:"idPrefix"`
}

func (s *server) generateGRPC(preview bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b grpcGenBody
		if err := s.decodeUpload(c, &b, uploadDoc{field: "content", name: "name"}); err != nil {
			return err
		}
		action := auth.Write
		if preview {
			action = auth.Read
		}
		ns, err := namespaceFor(c, b.Namespace, action)
		if err != nil {
			return err
		}
		if b.IDPrefix != "" && !model.NamePattern.MatchString(b.IDPrefix) {
			return fieldErr("idPrefix", "use letters, digits, '.', '_' or '-'")
		}
		set, rows, err := s.protoSet(c, ns)
		if err != nil {
			return err
		}
		only := ""
		switch {
		case b.Content != "":
			name := b.Name
			if name == "" {
				name = "upload.proto"
			}
			if !protos.ValidName(name) {
				return fieldErr("name", "%q is not a .proto file name", name)
			}
			set[name], only = b.Content, name
		case b.ProtoName != "":
			if _, ok := rows[b.ProtoName]; !ok {
				return notFoundErr("proto %q is not registered in namespace %q (upload it to /api/v1/protos, or send its content)", b.ProtoName, ns)
			}
			only = b.ProtoName
		case len(set) == 0:
			return badRequest("namespace %q has no registered .proto files: send protoName or content", ns)
		}
		fds, err := protos.Compile(c.UserContext(), set)
		if err != nil {
			return compileErr(err)
		}
		if only != "" {
			for _, fd := range fds {
				if fd.Path() == only {
					fds = fds[:0]
					fds = append(fds, fd)
					break
				}
			}
		}
		generated := generate.GRPC(fds, generate.GRPCOptions{Namespace: ns, Service: b.Service, IDPrefix: b.IDPrefix})
		if len(generated) == 0 {
			return badRequest("no service methods to generate from (service filter %q)", b.Service)
		}
		return s.merge(c, ns, generated, preview, grpcIdentity)
	}
}

// identity is how a generator's mocks are recognised on a re-run: which
// fields of the protocol context a generated mock owns (the rest, like
// conditions and responses, belong to the user).
type identity struct {
	// same says whether cur already has g's generated fields.
	same func(cur, g *model.Mock) bool
	// adopt returns cur with g's generated fields (cur is a copy).
	adopt func(cur, g *model.Mock) *model.Mock
	// describe is a generated mock's entry in the report.
	describe func(g *model.Mock) fiber.Map
}

var grpcIdentity = identity{
	same: func(cur, g *model.Mock) bool {
		return cur.GRPC != nil && cur.GRPC.Service == g.GRPC.Service && cur.GRPC.Method == g.GRPC.Method &&
			cur.GRPC.MethodType == g.GRPC.MethodType
	},
	adopt: func(cur, g *model.Mock) *model.Mock {
		ctx := model.GRPCContext{}
		if cur.GRPC != nil {
			ctx = *cur.GRPC // keeps conditions and meta
		}
		ctx.Service, ctx.Method, ctx.MethodType = g.GRPC.Service, g.GRPC.Method, g.GRPC.MethodType
		cur.GRPC = &ctx
		return cur
	},
	describe: func(g *model.Mock) fiber.Map {
		return fiber.Map{"service": g.GRPC.Service, "method": g.GRPC.Method, "methodType": g.GRPC.MethodType}
	},
}

// merge plans (and unless preview, applies) the smart merge of generated mocks.
// warnings say what the generator could not carry over.
func (s *server) merge(c *fiber.Ctx, ns string, generated []*model.Mock, preview bool, id identity, warnings ...string) error {
	m, err := s.mergeMocks(c, ns, generated, preview, id)
	if err != nil {
		return err
	}
	return c.Status(m.status).JSON(fiber.Map{"namespace": ns, "preview": preview, "created": m.counts["create"],
		"updated": m.counts["update"], "unchanged": m.counts["unchanged"], "skipped": m.counts["skip"], "items": m.items,
		"mocks": m.mocks, "count": len(m.mocks), "warnings": append([]string{}, warnings...), "errors": []string{},
		"mocksCreated": m.counts["create"], // the Java SDK example's name of "created"
		"message":      strings.TrimSpace(summary(m.counts, preview))})
}

// merged is what a merge did: the mocks as they now are, each one's
// action, the counts by action and the status to answer.
type merged struct {
	mocks  []*model.Mock
	items  []fiber.Map
	counts map[string]int
	status int
}

// mergeMocks saves generated mocks into ns (unless preview): new ones
// created, changed ones updated by id's rules, ids taken elsewhere skipped.
func (s *server) mergeMocks(c *fiber.Ctx, ns string, generated []*model.Mock, preview bool, id identity) (*merged, error) {
	// Names that differ only in case or punctuation (getUser, GetUser)
	// make the same id: later ones get a number, in the spec's order, so a
	// re-run finds them again.
	ids := make([]string, len(generated))
	taken := make(map[string]int, len(generated))
	for i, m := range generated {
		if n := taken[m.ID]; n > 0 {
			base := m.ID
			for ; taken[m.ID] > 0; n++ {
				m.ID = fmt.Sprintf("%s-%d", base, n+1)
			}
			taken[base] = n
		}
		taken[m.ID]++
		ids[i] = m.ID
	}
	existing, err := s.Catalog.Store().MocksByIDs(c.UserContext(), ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]*model.Mock{}
	for _, m := range existing {
		byID[m.ID] = m
	}
	counts := map[string]int{"create": 0, "update": 0, "unchanged": 0, "skip": 0}
	items := make([]fiber.Map, 0, len(generated))
	var toSave []*model.Mock
	out := make([]*model.Mock, 0, len(generated))
	for _, g := range generated {
		cur := byID[g.ID]
		act, save := "create", g
		switch {
		case cur == nil:
		case cur.Namespace != ns || !principal(c).Allows(cur.Namespace, auth.Write):
			act, save = "skip", nil // the id is taken elsewhere
		case cur.ClosedAt > 0:
			act, save = "skip", nil // deleted by someone: not brought back
		case id.same(cur, g):
			act, save = "unchanged", nil
		default:
			act = "update"
			upd := *cur
			save = id.adopt(&upd, g)
		}
		counts[act]++
		item := id.describe(g)
		item["id"], item["action"] = g.ID, act
		items = append(items, item)
		if save != nil {
			if ferr := catalog.Prepare(save, ns); ferr != nil {
				return nil, ferr
			}
			toSave = append(toSave, save)
			out = append(out, save)
		} else if cur != nil {
			out = append(out, cur)
		}
	}
	status := http.StatusOK
	if !preview && len(toSave) > 0 {
		if _, err := s.Catalog.SaveBatch(c.UserContext(), toSave); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return nil, apiErr(http.StatusConflict, CodeConflict, "%v", err)
			}
			return nil, err
		}
		status = http.StatusCreated
	}
	return &merged{mocks: out, items: items, counts: counts, status: status}, nil
}

func summary(counts map[string]int, preview bool) string {
	verb := "saved"
	if preview {
		verb = "would be saved (preview)"
	}
	return fmt.Sprintf("%d mocks %s: %d new, %d updated, %d kept as they are, %d skipped",
		counts["create"]+counts["update"], verb, counts["create"], counts["update"], counts["unchanged"], counts["skip"])
}
