// Package adminapi holds the wire types of Gatehouse's management API
// (/api/v1): what clients of the API send and receive, and its error shape.
// It is importable by other programs; nothing in it touches storage.
package adminapi

import "time"

// PageSize is the fixed page length of every list.
const PageSize = 100

// Page is one page of a list.
type Page[T any] struct {
	Result   []T `json:"result"`
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
	Total    int `json:"total"`
}

// APIClient is an API client (type "api") as the API shows it. ClientSecret
// is set only in the response that created it.
type APIClient struct {
	ClientID            string     `json:"client_id"`
	ClientSecret        string     `json:"client_secret,omitempty"`
	Type                string     `json:"type"`
	Name                string     `json:"name"`
	Description         string     `json:"description"`
	Scopes              []string   `json:"scopes"`
	PublicBaseURI       string     `json:"public_base_uri"`
	SecretExpiresOn     string     `json:"secret_expires_on"`
	AccessTokenLifetime int        `json:"access_token_lifetime"`
	Enabled             bool       `json:"enabled"`
	Username            string     `json:"username"`
	Roles               []string   `json:"roles"`
	Status              string     `json:"status"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	SecretCreatedAt     *time.Time `json:"secret_created_at"`
	LastUsedAt          *time.Time `json:"last_used_at"`
}

// WebClient is a Web App client (type "web"). ClientSecret is set only in the
// response that created a confidential one.
type WebClient struct {
	ClientID               string     `json:"client_id"`
	ClientSecret           string     `json:"client_secret,omitempty"`
	Type                   string     `json:"type"`
	Name                   string     `json:"name"`
	Description            string     `json:"description"`
	Public                 bool       `json:"public"`
	RequireConsent         bool       `json:"require_consent"`
	RedirectURIs           []string   `json:"redirect_uris"`
	AllowedCORSOrigins     []string   `json:"allowed_cors_origins"`
	PostLogoutRedirectURIs []string   `json:"post_logout_redirect_uris"`
	Scopes                 []string   `json:"scopes"`
	SecretExpiresOn        string     `json:"secret_expires_on,omitempty"`
	AccessTokenLifetime    int        `json:"access_token_lifetime"`
	Enabled                bool       `json:"enabled"`
	Status                 string     `json:"status"`
	CreatedAt              time.Time  `json:"created_at"`
	UpdatedAt              time.Time  `json:"updated_at"`
	SecretCreatedAt        *time.Time `json:"secret_created_at"`
	LastUsedAt             *time.Time `json:"last_used_at"`
}

// SecretResponse answers POST …/{client_id}/secret.
type SecretResponse struct {
	ClientSecret    string `json:"client_secret"`
	SecretExpiresOn string `json:"secret_expires_on"`
}

// SecretRequest is the optional body of POST …/{client_id}/secret.
type SecretRequest struct {
	SecretExpiresOn    string `json:"secret_expires_on,omitempty"`
	GracePeriodSeconds int    `json:"grace_period_seconds,omitempty"`
}

// User is a person who signs in. Password is write-only.
type User struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Enabled   bool      `json:"enabled"`
	Roles     []string  `json:"roles"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Role grants scopes to its members.
type Role struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Scopes      []string  `json:"scopes"`
	Builtin     bool      `json:"builtin"`
	Members     []string  `json:"members"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Member is the body of POST /roles/{name}/members.
type Member struct {
	Username string `json:"username"`
}

// AuditEvent records one change: who, what, to which target, when, and the
// names (never the values) of the fields it changed.
type AuditEvent struct {
	ID         string    `json:"id"`
	OccurredAt time.Time `json:"occurred_at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	TargetType string    `json:"target_type"`
	TargetID   string    `json:"target_id"`
	Fields     []string  `json:"fields"`
}

// Notification is a message the server would have e-mailed without SMTP
// configured (secret expiry reminders).
type Notification struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	Kind       string    `json:"kind"`
	ClientID   string    `json:"client_id"`
	Recipients []string  `json:"recipients"`
	Subject    string    `json:"subject"`
	Body       string    `json:"body"`
	Delivered  bool      `json:"delivered"`
}

// Error codes and the body every failure carries.
const (
	CodeInvalidRequest   = "invalid_request"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeConflict         = "conflict"
	CodeTooLarge         = "request_too_large"
	CodeServerError      = "server_error"
	CodeMethodNotAllowed = "method_not_allowed"
)

// Error is the body of every failed response.
type Error struct {
	Status  int               `json:"-"`
	Code    string            `json:"error"`
	Message string            `json:"message"`
	Details map[string]string `json:"details"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is matches by code, so errors.Is(err, &Error{Code: CodeNotFound}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}
