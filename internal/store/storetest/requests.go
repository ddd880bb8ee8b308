package storetest

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// secretFormKeys are form fields that carry credentials: a store must
// never persist them with a request.
var secretFormKeys = []string{"client_secret", "code", "refresh_token", "code_verifier", "password"}

// requestedAt has a sub-second part and a zone other than UTC.
var requestedAt = time.Date(2024, 5, 6, 7, 8, 9, 987654000, time.FixedZone("UTC-5", -5*60*60))

func newSession(subject string) *openid.DefaultSession {
	exp := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	return &openid.DefaultSession{
		Subject:  subject,
		Username: subject + "@example.com",
		Claims: &jwt.IDTokenClaims{
			Subject:  subject,
			Issuer:   "https://issuer.example",
			Audience: []string{"aud-1"},
			Nonce:    "n-0S6_WzA2Mj",
			AuthTime: exp.Add(-2 * time.Hour),
			Extra:    map[string]any{"email": subject + "@example.com"},
		},
		Headers: &jwt.Headers{Extra: map[string]any{"kid": "key-1"}},
		ExpiresAt: map[fosite.TokenType]time.Time{
			fosite.AccessToken:   exp,
			fosite.RefreshToken:  exp.Add(24 * time.Hour),
			fosite.AuthorizeCode: exp.Add(-50 * time.Minute),
		},
	}
}

// newRequest is a request of clientID's, as fosite would store it, whose
// form carries every credential a token request can.
func newRequest(t *testing.T, s Store, clientID, requestID string) *fosite.Request {
	t.Helper()
	c, err := s.GetClient(t.Context(), clientID)
	if err != nil {
		t.Fatalf("GetClient(%q): %v", clientID, err)
	}
	return &fosite.Request{
		ID:                requestID,
		RequestedAt:       requestedAt,
		Client:            c,
		RequestedScope:    fosite.Arguments{"openid", "profile", "offline_access"},
		GrantedScope:      fosite.Arguments{"openid", "offline_access"},
		RequestedAudience: fosite.Arguments{"https://api.example"},
		GrantedAudience:   fosite.Arguments{"https://api.example"},
		Form: url.Values{
			"grant_type":    {"authorization_code"},
			"redirect_uri":  {"https://" + clientID + ".example/callback"},
			"scope":         {"openid offline_access"},
			"client_secret": {"s3cr3t-value"},
			"code":          {"the-authorization-code"},
			"refresh_token": {"the-refresh-token"},
			"code_verifier": {"the-pkce-verifier"},
			"password":      {"hunter2"},
		},
		Session: newSession("user-" + requestID),
	}
}

// wantSameRequest checks that got is want as stored: every field restored,
// the session hydrated, and no credential from the form kept.
func wantSameRequest(t *testing.T, got fosite.Requester, want *fosite.Request) {
	t.Helper()
	if got == nil {
		t.Fatal("got no request")
	}
	if got.GetID() != want.ID {
		t.Errorf("ID = %q, want %q", got.GetID(), want.ID)
	}
	if got.GetRequestedAt().Sub(want.RequestedAt).Abs() >= time.Second {
		t.Errorf("RequestedAt = %v, want %v", got.GetRequestedAt(), want.RequestedAt)
	}
	if got.GetClient() == nil || got.GetClient().GetID() != want.Client.GetID() {
		t.Errorf("Client = %v, want %q", got.GetClient(), want.Client.GetID())
	}
	for _, f := range []struct {
		name      string
		got, want fosite.Arguments
	}{
		{"RequestedScope", got.GetRequestedScopes(), want.RequestedScope},
		{"GrantedScope", got.GetGrantedScopes(), want.GrantedScope},
		{"RequestedAudience", got.GetRequestedAudience(), want.RequestedAudience},
		{"GrantedAudience", got.GetGrantedAudience(), want.GrantedAudience},
	} {
		if !sameStrings(f.got, f.want) {
			t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	form := got.GetRequestForm()
	for k, v := range want.Form {
		switch {
		case slices.Contains(secretFormKeys, k):
			if _, ok := form[k]; ok {
				t.Errorf("form field %q was stored: %q", k, form[k])
			}
		case !slices.Equal(form[k], v):
			t.Errorf("form field %q = %q, want %q", k, form[k], v)
		}
	}

	sess, ok := got.GetSession().(*openid.DefaultSession)
	if !ok {
		t.Fatalf("session is %T, want *openid.DefaultSession", got.GetSession())
	}
	ws := want.Session.(*openid.DefaultSession)
	if sess.Subject != ws.Subject || sess.Username != ws.Username {
		t.Errorf("session subject, username = %q, %q; want %q, %q", sess.Subject, sess.Username, ws.Subject, ws.Username)
	}
	if sess.Claims == nil || sess.Claims.Issuer != ws.Claims.Issuer || sess.Claims.Nonce != ws.Claims.Nonce ||
		!sess.Claims.AuthTime.Equal(ws.Claims.AuthTime) || sess.Claims.Extra["email"] != ws.Claims.Extra["email"] {
		t.Errorf("session claims = %+v, want %+v", sess.Claims, ws.Claims)
	}
	if sess.Headers == nil || sess.Headers.Extra["kid"] != "key-1" {
		t.Errorf("session headers = %+v, want kid key-1", sess.Headers)
	}
	for tt, w := range ws.ExpiresAt {
		if g := sess.GetExpiresAt(tt); !g.Equal(w) {
			t.Errorf("session expiry of %s = %v, want %v", tt, g, w)
		}
	}
}

// requestKind is one of the five kinds of request fosite stores.
type requestKind struct {
	name    string
	create  func(ctx context.Context, s Store, signature string, r fosite.Requester) error
	get     func(ctx context.Context, s Store, signature string, sess fosite.Session) (fosite.Requester, error)
	delete  func(ctx context.Context, s Store, signature string) error // nil: fosite never deletes this kind
	missing error                                                      // what get returns for an unknown signature
}

var requestKinds = []requestKind{
	{
		name: "AccessToken",
		create: func(ctx context.Context, s Store, sig string, r fosite.Requester) error {
			return s.CreateAccessTokenSession(ctx, sig, r)
		},
		get: func(ctx context.Context, s Store, sig string, sess fosite.Session) (fosite.Requester, error) {
			return s.GetAccessTokenSession(ctx, sig, sess)
		},
		delete: func(ctx context.Context, s Store, sig string) error {
			return s.DeleteAccessTokenSession(ctx, sig)
		},
		missing: fosite.ErrNotFound,
	},
	{
		name: "RefreshToken",
		create: func(ctx context.Context, s Store, sig string, r fosite.Requester) error {
			return s.CreateRefreshTokenSession(ctx, sig, "access-of-"+sig, r)
		},
		get: func(ctx context.Context, s Store, sig string, sess fosite.Session) (fosite.Requester, error) {
			return s.GetRefreshTokenSession(ctx, sig, sess)
		},
		delete: func(ctx context.Context, s Store, sig string) error {
			return s.DeleteRefreshTokenSession(ctx, sig)
		},
		missing: fosite.ErrNotFound,
	},
	{
		name: "AuthorizeCode",
		create: func(ctx context.Context, s Store, sig string, r fosite.Requester) error {
			return s.CreateAuthorizeCodeSession(ctx, sig, r)
		},
		get: func(ctx context.Context, s Store, sig string, sess fosite.Session) (fosite.Requester, error) {
			return s.GetAuthorizeCodeSession(ctx, sig, sess)
		},
		missing: fosite.ErrNotFound,
	},
	{
		name: "OpenIDConnect",
		create: func(ctx context.Context, s Store, sig string, r fosite.Requester) error {
			return s.CreateOpenIDConnectSession(ctx, sig, r)
		},
		get: func(ctx context.Context, s Store, sig string, sess fosite.Session) (fosite.Requester, error) {
			return s.GetOpenIDConnectSession(ctx, sig, &fosite.Request{Session: sess})
		},
		delete: func(ctx context.Context, s Store, sig string) error {
			return s.DeleteOpenIDConnectSession(ctx, sig)
		},
		missing: openid.ErrNoSessionFound,
	},
	{
		name: "PKCE",
		create: func(ctx context.Context, s Store, sig string, r fosite.Requester) error {
			return s.CreatePKCERequestSession(ctx, sig, r)
		},
		get: func(ctx context.Context, s Store, sig string, sess fosite.Session) (fosite.Requester, error) {
			return s.GetPKCERequestSession(ctx, sig, sess)
		},
		delete: func(ctx context.Context, s Store, sig string) error {
			return s.DeletePKCERequestSession(ctx, sig)
		},
		missing: fosite.ErrNotFound,
	},
}

// testRequests runs the behaviour every kind of stored request shares.
func testRequests(t *testing.T, newStore NewStore) {
	for _, k := range requestKinds {
		t.Run(k.name, func(t *testing.T) {
			// setup returns a store holding client "app" and request "req-1"
			// under signature "sig-1".
			setup := func(t *testing.T) (Store, *fosite.Request) {
				s := newStore(t)
				mustCreateClient(t, s, newClient("app"))
				r := newRequest(t, s, "app", "req-1")
				if err := k.create(t.Context(), s, "sig-1", r); err != nil {
					t.Fatalf("create: %v", err)
				}
				return s, r
			}

			t.Run("RoundTrip", func(t *testing.T) {
				s, r := setup(t)
				got, err := k.get(t.Context(), s, "sig-1", &openid.DefaultSession{})
				if err != nil {
					t.Fatalf("get: %v", err)
				}
				wantSameRequest(t, got, r)
				// fosite keeps using the request it stored: the store must
				// not have changed the caller's copy.
				if r.Form.Get("client_secret") != "s3cr3t-value" {
					t.Error("create removed client_secret from the caller's form")
				}
			})

			t.Run("Missing", func(t *testing.T) {
				s, _ := setup(t)
				got, err := k.get(t.Context(), s, "no-such-signature", &openid.DefaultSession{})
				wantErrIs(t, "get", err, k.missing)
				if got != nil {
					t.Errorf("get returned request %q with the error", got.GetID())
				}
			})

			t.Run("DuplicateSignature", func(t *testing.T) {
				s, _ := setup(t)
				if err := k.create(t.Context(), s, "sig-1", newRequest(t, s, "app", "req-other")); err == nil {
					t.Fatal("creating a second request under the same signature succeeded")
				}
				got, err := k.get(t.Context(), s, "sig-1", &openid.DefaultSession{})
				if err != nil || got.GetID() != "req-1" {
					t.Fatalf("get = %v, %v; want the first request", got, err)
				}
			})

			if k.delete != nil {
				t.Run("Delete", func(t *testing.T) {
					s, _ := setup(t)
					other := newRequest(t, s, "app", "req-2")
					if err := k.create(t.Context(), s, "sig-2", other); err != nil {
						t.Fatalf("create sig-2: %v", err)
					}
					if err := k.delete(t.Context(), s, "sig-1"); err != nil {
						t.Fatalf("delete: %v", err)
					}
					_, err := k.get(t.Context(), s, "sig-1", &openid.DefaultSession{})
					wantErrIs(t, "get after delete", err, k.missing)
					got, err := k.get(t.Context(), s, "sig-2", &openid.DefaultSession{})
					if err != nil {
						t.Fatalf("get sig-2 after deleting sig-1: %v", err)
					}
					wantSameRequest(t, got, other)
				})
			}

			// A deleted client's grants are gone with it (SPEC §3).
			t.Run("DeletedClient", func(t *testing.T) {
				s, _ := setup(t)
				if err := s.DeleteClient(t.Context(), "app"); err != nil {
					t.Fatalf("DeleteClient: %v", err)
				}
				_, err := k.get(t.Context(), s, "sig-1", &openid.DefaultSession{})
				wantErrIs(t, "get", err, fosite.ErrNotFound)
			})

			// A disabled client's grants do not work while it is disabled.
			t.Run("DisabledClient", func(t *testing.T) {
				s, _ := setup(t)
				disable(t, s, "app")
				_, err := k.get(t.Context(), s, "sig-1", &openid.DefaultSession{})
				wantErrIs(t, "get", err, fosite.ErrNotFound)
			})
		})
	}
}

func disable(t *testing.T, s Store, id string) {
	t.Helper()
	err := s.UpdateClient(t.Context(), id, func(c *store.Client) error { c.Enabled = false; return nil })
	if err != nil {
		t.Fatalf("disable client %q: %v", id, err)
	}
}
