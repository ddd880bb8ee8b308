// Package keys owns Gatehouse's signing keys: it generates them, seals their
// private parts under GATEHOUSE_SECRET before they reach the database,
// publishes the public parts as a JWKS and rotates them so that a new key is
// published before it signs and a retired key stays published until every
// token it signed has expired. go-jose v4 stays inside this package.
package keys
