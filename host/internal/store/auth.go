package store

import (
	"context"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The access-control records (schema step 3): users, sessions, API tokens,
// integration tokens, namespace members and the audit trail. Secrets are
// stored only as hashes.

// User is an account.
type User struct {
	ID           string `gorm:"primaryKey;type:varchar(64)"`
	Login        string `gorm:"type:varchar(100);not null;uniqueIndex"`
	Email        string `gorm:"type:varchar(200);not null;default:''"`
	PasswordHash string `gorm:"type:varchar(200);not null"`
	Admin        bool   `gorm:"not null;default:false"`
	Disabled     bool   `gorm:"not null;default:false"`
	// MustChangePassword: the account has a one-time password.
	MustChangePassword bool  `gorm:"not null;default:false"`
	CreatedMs          int64 `gorm:"column:created_at;not null"`
	UpdatedMs          int64 `gorm:"column:updated_at;not null"`
	LastLoginMs        int64 `gorm:"column:last_login_at;not null;default:0"`
}

func (User) TableName() string { return "users" }

// Session is a browser login; TokenHash is the SHA-256 of the cookie value.
type Session struct {
	TokenHash string `gorm:"primaryKey;type:varchar(64)"`
	UserID    string `gorm:"type:varchar(64);not null;index"`
	CreatedMs int64  `gorm:"column:created_at;not null"`
	ExpiresMs int64  `gorm:"column:expires_at;not null;index"`
}

func (Session) TableName() string { return "sessions" }

// APIToken is a user's mk_ token; Hash is the SHA-256 of the token.
type APIToken struct {
	ID          string `gorm:"primaryKey;type:varchar(64)"`
	UserID      string `gorm:"type:varchar(64);not null;index"`
	Name        string `gorm:"type:varchar(200);not null"`
	Hash        string `gorm:"type:varchar(64);not null;uniqueIndex"`
	Prefix      string `gorm:"type:varchar(32);not null"`
	Permissions string `gorm:"type:varchar(100);not null"`    // comma list: read,write,delete
	Namespaces  string `gorm:"type:text;not null;default:''"` // comma list; "" = all the user's
	ExpiresMs   int64  `gorm:"column:expires_at;not null;default:0"`
	LastUsedMs  int64  `gorm:"column:last_used_at;not null;default:0"`
	CreatedMs   int64  `gorm:"column:created_at;not null"`
	RevokedMs   int64  `gorm:"column:revoked_at;not null;default:0"`
}

func (APIToken) TableName() string { return "api_tokens" }

// IntegrationToken is a node's mki_ token; Hash is bcrypt, Lookup the
// public part of the token that finds the row.
type IntegrationToken struct {
	ID         string `gorm:"primaryKey;type:varchar(64)"`
	Name       string `gorm:"type:varchar(200);not null"`
	Type       string `gorm:"type:varchar(32);not null"`
	Namespace  string `gorm:"type:varchar(100);not null;default:''"`
	Lookup     string `gorm:"type:varchar(32);not null;uniqueIndex"`
	Hash       string `gorm:"type:varchar(100);not null"`
	Enabled    bool   `gorm:"not null"` // no default: GORM would write it for false
	CreatedBy  string `gorm:"type:varchar(100);not null;default:''"`
	CreatedMs  int64  `gorm:"column:created_at;not null"`
	UpdatedMs  int64  `gorm:"column:updated_at;not null"`
	LastUsedMs int64  `gorm:"column:last_used_at;not null;default:0"`
}

func (IntegrationToken) TableName() string { return "integration_tokens" }

// Member is a user's role in a namespace.
type Member struct {
	Namespace string `gorm:"primaryKey;type:varchar(100)"`
	UserID    string `gorm:"primaryKey;type:varchar(64);index"`
	Role      string `gorm:"type:varchar(16);not null"`
	CreatedMs int64  `gorm:"column:created_at;not null"`
}

func (Member) TableName() string { return "namespace_members" }

// AuditEvent is one security-relevant action.
type AuditEvent struct {
	ID        int64  `gorm:"primaryKey;autoIncrement"`
	AtMs      int64  `gorm:"column:at;not null;index"`
	ActorID   string `gorm:"type:varchar(64);not null;default:''"`
	Actor     string `gorm:"type:varchar(100);not null;default:''"`
	Action    string `gorm:"type:varchar(64);not null;index"`
	Target    string `gorm:"type:varchar(200);not null;default:''"`
	Namespace string `gorm:"type:varchar(100);not null;default:''"`
	Detail    string `gorm:"type:text;not null;default:''"`
	IP        string `gorm:"type:varchar(64);not null;default:''"`
	Success   bool   `gorm:"not null"` // no default: GORM would write it for false
}

func (AuditEvent) TableName() string { return "audit_events" }

// namespaceRow is the namespaces table since step 3: deleted_at marks a
// namespace an admin deleted (restorable).
type namespaceRow struct {
	Name      string `gorm:"primaryKey;type:varchar(100)"`
	CreatedMs int64  `gorm:"column:created_at;not null"`
	DeletedMs int64  `gorm:"column:deleted_at;not null;default:0"`
}

func (namespaceRow) TableName() string { return "namespaces" }

func migrateAuth(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&User{}, &Session{}, &APIToken{}, &IntegrationToken{}, &Member{}, &AuditEvent{}); err != nil {
		return err
	}
	return tx.Migrator().AddColumn(&namespaceRow{}, "DeletedMs")
}

func uniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "unique") || strings.Contains(msg, "duplicate key")
}

// CreateUser adds a user; ErrConflict when the login is taken.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	err := s.db.WithContext(ctx).Create(u).Error
	if uniqueViolation(err) {
		return ErrConflict
	}
	return err
}

// UpdateUser saves every field of u; ErrConflict when the login is taken.
func (s *Store) UpdateUser(ctx context.Context, u *User) error {
	res := s.db.WithContext(ctx).Model(&User{}).Where("id = ?", u.ID).Select("*").Updates(u)
	if uniqueViolation(res.Error) {
		return ErrConflict
	}
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrNotFound
	}
	return res.Error
}

// GetUser finds a user by id.
func (s *Store) GetUser(ctx context.Context, id string) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// UserByLogin finds a user by login (case-insensitive).
func (s *Store) UserByLogin(ctx context.Context, login string) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).Where("LOWER(login) = ?", strings.ToLower(login)).Take(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// Users lists every user by login.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	var out []User
	err := s.db.WithContext(ctx).Order("login").Find(&out).Error
	return out, err
}

// CountAdmins counts enabled admins.
func (s *Store) CountAdmins(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&User{}).Where("admin = ? AND disabled = ?", true, false).Count(&n).Error
	return n, err
}

// DeleteUser removes a user with its sessions, tokens and memberships.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&User{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		for _, m := range []any{&Session{}, &APIToken{}, &Member{}} {
			if err := tx.Where("user_id = ?", id).Delete(m).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// CreateSession records a login.
func (s *Store) CreateSession(ctx context.Context, se *Session) error {
	return s.db.WithContext(ctx).Create(se).Error
}

// GetSession finds a live session by its hash.
func (s *Store) GetSession(ctx context.Context, hash string, now int64) (*Session, error) {
	var se Session
	if err := s.db.WithContext(ctx).Where("token_hash = ? AND expires_at > ?", hash, now).Take(&se).Error; err != nil {
		return nil, notFound(err)
	}
	return &se, nil
}

// DeleteSessions ends one session (hash) or, with hash "", every session of userID.
func (s *Store) DeleteSessions(ctx context.Context, hash, userID string) error {
	q := s.db.WithContext(ctx)
	if hash != "" {
		return q.Where("token_hash = ?", hash).Delete(&Session{}).Error
	}
	return q.Where("user_id = ?", userID).Delete(&Session{}).Error
}

// SessionHashes lists a user's sessions.
func (s *Store) SessionHashes(ctx context.Context, userID string) ([]string, error) {
	var out []string
	err := s.db.WithContext(ctx).Model(&Session{}).Where("user_id = ?", userID).Pluck("token_hash", &out).Error
	return out, err
}

// PruneSessions deletes expired sessions.
func (s *Store) PruneSessions(ctx context.Context, now int64) error {
	return s.db.WithContext(ctx).Where("expires_at <= ?", now).Delete(&Session{}).Error
}

// CreateAPIToken records a token.
func (s *Store) CreateAPIToken(ctx context.Context, t *APIToken) error {
	return s.db.WithContext(ctx).Create(t).Error
}

// APITokenByHash finds a token by the hash of its secret.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (*APIToken, error) {
	var t APIToken
	if err := s.db.WithContext(ctx).Where("hash = ?", hash).Take(&t).Error; err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// GetAPIToken finds a token by id.
func (s *Store) GetAPIToken(ctx context.Context, id string) (*APIToken, error) {
	var t APIToken
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&t).Error; err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// APITokens lists a user's tokens (every user's with userID ""), newest first.
func (s *Store) APITokens(ctx context.Context, userID string) ([]APIToken, error) {
	q := s.db.WithContext(ctx).Order("created_at DESC, id")
	if userID != "" {
		q = q.Where("user_id = ?", userID)
	}
	var out []APIToken
	err := q.Find(&out).Error
	return out, err
}

// SaveAPIToken saves every field of t.
func (s *Store) SaveAPIToken(ctx context.Context, t *APIToken) error {
	return s.db.WithContext(ctx).Model(&APIToken{}).Where("id = ?", t.ID).Select("*").Updates(t).Error
}

// TouchAPIToken records a use.
func (s *Store) TouchAPIToken(ctx context.Context, id string, at int64) error {
	return s.db.WithContext(ctx).Model(&APIToken{}).Where("id = ?", id).Update("last_used_at", at).Error
}

// CreateIntegration records an integration token.
func (s *Store) CreateIntegration(ctx context.Context, t *IntegrationToken) error {
	return s.db.WithContext(ctx).Create(t).Error
}

// GetIntegration finds an integration by id.
func (s *Store) GetIntegration(ctx context.Context, id string) (*IntegrationToken, error) {
	var t IntegrationToken
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&t).Error; err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// IntegrationByLookup finds an integration by the public part of its token.
func (s *Store) IntegrationByLookup(ctx context.Context, lookup string) (*IntegrationToken, error) {
	var t IntegrationToken
	if err := s.db.WithContext(ctx).Where("lookup = ?", lookup).Take(&t).Error; err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// Integrations lists every integration, newest first.
func (s *Store) Integrations(ctx context.Context) ([]IntegrationToken, error) {
	var out []IntegrationToken
	err := s.db.WithContext(ctx).Order("created_at DESC, id").Find(&out).Error
	return out, err
}

// SaveIntegration saves every field of t.
func (s *Store) SaveIntegration(ctx context.Context, t *IntegrationToken) error {
	return s.db.WithContext(ctx).Model(&IntegrationToken{}).Where("id = ?", t.ID).Select("*").Updates(t).Error
}

// TouchIntegration records a use.
func (s *Store) TouchIntegration(ctx context.Context, id string, at int64) error {
	return s.db.WithContext(ctx).Model(&IntegrationToken{}).Where("id = ?", id).Update("last_used_at", at).Error
}

// DeleteIntegration removes an integration.
func (s *Store) DeleteIntegration(ctx context.Context, id string) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&IntegrationToken{})
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrNotFound
	}
	return res.Error
}

// SetMember gives a user a role in a namespace (replacing any other).
func (s *Store) SetMember(ctx context.Context, m *Member) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "namespace"}, {Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"role"}),
	}).Create(m).Error
}

// RemoveMember takes a user out of a namespace.
func (s *Store) RemoveMember(ctx context.Context, namespace, userID string) error {
	res := s.db.WithContext(ctx).Where("namespace = ? AND user_id = ?", namespace, userID).Delete(&Member{})
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrNotFound
	}
	return res.Error
}

// Members lists a namespace's members (namespace "") or a user's memberships (userID "").
func (s *Store) Members(ctx context.Context, namespace, userID string) ([]Member, error) {
	q := s.db.WithContext(ctx).Order("namespace, user_id")
	if namespace != "" {
		q = q.Where("namespace = ?", namespace)
	}
	if userID != "" {
		q = q.Where("user_id = ?", userID)
	}
	var out []Member
	err := q.Find(&out).Error
	return out, err
}

// AddAudit appends to the audit trail.
func (s *Store) AddAudit(ctx context.Context, e *AuditEvent) error {
	return s.db.WithContext(ctx).Create(e).Error
}

// AuditFilter narrows the audit trail.
type AuditFilter struct {
	Action, ActorID string
	Since           int64
	Limit           int
}

// Audit lists audit events, newest first.
func (s *Store) Audit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	q := s.db.WithContext(ctx).Order("id DESC")
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.ActorID != "" {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.Since > 0 {
		q = q.Where("at >= ?", f.Since)
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var out []AuditEvent
	err := q.Find(&out).Error
	return out, err
}

// NamespaceInfo is a namespace with what an admin needs to see.
type NamespaceInfo struct {
	Name      string
	CreatedMs int64
	DeletedMs int64
	Mocks     int64
	Members   int64
}

// NamespaceInfos lists every namespace, also deleted ones, with counts.
func (s *Store) NamespaceInfos(ctx context.Context) ([]NamespaceInfo, error) {
	var rows []namespaceRow
	if err := s.db.WithContext(ctx).Order("name").Find(&rows).Error; err != nil {
		return nil, err
	}
	type count struct {
		Namespace string
		N         int64
	}
	var mocks, members []count
	if err := s.db.WithContext(ctx).Table("mocks").Select("namespace, COUNT(*) AS n").
		Where("closed_at = 0").Group("namespace").Scan(&mocks).Error; err != nil {
		return nil, err
	}
	if err := s.db.WithContext(ctx).Model(&Member{}).Select("namespace, COUNT(*) AS n").
		Group("namespace").Scan(&members).Error; err != nil {
		return nil, err
	}
	mc, uc := map[string]int64{}, map[string]int64{}
	for _, c := range mocks {
		mc[c.Namespace] = c.N
	}
	for _, c := range members {
		uc[c.Namespace] = c.N
	}
	out := make([]NamespaceInfo, 0, len(rows))
	for _, r := range rows {
		out = append(out, NamespaceInfo{Name: r.Name, CreatedMs: r.CreatedMs, DeletedMs: r.DeletedMs, Mocks: mc[r.Name], Members: uc[r.Name]})
	}
	return out, nil
}

// SetNamespaceDeleted marks a namespace deleted (at > 0) or restores it (at 0).
func (s *Store) SetNamespaceDeleted(ctx context.Context, name string, at int64) error {
	res := s.db.WithContext(ctx).Model(&namespaceRow{}).Where("name = ?", name).Update("deleted_at", at)
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrNotFound
	}
	return res.Error
}

// NamespaceDeletedAt reports when a namespace was deleted (0: live); ErrNotFound when unknown.
func (s *Store) NamespaceDeletedAt(ctx context.Context, name string) (int64, error) {
	var r namespaceRow
	if err := s.db.WithContext(ctx).Where("name = ?", name).Take(&r).Error; err != nil {
		return 0, notFound(err)
	}
	return r.DeletedMs, nil
}
