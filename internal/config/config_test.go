package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./var/postgres" || c.DatabaseURL != "" ||
		c.BaseURL != "http://127.0.0.1:8080" || !c.Demo || c.SecureCookies() || c.SessionIdle != 2*time.Hour {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestConfiguredDatabaseTurnsDemoOff(t *testing.T) {
	c, err := Load(env(map[string]string{"HUMBLE_DATABASE_URL": "postgres://db/humble", "HUMBLE_BASE_URL": "https://grants.example.org/"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Demo || !c.SecureCookies() || c.BaseURL != "https://grants.example.org" {
		t.Fatalf("%+v", c)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	_, err := Load(env(map[string]string{
		"HUMBLE_SESSION_IDLE": "forever", "HUMBLE_BASE_URL": "grants.example.org",
		"HUMBLE_LOG_LEVEL": "loud", "HUMBLE_DEMO": "perhaps",
	}))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, name := range []string{"HUMBLE_SESSION_IDLE", "HUMBLE_BASE_URL", "HUMBLE_LOG_LEVEL", "HUMBLE_DEMO"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestEveryVariableIsDocumented(t *testing.T) {
	documented := map[string]bool{}
	for _, v := range Vars {
		documented[v.Name] = true
	}
	var read []string
	_, _ = Load(func(k string) string { read = append(read, k); return "" })
	for _, k := range read {
		if !documented[k] {
			t.Errorf("%s is read but not in Vars (and so not in `humble help`)", k)
		}
	}
}
