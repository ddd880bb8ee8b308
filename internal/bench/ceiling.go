package bench

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"net"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Ceiling credentials: the ceiling server accepts exactly these.
const (
	CeilingClientID = "ceiling"
	CeilingSecret   = "ceiling-secret-0123456789abcdef-0123456789"
)

// ServeCeiling is the ceiling scenario: HTTP, a Basic credential check and
// an ES256 signature per request — nothing else. Gatehouse's token endpoint
// is measured as a fraction of it.
func ServeCeiling(ln net.Listener) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", "ceiling"))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != CeilingClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(CeilingSecret)) != 1 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		now := time.Now()
		tok, err := jwt.Signed(signer).Claims(map[string]any{
			"iss": "https://bench.local", "sub": id, "aud": []string{id}, "client_id": id,
			"scope": "bench", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": randomID(),
		}).Serialize()
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 3600})
	})
	return (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}
