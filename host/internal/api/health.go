package api

import (
	"context"
	"net/http"
	"runtime"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

func (s *server) dbCheck(ctx context.Context) (string, string) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := s.Catalog.Store().Ping(ctx); err != nil {
		return "down", err.Error()
	}
	return "up", ""
}

// health answers the spec's shape: {"status":"up","releaseId","checks":{"database":{"status":"up"}}}.
func (s *server) health(c *fiber.Ctx) error {
	dbStatus, dbErr := s.dbCheck(c.UserContext())
	db := fiber.Map{"status": dbStatus, "driver": s.DBDriver}
	if dbErr != "" {
		db["output"] = dbErr
	}
	tpl := fiber.Map{"status": "up"}
	status, code := "up", http.StatusOK
	if dbStatus != "up" {
		status, code = "down", http.StatusServiceUnavailable
	}
	return c.Status(code).JSON(fiber.Map{
		"status":    status,
		"releaseId": s.ReleaseID,
		"uptime":    time.Since(s.StartedAt).Round(time.Second).String(),
		"checks":    fiber.Map{"database": db, "cache": fiber.Map{"status": "up", "type": "inmemory"}, "templates": tpl},
	})
}

func (s *server) healthLive(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "up"})
}

func (s *server) healthReady(c *fiber.Ctx) error {
	if s.ready != nil && !s.ready() {
		return c.Status(http.StatusServiceUnavailable).JSON(fiber.Map{"status": "down", "reason": "starting"})
	}
	if st, msg := s.dbCheck(c.UserContext()); st != "up" {
		return c.Status(http.StatusServiceUnavailable).JSON(fiber.Map{"status": "down", "reason": "database: " + msg})
	}
	return c.JSON(fiber.Map{"status": "up"})
}

func (s *server) status(c *fiber.Ctx) error {
	dbStatus, _ := s.dbCheck(c.UserContext())
	version, err := s.Catalog.Store().SchemaVersion(c.UserContext())
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return c.JSON(fiber.Map{
		"status":        map[bool]string{true: "up", false: "degraded"}[dbStatus == "up"],
		"releaseId":     s.ReleaseID,
		"version":       s.ReleaseID,
		"startedAt":     s.StartedAt.UnixMilli(),
		"uptimeSeconds": int64(time.Since(s.StartedAt).Seconds()),
		"database":      fiber.Map{"driver": s.DBDriver, "status": dbStatus, "schemaVersion": version},
		"versioning":    s.Catalog.Versioning(),
		"runtime": fiber.Map{"goVersion": runtime.Version(), "goroutines": runtime.NumGoroutine(),
			"heapAllocBytes": ms.HeapAlloc, "cpus": runtime.NumCPU()},
	})
}

type countsResult struct {
	mocks, activeMocks, deletedMocks, expiredMocks, namespaces, folders, tags int64
	templates, undefined, globalKeys, chainKeys, requests, usedMocks          int64
	byProtocol, byNamespace                                                   map[string]int64
}

func (s *server) gatherCounts(ctx context.Context) (*countsResult, error) {
	st := s.Catalog.Store()
	mc, err := st.CountMocks(ctx)
	if err != nil {
		return nil, err
	}
	ns, err := st.Namespaces(ctx)
	if err != nil {
		return nil, err
	}
	folders, err := st.Folders(ctx, "")
	if err != nil {
		return nil, err
	}
	tags, err := st.Tags(ctx, "")
	if err != nil {
		return nil, err
	}
	undef, err := st.CountUndefined(ctx)
	if err != nil {
		return nil, err
	}
	g, ch, err := st.CountStoreKeys(ctx)
	if err != nil {
		return nil, err
	}
	if !contains(ns, model.DefaultNamespace) {
		ns = append(ns, model.DefaultNamespace) // always listed by GET /namespaces
	}
	return &countsResult{mocks: mc.Total - mc.Deleted, activeMocks: mc.Active, deletedMocks: mc.Deleted, expiredMocks: mc.Expired,
		namespaces: int64(len(ns)), folders: int64(len(folders)), tags: int64(len(tags)), templates: int64(s.Templates.Count()),
		undefined: undef, globalKeys: g, chainKeys: ch, requests: mc.Requests, usedMocks: mc.Used,
		byProtocol: mc.ByProtocol, byNamespace: mc.ByNamespace}, nil
}

func (s *server) counts(c *fiber.Ctx) error {
	if err := needAdmin(c); err != nil { // server-wide figures, every namespace
		return err
	}
	r, err := s.gatherCounts(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"mocks": r.mocks, "activeMocks": r.activeMocks, "deletedMocks": r.deletedMocks,
		"expiredMocks": r.expiredMocks, "namespaces": r.namespaces, "folders": r.folders, "tags": r.tags,
		"templates": r.templates, "undefinedRequests": r.undefined, "globalStoreKeys": r.globalKeys, "chainStoreKeys": r.chainKeys})
}

func (s *server) stats(c *fiber.Ctx) error {
	if err := needAdmin(c); err != nil { // server-wide figures, every namespace
		return err
	}
	r, err := s.gatherCounts(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{
		"mocks": fiber.Map{"total": r.mocks, "active": r.activeMocks, "deleted": r.deletedMocks, "expired": r.expiredMocks,
			"used": r.usedMocks, "unused": r.mocks - r.usedMocks, "byProtocol": r.byProtocol, "byNamespace": r.byNamespace},
		"requests":      fiber.Map{"matched": r.requests, "undefined": r.undefined},
		"namespaces":    r.namespaces,
		"folders":       r.folders,
		"tags":          r.tags,
		"templates":     r.templates,
		"stores":        fiber.Map{"globalKeys": r.globalKeys, "chainKeys": r.chainKeys},
		"uptimeSeconds": int64(time.Since(s.StartedAt).Seconds()),
		"generatedAt":   time.Now().UnixMilli(),
	})
}

// features reports what this server offers (GET /api/v1/features).
func (s *server) features(c *fiber.Ctx) error {
	plugins := []string{}
	if s.Plugins != nil {
		for _, p := range s.Plugins.List() {
			if p.State == "running" {
				plugins = append(plugins, p.Name)
			}
		}
	}
	mode := "local"
	if s.Auth != nil {
		mode = s.Auth.Mode()
	}
	return c.JSON(fiber.Map{
		"versioning": s.Catalog.Versioning(),
		"auth":       mode == "full",
		"authMode":   mode,
		"protocols":  []string{"http", "grpc", "mcp", "socket", "soap", "graphql", "sse", "kafka", "rabbitmq", "smtp"},
		"plugins":    plugins,
		"metrics":    true,
		"webhooks":   []string{"http", "kafka", "rabbitmq"},
		"generators": []string{"grpc", "graphql", "soap", "mcp"},
	})
}
