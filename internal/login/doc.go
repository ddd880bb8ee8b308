// Package login owns the browser side of signing in: the login, consent and
// logout pages, the server-side sign-in session and its cookie, CSRF
// protection of every form, and throttling of failed logins. The protocol
// decisions stay in package oauth, which this package resumes after each
// step.
package login
