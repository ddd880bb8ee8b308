package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestGuards: the app refuses responses that do not belong to a sign-in it
// started, and starts sign-ins with PKCE S256, state and nonce. No browser.
func TestGuards(t *testing.T) {
	g := startGatehouse(t, io.Discard)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	id, _ := g.webClient(t, true, base+"/callback", base+"/")
	h, err := newApp(context.Background(), config{Issuer: g.issuer, ClientID: id, URL: base})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// /login: to Gatehouse, with what the callback will check in a cookie.
	resp, err := noRedirect.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), g.issuer+"/oauth2/authorize?") ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" ||
		q.Get("state") == "" || q.Get("client_id") != id || q.Get("redirect_uri") != base+"/callback" {
		t.Fatalf("login: %d %s", resp.StatusCode, loc)
	}
	var auth *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == authCookie {
			auth = c
		}
	}
	if auth == nil || !auth.HttpOnly || auth.SameSite != http.SameSiteLaxMode || auth.MaxAge != 600 ||
		!strings.HasPrefix(auth.Value, q.Get("state")+"."+q.Get("nonce")+".") {
		t.Fatalf("auth cookie %+v", auth)
	}
	state := q.Get("state")

	tests := []struct {
		name   string
		query  string
		cookie bool
		status int
		says   string
	}{
		{"no sign-in started", "code=x&state=" + state, false, 400, "No sign-in in progress"},
		{"state differs", "code=x&state=other", true, 400, "does not match the request"},
		{"another issuer", "code=x&state=" + state + "&iss=" + url.QueryEscape("https://evil.example"), true, 400, "another issuer"},
		{"user denied", "error=access_denied&error_description=no&state=" + state + "&iss=" + url.QueryEscape(g.issuer), true, 403, "access_denied"},
		{"code not redeemable", "code=forged&state=" + state, true, 502, "Redeeming the authorization code failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, base+"/callback?"+tc.query, nil)
			if tc.cookie {
				req.AddCookie(&http.Cookie{Name: authCookie, Value: auth.Value})
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.says) {
				t.Errorf("status %d, want %d with %q:\n%s", resp.StatusCode, tc.status, tc.says, body)
			}
			for _, c := range resp.Cookies() {
				if c.Name == sessionCookie && c.Value != "" {
					t.Errorf("a session was started")
				}
			}
		})
	}

	t.Run("sign-out without a session", func(t *testing.T) {
		resp, err := noRedirect.PostForm(base+"/logout", url.Values{"csrf_token": {"x"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"/" {
			t.Errorf("status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("sign-out by GET", func(t *testing.T) {
		resp, err := noRedirect.Get(base + "/logout")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

// TestNewAppConfig: what newApp refuses before it touches the network.
func TestNewAppConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  config
		says string
	}{
		{"no client id", config{Issuer: "http://127.0.0.1:9", URL: "http://127.0.0.1:3000"}, "client id"},
		{"app URL without scheme", config{Issuer: "http://127.0.0.1:9", ClientID: "x", URL: "127.0.0.1:3000"}, "app URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newApp(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err %v, want one mentioning %q", err, tc.says)
			}
		})
	}
}
