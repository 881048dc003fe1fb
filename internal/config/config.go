// Package config holds Humble's one Config, loaded from HUMBLE_* environment
// variables and validated once at start-up.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is everything Humble reads from its environment.
type Config struct {
	// Addr is the host:port the HTTP server listens on.
	Addr string
	// DatabaseURL points at PostgreSQL. Empty: start a private server.
	DatabaseURL string
	// DataDir holds the private PostgreSQL's files when DatabaseURL is empty.
	DataDir string
	// BaseURL is how people reach Humble; used in invitation links.
	BaseURL string
	// SessionIdle ends a browser session after this long without a request.
	SessionIdle time.Duration
	// SessionMax ends a browser session this long after sign-in, whatever happens.
	SessionMax time.Duration
	// InvitationTTL is how long an invitation link stays valid.
	InvitationTTL time.Duration
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogFormat is text or json.
	LogFormat string
	// TrustProxy makes Humble believe X-Forwarded-For/-Proto from a proxy.
	TrustProxy bool
	// Demo seeds the example fund on start when the database is empty.
	Demo bool
}

// Var documents one environment variable, for the README and `humble help`.
type Var struct {
	Name, Default, Meaning string
}

// Vars lists every variable Humble reads.
var Vars = []Var{
	{"HUMBLE_ADDR", "127.0.0.1:8080", "address the web server listens on"},
	{"HUMBLE_DATABASE_URL", "(unset)", "PostgreSQL URL; unset starts a private PostgreSQL in HUMBLE_DATA_DIR"},
	{"HUMBLE_DATA_DIR", "./var/postgres", "where the private PostgreSQL keeps its data (unix socket inside, no TCP port)"},
	{"HUMBLE_BASE_URL", "http://" + "127.0.0.1:8080", "public address of Humble, used in invitation links; https:// makes cookies Secure"},
	{"HUMBLE_SESSION_IDLE", "2h", "sign out after this long without activity"},
	{"HUMBLE_SESSION_MAX", "168h", "sign out this long after signing in, whatever happens"},
	{"HUMBLE_INVITATION_TTL", "168h", "how long an invitation link stays valid"},
	{"HUMBLE_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"HUMBLE_LOG_FORMAT", "text", "text or json"},
	{"HUMBLE_TRUST_PROXY", "false", "trust X-Forwarded-For and X-Forwarded-Proto from a reverse proxy"},
	{"HUMBLE_DEMO", "true when the private PostgreSQL is used, else false", "seed the demo fund into an empty database"},
}

// Load reads the environment through getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	duration := func(name, def string) time.Duration {
		d, err := time.ParseDuration(get(name, def))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: want a positive duration such as 90m or 2h", name))
		}
		return d
	}
	boolean := func(name string, def bool) bool {
		switch strings.ToLower(get(name, fmt.Sprint(def))) {
		case "1", "true", "yes", "on":
			return true
		case "0", "false", "no", "off":
			return false
		}
		errs = append(errs, fmt.Errorf("%s: want true or false", name))
		return def
	}
	c := Config{
		Addr:          get("HUMBLE_ADDR", "127.0.0.1:8080"),
		DatabaseURL:   get("HUMBLE_DATABASE_URL", ""),
		DataDir:       get("HUMBLE_DATA_DIR", "./var/postgres"),
		SessionIdle:   duration("HUMBLE_SESSION_IDLE", "2h"),
		SessionMax:    duration("HUMBLE_SESSION_MAX", "168h"),
		InvitationTTL: duration("HUMBLE_INVITATION_TTL", "168h"),
		LogLevel:      strings.ToLower(get("HUMBLE_LOG_LEVEL", "info")),
		LogFormat:     strings.ToLower(get("HUMBLE_LOG_FORMAT", "text")),
		TrustProxy:    boolean("HUMBLE_TRUST_PROXY", false),
	}
	c.BaseURL = strings.TrimRight(get("HUMBLE_BASE_URL", "http://"+c.Addr), "/")
	c.Demo = boolean("HUMBLE_DEMO", c.DatabaseURL == "")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, errors.New("HUMBLE_BASE_URL: want an http:// or https:// address"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, errors.New("HUMBLE_LOG_LEVEL: want debug, info, warn or error"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, errors.New("HUMBLE_LOG_FORMAT: want text or json"))
	}
	if c.SessionIdle > c.SessionMax {
		errs = append(errs, errors.New("HUMBLE_SESSION_IDLE: must not be longer than HUMBLE_SESSION_MAX"))
	}
	return c, errors.Join(errs...)
}

// SecureCookies reports whether cookies must carry the Secure flag.
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }
