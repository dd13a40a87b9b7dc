package resolve

import (
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/match"
	"github.com/mockarty-oss/mockarty/host/internal/model"
)

// MatchesHTTP says whether mock m, saved or not, would match req by its
// route, method and conditions alone (no ttl, use limit or serverName):
// how recorded requests are searched with a request pattern (WireMock's
// /__admin/requests/count). The mock goes through the same compile and
// selection step as every answer, in an index of its own.
func (r *Resolver) MatchesHTTP(m *model.Mock, req *HTTPRequest) (bool, error) {
	c := *m
	c.TTL, c.UseLimiter, c.ExpireAt, c.ClosedAt, c.ServerName = 0, 0, 0, 0, ""
	c.Namespace = req.Namespace
	ix := match.NewIndex(r.compileMock)
	if err := ix.Upsert(&c); err != nil {
		return false, err
	}
	s := selection{proto: model.ProtoHTTP, namespace: req.Namespace, path: req.Path, req: req}
	now := time.Now().UnixMilli()
	for _, h := range ix.LookupRoute(nil, req.Namespace, model.ProtoHTTP, req.Path) {
		if s.check(h.Entry, now, r.FileReader(req)).Reason == "" {
			return true, nil
		}
	}
	return false, nil
}
