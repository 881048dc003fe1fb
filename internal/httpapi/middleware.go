package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/humblehq/humble/internal/audit"
)

// RequestID returns the id of the request being served.
func RequestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// Common returns the middleware every request passes through, outermost
// first: request id, access log, panic recovery, security headers.
func Common(log *slog.Logger) []echo.MiddlewareFunc {
	return []echo.MiddlewareFunc{
		middleware.RequestIDWithConfig(middleware.RequestIDConfig{
			Generator: newRequestID,
			RequestIDHandler: func(c echo.Context, id string) {
				req := c.Request()
				c.SetRequest(req.WithContext(audit.WithRequestID(req.Context(), id)))
			},
		}),
		accessLog(log),
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			DisableStackAll: true,
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				log.ErrorContext(c.Request().Context(), "panic", "request_id", RequestID(c),
					"error", err, "stack", string(stack))
				return fmt.Errorf("panic: %w", err)
			},
		}),
		securityHeaders,
	}
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func accessLog(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRequestID: true,
		LogRemoteIP: true, LogError: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(context.Background(), level, "request",
				slog.String("method", v.Method), slog.String("path", v.URIPath),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency),
				slog.String("request_id", v.RequestID), slog.String("remote_ip", v.RemoteIP))
			return nil
		},
	})
}

// ContentSecurityPolicy allows only Humble's own scripts, styles and images
// and forbids framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if c.Request().TLS != nil || c.Request().Header.Get("X-Forwarded-Proto") == "https" {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// CSRFCookie is the name of the cookie that carries the CSRF secret.
const CSRFCookie = "humble_csrf"

const csrfKey = "humble.csrf"

// errCSRF is the answer to an unsafe request without the right token.
var errCSRF = echo.NewHTTPError(http.StatusForbidden,
	"this form has expired or did not come from Humble; reload the page and try again")

// CSRF protects every cookie-authenticated unsafe request with a
// double-submit token: a random secret in an HttpOnly, SameSite=Lax cookie
// that forms echo back in the _csrf field and fetch in the X-CSRF-Token
// header. A browser that says the request is cross-site is refused outright.
// Skipped: requests carrying a bearer token (browsers never attach one on
// their own, and the authenticator then ignores cookies), and API requests
// without a session cookie (they act as nobody, so there is nothing to
// forge; they get the API's own 401). Pages always check, so that even the
// sign-in form cannot be submitted from another site.
func CSRF(secure bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if strings.HasPrefix(req.Header.Get(echo.HeaderAuthorization), "Bearer ") {
				return next(c)
			}
			if IsAPI(c) {
				if ck, err := c.Cookie(SessionCookie); err != nil || ck.Value == "" {
					return next(c)
				}
			}
			token := ""
			if ck, err := c.Cookie(CSRFCookie); err == nil && len(ck.Value) == 43 {
				token = ck.Value
			} else {
				b := make([]byte, 32)
				if _, err := rand.Read(b); err != nil {
					return err
				}
				token = base64.RawURLEncoding.EncodeToString(b)
				c.SetCookie(&http.Cookie{Name: CSRFCookie, Value: token, Path: "/", HttpOnly: true,
					Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: int((24 * time.Hour).Seconds())})
			}
			c.Set(csrfKey, token)
			switch req.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			if req.Header.Get("Sec-Fetch-Site") == "cross-site" {
				return errCSRF
			}
			sent := req.Header.Get("X-CSRF-Token")
			if sent == "" {
				sent = c.FormValue("_csrf")
			}
			if subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
				return errCSRF
			}
			return next(c)
		}
	}
}

// CSRFToken returns the token to embed in forms and pages.
func CSRFToken(c echo.Context) string {
	t, _ := c.Get(csrfKey).(string)
	return t
}
