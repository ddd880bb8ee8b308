package app

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// deriveHMACSecret gives fosite its own key for opaque tokens, separate from
// the sealing and client-secret keys derived from the same server secret.
func deriveHMACSecret(serverSecret []byte) ([]byte, error) {
	if len(serverSecret) < 32 {
		return nil, errNoSecret
	}
	return hkdf.Key(sha256.New, serverSecret, nil, "gatehouse fosite hmac v1", 32)
}
