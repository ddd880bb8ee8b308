package admin

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/ory/fosite"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/pkg/adminapi"
)

func apiError(status int, code, msg string, details map[string]string) *adminapi.Error {
	if details == nil {
		details = map[string]string{}
	}
	return &adminapi.Error{Status: status, Code: code, Message: msg, Details: details}
}

func badRequest(msg string, details map[string]string) *adminapi.Error {
	return apiError(http.StatusBadRequest, adminapi.CodeInvalidRequest, msg, details)
}

func notFound(what string) *adminapi.Error {
	return apiError(http.StatusNotFound, adminapi.CodeNotFound, what+" not found", nil)
}

// toAPIError maps every error a handler can meet to SPEC §5's table; this is
// the one place store sentinels become status codes.
func toAPIError(err error) *adminapi.Error {
	var ae *adminapi.Error
	var cv *clients.ValidationError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &cv):
		return badRequest("the request breaks a rule", cv.Fields)
	case errors.As(err, &tooBig):
		return apiError(http.StatusRequestEntityTooLarge, adminapi.CodeTooLarge, "body over 1 MiB", nil)
	case errors.Is(err, clients.ErrPublicClient):
		return badRequest("a public client has no secret", map[string]string{"client_secret": "a public client has no secret"})
	case errors.Is(err, identity.ErrBuiltinRole):
		return badRequest(identity.ErrBuiltinRole.Error(), map[string]string{"name": "built-in role"})
	case errors.Is(err, identity.ErrUnknownMember):
		return apiError(http.StatusNotFound, adminapi.CodeNotFound, "no user or API client has this username", map[string]string{"username": "unknown"})
	case errors.Is(err, store.ErrNotFound):
		return notFound("resource")
	case errors.Is(err, store.ErrConflict):
		return apiError(http.StatusConflict, adminapi.CodeConflict, "already taken", nil)
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, fosite.ErrTemporarilyUnavailable):
		return apiError(http.StatusServiceUnavailable, adminapi.CodeServerError, "the database is unavailable; try again", nil)
	}
	return nil
}

// renderErrors writes the last error a handler recorded. Unknown errors are
// logged with the request's id and answered 500 without internals.
func renderErrors(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		err := c.Errors.Last().Err
		ae := toAPIError(err)
		if ae == nil {
			log.ErrorContext(c.Request.Context(), "management API", "error", err)
			ae = apiError(http.StatusInternalServerError, adminapi.CodeServerError, "internal error", nil)
		}
		if ae.Status == http.StatusUnauthorized {
			c.Header("WWW-Authenticate", `Basic realm="gatehouse", Bearer realm="gatehouse"`)
		}
		c.JSON(ae.Status, ae)
	}
}

// noStore marks every management response uncacheable (SPEC §5).
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.Next()
}
