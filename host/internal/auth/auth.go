// Package auth is who may do what: users and sessions, mk_ API tokens,
// mki_ integration tokens, namespace roles, rate limits and the audit
// trail. The database keeps only hashes of secrets; the principals behind
// tokens and sessions are cached in memory and the cache is dropped on
// every change that could narrow access, so a revoked token stops working
// at once.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"golang.org/x/crypto/bcrypt"
)

// Modes.
const (
	ModeLocal = "local" // no login: every caller is the local admin
	ModeFull  = "full"  // users, sessions and tokens
)

// Token prefixes.
const (
	TokenPrefix       = "mk_"
	IntegrationPrefix = "mki_"
)

// Actions a caller may be allowed in a namespace.
type Action int

// The actions, in order of the role they need.
const (
	Read   Action = iota + 1 // viewer
	Write                    // editor
	Delete                   // editor
	Manage                   // owner: members and the namespace itself
)

func (a Action) String() string {
	switch a {
	case Read:
		return "read"
	case Write:
		return "write"
	case Delete:
		return "delete"
	}
	return "manage"
}

// Namespace roles.
const (
	RoleOwner  = "owner"
	RoleEditor = "editor"
	RoleViewer = "viewer"
)

// ValidRole reports whether r is a namespace role.
func ValidRole(r string) bool { return r == RoleOwner || r == RoleEditor || r == RoleViewer }

func roleAllows(role string, a Action) bool {
	switch role {
	case RoleOwner:
		return true
	case RoleEditor:
		return a <= Delete
	case RoleViewer:
		return a == Read
	}
	return false
}

// Token permissions.
const (
	PermRead   = "read"
	PermWrite  = "write"
	PermDelete = "delete"
)

// Integration types.
var IntegrationTypes = []string{"mock_resolver", "test_runner", "orchestrator"}

// Principal is the caller of a request.
type Principal struct {
	UserID string
	Login  string
	Email  string
	Admin  bool
	// Via is how the caller proved who they are: local, session, token or integration.
	Via string
	// TokenID is the API token or integration used (Via token or integration).
	TokenID string
	// Perms limits a token (nil: no limit beyond the user's roles).
	Perms map[string]bool
	// TokenNamespaces limits a token to these namespaces (nil: no limit).
	TokenNamespaces map[string]bool
	// IntegrationType is the type of an integration token.
	IntegrationType string
	// MustChangePassword: the account still has its one-time password.
	MustChangePassword bool
	// SessionHash names the session (Via session).
	SessionHash string
	roles       map[string]string // namespace -> role
	expiresMs   int64             // when the credential expires (0: never)
}

// Role is the caller's role in ns ("" for none; admins are owners everywhere).
func (p *Principal) Role(ns string) string {
	if p.Admin {
		return RoleOwner
	}
	return p.roles[ns]
}

// Allows reports whether the caller may do a in namespace ns.
func (p *Principal) Allows(ns string, a Action) bool {
	if p.TokenNamespaces != nil && !p.TokenNamespaces[ns] {
		return false
	}
	if p.Perms != nil && !p.Perms[permOf(a)] {
		return false
	}
	if p.Admin {
		return true
	}
	if p.Via == "integration" {
		switch p.IntegrationType {
		case "orchestrator":
			return a <= Delete
		default:
			return a == Read
		}
	}
	return roleAllows(p.roles[ns], a)
}

// AllowsMethod reports whether a token's permissions allow an HTTP method
// at all (before any namespace is known).
func (p *Principal) AllowsMethod(method string) bool {
	if p.Perms == nil {
		return true
	}
	switch method {
	case "GET", "HEAD", "OPTIONS":
		return p.Perms[PermRead]
	case "DELETE":
		return p.Perms[PermDelete]
	}
	return p.Perms[PermWrite]
}

func permOf(a Action) string {
	switch a {
	case Read:
		return PermRead
	case Delete:
		return PermDelete
	}
	return PermWrite
}

// Namespaces is the set the caller may read; all is true for admins and
// unrestricted integrations.
func (p *Principal) Namespaces() (list []string, all bool) {
	if (p.Admin || p.Via == "integration") && p.TokenNamespaces == nil {
		return nil, true
	}
	seen := map[string]bool{}
	if p.Admin || p.Via == "integration" {
		for ns := range p.TokenNamespaces {
			seen[ns] = true
		}
	} else {
		for ns := range p.roles {
			if p.Allows(ns, Read) {
				seen[ns] = true
			}
		}
	}
	list = make([]string, 0, len(seen))
	for ns := range seen {
		list = append(list, ns)
	}
	return list, false
}

// CanEditSomewhere reports whether the caller is an editor or owner of any
// namespace (or an admin).
func (p *Principal) CanEditSomewhere() bool {
	if p.Admin {
		return true
	}
	for ns := range p.roles {
		if p.Allows(ns, Write) {
			return true
		}
	}
	return false
}

// Options configure the service.
type Options struct {
	Store  *store.Store
	Mode   string
	Logger hclog.Logger
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration
	// BcryptCost of password and integration hashes (0: bcrypt's default).
	BcryptCost int
}

// Service authenticates callers and keeps the access records.
type Service struct {
	o     Options
	gen   atomic.Uint64 // bumped by every change that can narrow access
	mu    sync.Mutex
	cache map[string]*cached // credential hash -> principal
}

type cached struct {
	p        *Principal
	gen      uint64
	until    time.Time
	lastSeen time.Time // last use written to the database
}

// Errors.
var (
	ErrUnauthenticated = errors.New("authentication required")
	ErrBadCredentials  = errors.New("invalid login or password")
	ErrDisabled        = errors.New("this account is disabled")
)

// New makes the service.
func New(o Options) *Service {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 24 * time.Hour
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.DefaultCost
	}
	return &Service{o: o, cache: map[string]*cached{}}
}

// Mode is local or full.
func (s *Service) Mode() string { return s.o.Mode }

// Local reports whether the service runs without login.
func (s *Service) Local() bool { return s.o.Mode == ModeLocal }

// Store is the database behind the service.
func (s *Service) Store() *store.Store { return s.o.Store }

// LocalPrincipal is the caller in local mode.
var LocalPrincipal = &Principal{UserID: "local", Login: "local", Admin: true, Via: "local"}

// Invalidate drops every cached principal: call it after any change to
// users, tokens, integrations or memberships.
func (s *Service) Invalidate() {
	s.gen.Add(1)
	s.mu.Lock()
	clear(s.cache)
	s.mu.Unlock()
}

// principal cache lifetime: a change made by another node is seen within it.
const cacheTTL = 30 * time.Second

func (s *Service) cachedPrincipal(key string) *Principal {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cache[key]
	if c == nil || c.gen != s.gen.Load() || time.Now().After(c.until) {
		delete(s.cache, key)
		return nil
	}
	return c.p
}

func (s *Service) remember(key string, p *Principal, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.gen.Load() { // something changed while it was loaded
		return
	}
	if len(s.cache) > 10000 {
		clear(s.cache)
	}
	until := time.Now().Add(cacheTTL)
	if p.expiresMs > 0 && time.UnixMilli(p.expiresMs).Before(until) {
		until = time.UnixMilli(p.expiresMs) // an expiring credential is never served from the cache after it expires
	}
	s.cache[key] = &cached{p: p, gen: gen, until: until}
}

// HashSecret is the SHA-256 of a high-entropy secret (tokens, session ids).
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// GeneratePassword makes a random password.
func GeneratePassword() string { return randomString(15) }

// HashPassword hashes a password with bcrypt.
func (s *Service) HashPassword(pw string) (string, error) {
	if len(pw) > 72 {
		return "", errors.New("password must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.o.BcryptCost)
	return string(h), err
}

// dummyHash makes a failed lookup cost as much as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("mockarty-no-such-user"), bcrypt.DefaultCost)

// CheckPassword verifies a login and password.
func (s *Service) CheckPassword(ctx context.Context, login, pw string) (*store.User, error) {
	u, err := s.o.Store.UserByLogin(ctx, login)
	if errors.Is(err, store.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) != nil {
		return nil, ErrBadCredentials
	}
	if u.Disabled {
		return nil, ErrDisabled
	}
	return u, nil
}

// Authenticate finds the caller behind a session cookie value or a token
// (either may be ""). It returns ErrUnauthenticated when there is no valid
// credential.
func (s *Service) Authenticate(ctx context.Context, sessionID, token string) (*Principal, error) {
	switch {
	case token != "":
		return s.fromToken(ctx, token)
	case sessionID != "":
		return s.fromSession(ctx, sessionID)
	}
	return nil, ErrUnauthenticated
}

func (s *Service) fromSession(ctx context.Context, id string) (*Principal, error) {
	key := "s:" + HashSecret(id)
	if p := s.cachedPrincipal(key); p != nil {
		return p, nil
	}
	gen := s.gen.Load()
	se, err := s.o.Store.GetSession(ctx, key[2:], time.Now().UnixMilli())
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: the session has expired or ended; log in again", ErrUnauthenticated)
	}
	if err != nil {
		return nil, err
	}
	p, err := s.userPrincipal(ctx, se.UserID)
	if err != nil {
		return nil, err
	}
	p.Via, p.SessionHash, p.expiresMs = "session", se.TokenHash, se.ExpiresMs
	s.remember(key, p, gen)
	return p, nil
}

func (s *Service) userPrincipal(ctx context.Context, userID string) (*Principal, error) {
	u, err := s.o.Store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: the account no longer exists", ErrUnauthenticated)
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, fmt.Errorf("%w: %v", ErrUnauthenticated, ErrDisabled)
	}
	members, err := s.o.Store.Members(ctx, "", u.ID)
	if err != nil {
		return nil, err
	}
	p := &Principal{UserID: u.ID, Login: u.Login, Email: u.Email, Admin: u.Admin,
		MustChangePassword: u.MustChangePassword, roles: map[string]string{}}
	for _, m := range members {
		p.roles[m.Namespace] = m.Role
	}
	return p, nil
}

func (s *Service) fromToken(ctx context.Context, token string) (*Principal, error) {
	hash := HashSecret(token)
	key := "t:" + hash
	if p := s.cachedPrincipal(key); p != nil {
		s.touch(key, p)
		return p, nil
	}
	gen := s.gen.Load()
	var (
		p   *Principal
		err error
	)
	switch {
	case strings.HasPrefix(token, IntegrationPrefix):
		p, err = s.integrationPrincipal(ctx, token)
	case strings.HasPrefix(token, TokenPrefix):
		p, err = s.apiTokenPrincipal(ctx, hash)
	default:
		return nil, fmt.Errorf("%w: unknown token format (API tokens start with %s)", ErrUnauthenticated, TokenPrefix)
	}
	if err != nil {
		return nil, err
	}
	s.remember(key, p, gen)
	s.touch(key, p)
	return p, nil
}

func (s *Service) apiTokenPrincipal(ctx context.Context, hash string) (*Principal, error) {
	t, err := s.o.Store.APITokenByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: invalid API token", ErrUnauthenticated)
	}
	if err != nil {
		return nil, err
	}
	now := time.Now().UnixMilli()
	switch {
	case t.RevokedMs > 0:
		return nil, fmt.Errorf("%w: this API token was revoked", ErrUnauthenticated)
	case t.ExpiresMs > 0 && t.ExpiresMs <= now:
		return nil, fmt.Errorf("%w: this API token has expired", ErrUnauthenticated)
	}
	p, err := s.userPrincipal(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	p.Via, p.TokenID, p.Perms, p.expiresMs = "token", t.ID, setOf(t.Permissions), t.ExpiresMs
	if t.Namespaces != "" {
		p.TokenNamespaces = setOf(t.Namespaces)
	}
	return p, nil
}

// touch records a token's use, at most once a minute.
func (s *Service) touch(key string, p *Principal) {
	if p.TokenID == "" {
		return
	}
	now := time.Now()
	s.mu.Lock()
	c := s.cache[key]
	stale := c != nil && now.Sub(c.lastSeen) > time.Minute
	if stale {
		c.lastSeen = now
	}
	s.mu.Unlock()
	if !stale {
		return
	}
	go func() { // last use is advisory: written at most once a minute per token
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		if p.Via == "integration" {
			err = s.o.Store.TouchIntegration(ctx, p.TokenID, now.UnixMilli())
		} else {
			err = s.o.Store.TouchAPIToken(ctx, p.TokenID, now.UnixMilli())
		}
		if err != nil {
			s.o.Logger.Debug("recording token use failed", "error", err)
		}
	}()
}

func (s *Service) integrationPrincipal(ctx context.Context, token string) (*Principal, error) {
	lookup, secret, ok := splitIntegrationToken(token)
	if !ok {
		return nil, fmt.Errorf("%w: malformed integration token", ErrUnauthenticated)
	}
	t, err := s.o.Store.IntegrationByLookup(ctx, lookup)
	if errors.Is(err, store.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(secret))
		return nil, fmt.Errorf("%w: invalid integration token", ErrUnauthenticated)
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(t.Hash), []byte(secret)) != nil {
		return nil, fmt.Errorf("%w: invalid integration token", ErrUnauthenticated)
	}
	if !t.Enabled {
		return nil, fmt.Errorf("%w: this integration token is disabled", ErrUnauthenticated)
	}
	p := &Principal{UserID: "integration:" + t.ID, Login: t.Name, Via: "integration", TokenID: t.ID,
		IntegrationType: t.Type, roles: map[string]string{}}
	if t.Namespace != "" {
		p.TokenNamespaces = map[string]bool{t.Namespace: true}
	}
	return p, nil
}

// An integration token is mki_<lookup>_<secret>: the lookup finds the row,
// the secret is checked against its bcrypt hash.
func newIntegrationToken() (token, lookup, secret string) {
	lookup = strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(randomString(9)))
	if len(lookup) > 10 {
		lookup = lookup[:10]
	}
	secret = randomString(32)
	return IntegrationPrefix + lookup + "_" + secret, lookup, secret
}

func splitIntegrationToken(token string) (lookup, secret string, ok bool) {
	rest := strings.TrimPrefix(token, IntegrationPrefix)
	lookup, secret, ok = strings.Cut(rest, "_")
	return lookup, secret, ok && lookup != "" && secret != ""
}

func setOf(csv string) map[string]bool {
	out := map[string]bool{}
	for _, v := range strings.Split(csv, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out[v] = true
		}
	}
	return out
}

// Login checks a password and opens a session; it returns the cookie value.
func (s *Service) Login(ctx context.Context, login, pw string) (*store.User, string, time.Time, error) {
	u, err := s.CheckPassword(ctx, login, pw)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	id := randomString(32)
	now := time.Now()
	expires := now.Add(s.o.SessionTTL)
	if err := s.o.Store.CreateSession(ctx, &store.Session{TokenHash: HashSecret(id), UserID: u.ID,
		CreatedMs: now.UnixMilli(), ExpiresMs: expires.UnixMilli()}); err != nil {
		return nil, "", time.Time{}, err
	}
	u.LastLoginMs = now.UnixMilli()
	if err := s.o.Store.UpdateUser(ctx, u); err != nil {
		return nil, "", time.Time{}, err
	}
	_ = s.o.Store.PruneSessions(ctx, now.UnixMilli())
	return u, id, expires, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, sessionHash string) error {
	err := s.o.Store.DeleteSessions(ctx, sessionHash, "")
	s.Invalidate()
	return err
}

// NewUser makes a user record (not saved).
func (s *Service) NewUser(login, email, pw string, admin bool) (*store.User, error) {
	h, err := s.HashPassword(pw)
	if err != nil {
		return nil, err
	}
	now := time.Now().UnixMilli()
	return &store.User{ID: uuid.NewString(), Login: login, Email: email, PasswordHash: h, Admin: admin,
		CreatedMs: now, UpdatedMs: now}, nil
}

// SetPassword changes a user's password and ends their other sessions
// (keep: the hash of the session to keep, "" for none).
func (s *Service) SetPassword(ctx context.Context, u *store.User, pw string, mustChange bool, keep string) error {
	h, err := s.HashPassword(pw)
	if err != nil {
		return err
	}
	u.PasswordHash, u.MustChangePassword, u.UpdatedMs = h, mustChange, time.Now().UnixMilli()
	if err := s.o.Store.UpdateUser(ctx, u); err != nil {
		return err
	}
	sessions, err := s.o.Store.SessionHashes(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, h := range sessions {
		if h != keep {
			if err := s.o.Store.DeleteSessions(ctx, h, ""); err != nil {
				return err
			}
		}
	}
	s.Invalidate()
	return nil
}

// NewAPIToken makes a token for a user; the secret is returned once.
func (s *Service) NewAPIToken(userID, name string, perms, namespaces []string, expires int64) (*store.APIToken, string) {
	secret := TokenPrefix + randomString(30)
	now := time.Now().UnixMilli()
	return &store.APIToken{ID: uuid.NewString(), UserID: userID, Name: name, Hash: HashSecret(secret),
		Prefix: secret[:len(TokenPrefix)+6], Permissions: strings.Join(perms, ","),
		Namespaces: strings.Join(namespaces, ","), ExpiresMs: expires, CreatedMs: now}, secret
}

// NewIntegration makes an integration token record; the token is returned once.
func (s *Service) NewIntegration(name, typ, namespace, createdBy string) (*store.IntegrationToken, string, error) {
	token, lookup, secret := newIntegrationToken()
	h, err := bcrypt.GenerateFromPassword([]byte(secret), s.o.BcryptCost)
	if err != nil {
		return nil, "", err
	}
	now := time.Now().UnixMilli()
	return &store.IntegrationToken{ID: uuid.NewString(), Name: name, Type: typ, Namespace: namespace, Lookup: lookup,
		Hash: string(h), Enabled: true, CreatedBy: createdBy, CreatedMs: now, UpdatedMs: now}, token, nil
}

// Rotate gives an integration a new token; the old one stops working.
func (s *Service) Rotate(ctx context.Context, t *store.IntegrationToken) (string, error) {
	token, lookup, secret := newIntegrationToken()
	h, err := bcrypt.GenerateFromPassword([]byte(secret), s.o.BcryptCost)
	if err != nil {
		return "", err
	}
	t.Lookup, t.Hash, t.UpdatedMs = lookup, string(h), time.Now().UnixMilli()
	if err := s.o.Store.SaveIntegration(ctx, t); err != nil {
		return "", err
	}
	s.Invalidate()
	return token, nil
}

// EnsureFirstAdmin creates the first admin in full mode when there are no
// users: from the given login and password, or with a generated one-time
// password (returned, to be printed once).
func (s *Service) EnsureFirstAdmin(ctx context.Context, login, pw, email string) (created bool, oneTime string, err error) {
	users, err := s.o.Store.Users(ctx)
	if err != nil || len(users) > 0 {
		return false, "", err
	}
	if login == "" {
		login = "admin"
	}
	mustChange := false
	if pw == "" {
		pw, mustChange = GeneratePassword(), true
		oneTime = pw
	}
	u, err := s.NewUser(login, email, pw, true)
	if err != nil {
		return false, "", err
	}
	u.MustChangePassword = mustChange
	if err := s.o.Store.CreateUser(ctx, u); err != nil {
		return false, "", err
	}
	s.Audit(ctx, &Principal{Login: "system"}, "user.create", login, "", "first admin", "", true)
	return true, oneTime, nil
}

// Audit records an action; failures to record are logged, never fatal.
func (s *Service) Audit(ctx context.Context, p *Principal, action, target, namespace, detail, ip string, ok bool) {
	e := &store.AuditEvent{AtMs: time.Now().UnixMilli(), Action: action, Target: target, Namespace: namespace,
		Detail: detail, IP: ip, Success: ok}
	if p != nil {
		e.ActorID, e.Actor = p.UserID, p.Login
	}
	if err := s.o.Store.AddAudit(ctx, e); err != nil {
		s.o.Logger.Warn("writing the audit trail failed", "action", action, "error", err)
	}
}
