package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/pkg/adminapi"
)

// fieldSet names the fields one operation accepts and those that exist but
// are read-only, so a refusal can say which.
type fieldSet struct {
	writable map[string]bool
	readOnly map[string]bool
}

func fields(writable, readOnly []string) fieldSet {
	fs := fieldSet{writable: map[string]bool{}, readOnly: map[string]bool{}}
	for _, f := range writable {
		fs.writable[f] = true
	}
	for _, f := range readOnly {
		fs.readOnly[f] = true
	}
	return fs
}

// decodeBody reads a JSON object into target (a struct of pointer fields),
// refusing malformed JSON, unknown and read-only fields, nulls and wrong
// types — naming every offending field. When it refuses, check (if given)
// adds the rule problems of the fields that did decode, so one answer
// names every bad field (SPEC §5). An empty body is {}.
func decodeBody(c *gin.Context, fs fieldSet, target any, check func() map[string]string) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return err // *http.MaxBytesError → 413
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return badRequest("the body must be a JSON object", map[string]string{"body": jsonProblem(err)})
	}
	details := map[string]string{}
	for k, v := range raw {
		switch {
		case fs.readOnly[k]:
			details[k] = "is read-only"
		case !fs.writable[k]:
			details[k] = "unknown field"
		case bytes.Equal(bytes.TrimSpace(v), []byte("null")):
			details[k] = "must not be null"
		}
	}
	for k, v := range raw {
		if details[k] != "" {
			continue
		}
		// Decode field by field so a type error names its field.
		probe := map[string]json.RawMessage{k: v}
		b, _ := json.Marshal(probe)
		if err := json.Unmarshal(b, target); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				details[k] = "must be " + typeName(te.Type.String())
			} else {
				details[k] = "is malformed"
			}
		}
	}
	if len(details) > 0 {
		if check != nil {
			for k, v := range check() {
				if _, ok := details[k]; !ok {
					details[k] = v
				}
			}
		}
		return badRequest("the body has fields that cannot be set as sent", details)
	}
	return nil
}

func typeName(goType string) string {
	switch goType {
	case "string":
		return "a string"
	case "int", "int64":
		return "an integer"
	case "bool":
		return "true or false"
	case "[]string":
		return "a list of strings"
	}
	return "of type " + goType
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "malformed JSON at byte " + strconv.FormatInt(se.Offset, 10)
	}
	return "not a JSON object"
}

// pageParam reads ?page=N (0 first).
func pageParam(c *gin.Context) (int, error) {
	s := c.Query("page")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, badRequest("page must be a whole number from 0", map[string]string{"page": "must be a whole number from 0"})
	}
	return n, nil
}

func pageOf[T any](items []T, page, total int) adminapi.Page[T] {
	if items == nil {
		items = []T{}
	}
	return adminapi.Page[T]{Result: items, Page: page, PageSize: adminapi.PageSize, Total: total}
}

// listed answers GET ?page=N for a collection: it reads the page from list
// and renders each item with view.
func listed[T, V any](c *gin.Context, list func(context.Context, store.Page) ([]T, int, error), view func(*T) (V, error)) {
	page, err := pageParam(c)
	if err != nil {
		fail(c, err)
		return
	}
	items, total, err := list(ctxOf(c), store.Page{Offset: page * adminapi.PageSize, Limit: adminapi.PageSize})
	if err != nil {
		fail(c, err)
		return
	}
	views := make([]V, len(items))
	for i := range items {
		if views[i], err = view(&items[i]); err != nil {
			fail(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, pageOf(views, page, total))
}
