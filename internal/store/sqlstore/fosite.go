package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/storage"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// The fosite storage interfaces this backend satisfies.
var (
	_ fosite.ClientManager               = (*Store)(nil)
	_ oauth2.CoreStorage                 = (*Store)(nil)
	_ oauth2.TokenRevocationStorage      = (*Store)(nil)
	_ openid.OpenIDConnectRequestStorage = (*Store)(nil)
	_ pkce.PKCERequestStorage            = (*Store)(nil)
	_ storage.Transactional              = (*Store)(nil)
)

const (
	tableAccessTokens  = "oauth_access_tokens"
	tableRefreshTokens = "oauth_refresh_tokens"
	tableCodes         = "oauth_authorize_codes"
	tableOIDC          = "oauth_oidc_sessions"
	tablePKCE          = "oauth_pkce_requests"
)

// requestRow is one stored fosite request; the same shape serves every
// token table (hydra's OAuth2RequestSQL).
type requestRow struct {
	Signature       string    `gorm:"column:signature;primaryKey"`
	RequestID       string    `gorm:"column:request_id"`
	ClientID        string    `gorm:"column:client_id"`
	Subject         string    `gorm:"column:subject"`
	RequestedAt     time.Time `gorm:"column:requested_at"`
	ExpiresAt       time.Time `gorm:"column:expires_at"`
	Active          bool      `gorm:"column:active"`
	Request         string    `gorm:"column:request"`
	AccessSignature *string   `gorm:"column:access_signature"`
}

// storedRequest is the JSON kept in requestRow.Request.
type storedRequest struct {
	ID                string          `json:"id"`
	RequestedAt       time.Time       `json:"requested_at"`
	ClientID          string          `json:"client_id"`
	RequestedScope    []string        `json:"requested_scope"`
	GrantedScope      []string        `json:"granted_scope"`
	RequestedAudience []string        `json:"requested_audience"`
	GrantedAudience   []string        `json:"granted_audience"`
	Form              url.Values      `json:"form"`
	Session           json.RawMessage `json:"session"`
}

// tokenLifetimeFallback bounds rows whose session names no expiry.
const tokenLifetimeFallback = 30 * 24 * time.Hour

func (s *Store) newRequestRow(signature string, kind fosite.TokenType, r fosite.Requester) (*requestRow, error) {
	sess, err := json.Marshal(r.GetSession())
	if err != nil {
		return nil, fmt.Errorf("encode session: %w", err)
	}
	form := url.Values{}
	for k, v := range r.GetRequestForm() {
		// Never persist credentials that arrived in the form.
		if k == "client_secret" || k == "password" || k == "code" || k == "refresh_token" || k == "code_verifier" {
			continue
		}
		form[k] = v
	}
	body, err := json.Marshal(storedRequest{
		ID:                r.GetID(),
		RequestedAt:       r.GetRequestedAt().UTC(),
		ClientID:          r.GetClient().GetID(),
		RequestedScope:    r.GetRequestedScopes(),
		GrantedScope:      r.GetGrantedScopes(),
		RequestedAudience: r.GetRequestedAudience(),
		GrantedAudience:   r.GetGrantedAudience(),
		Form:              form,
		Session:           sess,
	})
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	var subject string
	var expires time.Time
	if s := r.GetSession(); s != nil {
		subject = s.GetSubject()
		expires = s.GetExpiresAt(kind)
	}
	if expires.IsZero() {
		expires = r.GetRequestedAt().Add(tokenLifetimeFallback)
	}
	return &requestRow{
		Signature:   signature,
		RequestID:   r.GetID(),
		ClientID:    r.GetClient().GetID(),
		Subject:     subject,
		RequestedAt: r.GetRequestedAt().UTC(),
		ExpiresAt:   expires.UTC(),
		Active:      true,
		Request:     string(body),
	}, nil
}

// toRequester rebuilds the request. Its client must still exist and be
// enabled: a deleted or disabled client's tokens are gone with it.
func (s *Store) toRequester(ctx context.Context, row *requestRow, session fosite.Session) (*fosite.Request, error) {
	var sr storedRequest
	if err := json.Unmarshal([]byte(row.Request), &sr); err != nil {
		return nil, fmt.Errorf("decode request: %w", err)
	}
	client, err := s.GetClient(ctx, sr.ClientID)
	if err != nil {
		return nil, err
	}
	if session != nil {
		if err := json.Unmarshal(sr.Session, session); err != nil {
			return nil, fmt.Errorf("decode session: %w", err)
		}
	}
	return &fosite.Request{
		ID:                sr.ID,
		RequestedAt:       sr.RequestedAt,
		Client:            client,
		RequestedScope:    sr.RequestedScope,
		GrantedScope:      sr.GrantedScope,
		RequestedAudience: sr.RequestedAudience,
		GrantedAudience:   sr.GrantedAudience,
		Form:              sr.Form,
		Session:           session,
	}, nil
}

func (s *Store) createRequest(ctx context.Context, table, signature string, kind fosite.TokenType, r fosite.Requester) error {
	row, err := s.newRequestRow(signature, kind, r)
	if err != nil {
		return err
	}
	return fositeErr(s.conn(ctx).Table(table).Omit("access_signature").Create(row).Error)
}

func (s *Store) createRefreshRequest(ctx context.Context, signature, accessSignature string, r fosite.Requester) error {
	row, err := s.newRequestRow(signature, fosite.RefreshToken, r)
	if err != nil {
		return err
	}
	row.AccessSignature = &accessSignature
	return fositeErr(s.conn(ctx).Table(tableRefreshTokens).Create(row).Error)
}

// findRequest loads a row; an inactive one comes back with inactiveErr and the request.
func (s *Store) findRequest(ctx context.Context, table, signature string, session fosite.Session, inactiveErr error) (fosite.Requester, error) {
	var row requestRow
	err := s.conn(ctx).Table(table).Omit("access_signature").Where("signature = ?", signature).Take(&row).Error
	if err != nil {
		return nil, fositeErr(err)
	}
	req, err := s.toRequester(ctx, &row, session)
	if err != nil {
		return nil, fositeErr(err)
	}
	if !row.Active {
		return req, inactiveErr
	}
	return req, nil
}

func (s *Store) deleteRequest(ctx context.Context, table, column, value string) error {
	return fositeErr(s.conn(ctx).Table(table).Where(column+" = ?", value).Delete(&requestRow{}).Error)
}

// fositeErr maps storage failures to what fosite expects: a missing row is
// fosite.ErrNotFound; a concurrent update lost is ErrSerializationFailure
// (FOSITE-NOTES §3); anything else must not read as success.
func fositeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, fosite.ErrNotFound):
		return fosite.ErrNotFound
	case isSerializationFailure(err):
		return fosite.ErrSerializationFailure.WithWrap(err)
	}
	if m := mapErr(err); errors.Is(m, store.ErrNotFound) {
		return fosite.ErrNotFound
	}
	var rfc *fosite.RFC6749Error
	if errors.As(err, &rfc) {
		return err
	}
	if IsUnavailable(err) || errors.Is(err, store.ErrUnavailable) {
		return fosite.ErrTemporarilyUnavailable.WithWrap(err).WithDebug(err.Error())
	}
	return fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
}

// GetClient loads a client for fosite. Disabled clients do not exist here,
// so they cannot authenticate (invalid_client) and their tokens are inactive.
func (s *Store) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	c, err := s.cachedFindClient(ctx, id)
	if err != nil {
		return nil, fositeErr(err)
	}
	if !c.Enabled {
		return nil, fosite.ErrNotFound
	}
	return store.NewOAuthClient(c, s.now()), nil
}

// ClientAssertionJWTValid refuses every assertion: Gatehouse authenticates
// clients by secret (or none), never by private_key_jwt.
func (s *Store) ClientAssertionJWTValid(context.Context, string) error {
	return fosite.ErrJTIKnown.WithHint("Client assertions are not accepted by this server.")
}

// SetClientAssertionJWT is never reached because assertions are refused.
func (s *Store) SetClientAssertionJWT(context.Context, string, time.Time) error {
	return fosite.ErrJTIKnown.WithHint("Client assertions are not accepted by this server.")
}

// CreateAccessTokenSession stores an access token. Outside a transaction
// (client credentials) the row joins a group commit with concurrent ones.
func (s *Store) CreateAccessTokenSession(ctx context.Context, signature string, r fosite.Requester) error {
	if inTx(ctx) || s.accessWriter == nil {
		return s.createRequest(ctx, tableAccessTokens, signature, fosite.AccessToken, r)
	}
	row, err := s.newRequestRow(signature, fosite.AccessToken, r)
	if err != nil {
		return err
	}
	_, err = s.accessWriter.do(ctx, row)
	return err
}

func (s *Store) GetAccessTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	return s.findRequest(ctx, tableAccessTokens, signature, session, fosite.ErrInactiveToken)
}

func (s *Store) DeleteAccessTokenSession(ctx context.Context, signature string) error {
	return s.deleteRequest(ctx, tableAccessTokens, "signature", signature)
}

func (s *Store) CreateRefreshTokenSession(ctx context.Context, signature, accessSignature string, r fosite.Requester) error {
	return s.createRefreshRequest(ctx, signature, accessSignature, r)
}

// GetRefreshTokenSession returns fosite.ErrInactiveToken with the request
// for a rotated-out token, which is how fosite detects reuse.
func (s *Store) GetRefreshTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	return s.findRequest(ctx, tableRefreshTokens, signature, session, fosite.ErrInactiveToken)
}

func (s *Store) DeleteRefreshTokenSession(ctx context.Context, signature string) error {
	return s.deleteRequest(ctx, tableRefreshTokens, "signature", signature)
}

// RotateRefreshToken retires the presented refresh token and the access
// tokens of its grant. The conditional update makes two concurrent
// rotations of one token race on the row: the loser gets
// ErrSerializationFailure and issues nothing.
func (s *Store) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		res := s.conn(ctx).Table(tableRefreshTokens).
			Where("signature = ? AND active = ?", signature, true).
			Update("active", false)
		if res.Error != nil {
			return fositeErr(res.Error)
		}
		if res.RowsAffected == 0 {
			return fosite.ErrSerializationFailure.WithHint("The refresh token was rotated concurrently.")
		}
		if err := s.RevokeRefreshToken(ctx, requestID); err != nil {
			return err
		}
		return s.RevokeAccessToken(ctx, requestID)
	})
}

// RevokeRefreshToken deactivates (not deletes) every refresh token of the
// grant, so a later presentation is recognised as reuse.
func (s *Store) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return fositeErr(s.conn(ctx).Table(tableRefreshTokens).
		Where("request_id = ?", requestID).Update("active", false).Error)
}

// RevokeAccessToken deletes every access token of the grant.
func (s *Store) RevokeAccessToken(ctx context.Context, requestID string) error {
	return s.deleteRequest(ctx, tableAccessTokens, "request_id", requestID)
}

func (s *Store) CreateAuthorizeCodeSession(ctx context.Context, code string, r fosite.Requester) error {
	return s.createRequest(ctx, tableCodes, code, fosite.AuthorizeCode, r)
}

// GetAuthorizeCodeSession returns ErrInvalidatedAuthorizeCode together with
// the request for a used code: fosite then revokes what the code issued
// (FOSITE-NOTES §2).
func (s *Store) GetAuthorizeCodeSession(ctx context.Context, code string, session fosite.Session) (fosite.Requester, error) {
	return s.findRequest(ctx, tableCodes, code, session, fosite.ErrInvalidatedAuthorizeCode)
}

// InvalidateAuthorizeCodeSession marks the code used; only one of two
// concurrent redemptions can do so.
func (s *Store) InvalidateAuthorizeCodeSession(ctx context.Context, code string) error {
	res := s.conn(ctx).Table(tableCodes).Where("signature = ? AND active = ?", code, true).Update("active", false)
	if res.Error != nil {
		return fositeErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return fosite.ErrSerializationFailure.WithHint("The authorization code was redeemed concurrently.")
	}
	return nil
}

func (s *Store) CreateOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) error {
	return s.createRequest(ctx, tableOIDC, code, fosite.AuthorizeCode, r)
}

func (s *Store) GetOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) (fosite.Requester, error) {
	req, err := s.findRequest(ctx, tableOIDC, code, r.GetSession(), nil)
	if errors.Is(err, fosite.ErrNotFound) {
		return nil, openid.ErrNoSessionFound
	}
	return req, err
}

func (s *Store) DeleteOpenIDConnectSession(ctx context.Context, code string) error {
	return s.deleteRequest(ctx, tableOIDC, "signature", code)
}

func (s *Store) CreatePKCERequestSession(ctx context.Context, signature string, r fosite.Requester) error {
	return s.createRequest(ctx, tablePKCE, signature, fosite.AuthorizeCode, r)
}

func (s *Store) GetPKCERequestSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	return s.findRequest(ctx, tablePKCE, signature, session, nil)
}

func (s *Store) DeletePKCERequestSession(ctx context.Context, signature string) error {
	return s.deleteRequest(ctx, tablePKCE, "signature", signature)
}
