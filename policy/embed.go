// Package policy holds Humble's casbin model and base policy. They are
// embedded so that the binary always enforces exactly the policy reviewed in
// git; role assignments (the g rules) live in PostgreSQL instead.
package policy

import _ "embed"

// Model is the casbin model (request, policy, roles, effect, matcher).
//
//go:embed model.conf
var Model string

// CSV is the base policy: which role may do which action on which kind of
// object, in which domain and with which scope.
//
//go:embed policy.csv
var CSV string
