// Package oauth is the protocol layer: fosite composed with exactly the
// handlers Gatehouse offers, the session and JWT signer it uses, and the gin
// handlers for the public protocol endpoints — token, introspection,
// revocation, discovery and JWKS.
package oauth
