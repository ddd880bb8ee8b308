package oauth

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ory/fosite"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// TestUnavailableAs503: every shape a database outage reaches the handlers
// in becomes temporarily_unavailable, and nothing else does.
func TestUnavailableAs503(t *testing.T) {
	outage := fmt.Errorf("find client: %w", store.ErrUnavailable)
	tests := []struct {
		name string
		err  error
		want *fosite.RFC6749Error
	}{
		{"store sentinel", outage, fosite.ErrTemporarilyUnavailable},
		{"fosite's own", fosite.ErrTemporarilyUnavailable, fosite.ErrTemporarilyUnavailable},
		// fosite wraps a failed client lookup as invalid_client: the cause wins.
		{"wrapped in invalid_client", fosite.ErrInvalidClient.WithWrap(fosite.ErrTemporarilyUnavailable.WithWrap(outage)), fosite.ErrTemporarilyUnavailable},
		{"wrong secret stays invalid_client", fosite.ErrInvalidClient.WithHint("bad secret"), fosite.ErrInvalidClient},
		{"unknown token stays", fosite.ErrInactiveToken, fosite.ErrInactiveToken},
		{"other errors untouched", errors.New("plain"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := unavailableAs503(tc.err)
			if tc.want == nil {
				if got != tc.err {
					t.Fatalf("changed %v into %v", tc.err, got)
				}
				return
			}
			if !isRFC(got, tc.want) {
				t.Fatalf("%v became %v, want %s", tc.err, got, tc.want.ErrorField)
			}
		})
	}
}

// TestIsRFCLooksAtTheOuterError: fosite's errors match what they wrap under
// errors.Is, which would count an outage as a failed authentication.
func TestIsRFCLooksAtTheOuterError(t *testing.T) {
	outer := fosite.ErrTemporarilyUnavailable.WithWrap(fosite.ErrInvalidClient)
	if !errors.Is(outer, fosite.ErrInvalidClient) {
		t.Skip("fosite no longer matches wrapped errors; isRFC is then plain errors.Is")
	}
	if isRFC(outer, fosite.ErrInvalidClient) {
		t.Fatal("isRFC matched a wrapped error")
	}
	if !isRFC(outer, fosite.ErrTemporarilyUnavailable) {
		t.Fatal("isRFC missed the outer error")
	}
}
