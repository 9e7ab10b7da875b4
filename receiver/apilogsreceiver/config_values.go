package apilogsreceiver

import (
	"cmp"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// endpointHelp says what the endpoint of api is, with the spec's example.
func endpointHelp(api string, spec *apispec.Spec) string {
	example := ""
	if spec != nil {
		example = cmp.Or(spec.EndpointExample, spec.DefaultEndpoint)
	}
	switch {
	case example != "":
		return fmt.Sprintf("the base URL of api %s, e.g. %s", api, example)
	case api == apispec.Custom:
		return "the base URL of the API, e.g. https://api.example.com (a path prefix is kept)"
	default:
		return "the base URL of the API's tenant or zone"
	}
}

// placeholdersAsAngles writes {{name}} as <name>, for messages.
func placeholdersAsAngles(s string) string {
	return strings.NewReplacer("{{", "<", "}}", ">").Replace(s)
}

func joinURL(base *url.URL, path string) string {
	u := *base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	return u.String()
}

// startAtForms is what start_at accepts; every start_at error says it.
const startAtForms = `must be an RFC 3339 time, a negative duration such as -24h, or "now"`

// startAtLayouts are the forms YAML reads as a timestamp (go.yaml.in/yaml/v3):
// RFC 3339 with T or t, a space instead of the T with no zone (UTC), or a date
// alone (midnight UTC). A quoted start_at in one of them means what the
// unquoted one does.
var startAtLayouts = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

// parseStartAt accepts an RFC 3339 time, a negative duration, or "now".
func parseStartAt(s string) (func(time.Time) time.Time, error) {
	switch {
	case s == "now":
		return func(now time.Time) time.Time { return now }, nil
	case strings.HasPrefix(s, "-"):
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("%s; got %q", startAtForms, s)
		}
		return func(now time.Time) time.Time { return now.Add(d) }, nil
	}
	for _, layout := range startAtLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return func(time.Time) time.Time { return t }, nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return nil, fmt.Errorf("%s; got %q (a start in the past is a negative duration: -%s)", startAtForms, s, s)
	}
	return nil, fmt.Errorf("%s; got %q", startAtForms, s)
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func anySet(vars apispec.Vars, keys []string) bool {
	for _, k := range keys {
		if vars.Get(k) != "" {
			return true
		}
	}
	return false
}
