package httpclient

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
)

// reservedTokenParams are the token request's form parameters that other
// keys own: the grant, the client's credentials, the scopes and the
// resource indicator. An extra parameter may not replace them, or a config
// could silently change the grant or send a secret in clear form fields.
var reservedTokenParams = []string{
	"grant_type", "client_id", "client_secret", "scope", "resource",
	"assertion", "client_assertion", "client_assertion_type", "refresh_token",
}

// CheckEndpointParams refuses extra token-request parameters that are empty
// or that other keys own; the error names the first such parameter.
func CheckEndpointParams(params map[string]string) error {
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch {
		case name == "":
			return errors.New("a parameter has no name")
		case slices.Contains(reservedTokenParams, name):
			return fmt.Errorf("parameter %q is set by the grant or by its own key; it cannot be an extra parameter", name)
		}
	}
	return nil
}

// tokenParams are the form parameters sent besides the grant's own: the
// resource indicator and the extra ones. Nil when there are none.
func tokenParams(resource string, extra map[string]string) url.Values {
	if resource == "" && len(extra) == 0 {
		return nil
	}
	v := url.Values{}
	for name, value := range extra {
		v.Set(name, value)
	}
	if resource != "" {
		v.Set("resource", resource)
	}
	return v
}
