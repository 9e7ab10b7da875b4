package apispec

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTemplateRender(t *testing.T) {
	vars := Vars{"stream": {"a b/c"}, "page": {"2"}, "ids": {"1", "2"}}
	tests := []struct {
		in, want string
		escape   func(string) string
	}{
		{in: "/actions/{{stream}}/logs", want: "/actions/a%20b%2Fc/logs", escape: url.PathEscape},
		{in: "/actions/{{stream}}/logs", want: "/actions/a b/c/logs"},
		{in: "{{ page }}", want: "2"},
		{in: "p{{page}}-{{page}}", want: "p2-2"},
		{in: "{{unknown}}", want: ""},
		{in: "x{{unknown}}y", want: "xy"},
		{in: "literal", want: "literal"},
		{in: "", want: ""},
		{in: "{{list:ids}}", want: "1", escape: nil},
	}
	for _, tt := range tests {
		tmpl, err := ParseTemplate(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, tmpl.Render(vars, tt.escape), tt.in)
	}
}

func TestTemplateNamesAndLists(t *testing.T) {
	tmpl := MustParseTemplate("/a/{{stream}}/{{record:id}}?x={{list:ids}}")
	assert.Equal(t, []string{"stream", "record:id", "ids"}, tmpl.Names())
	_, ok := tmpl.IsList()
	assert.False(t, ok, "a list placeholder inside other text is not a list parameter")

	name, ok := MustParseTemplate("{{list:operation_names}}").IsList()
	assert.True(t, ok)
	assert.Equal(t, "operation_names", name)
	_, ok = MustParseTemplate("{{operation_names}}").IsList()
	assert.False(t, ok)
}

func TestTemplateParseErrors(t *testing.T) {
	_, err := ParseTemplate("/a/{{stream")
	require.EqualError(t, err, `unclosed "{{" in "/a/{{stream"`)
	_, err = ParseTemplate("/a/{{  }}")
	require.EqualError(t, err, `empty placeholder in "/a/{{  }}"`)
	assert.Panics(t, func() { MustParseTemplate("{{") })
}

func TestVars(t *testing.T) {
	v := Vars{}
	assert.Empty(t, v.Get("x"))
	v.Set("x", "1")
	assert.Equal(t, "1", v.Get("x"))
	v["l"] = []string{"a", "b"}
	assert.Equal(t, "a", v.Get("l"))
}

func TestEngineVars(t *testing.T) {
	for _, name := range []string{VarStream, VarPage, VarPageSize, VarOffset, VarCursor, VarWindowStart, VarWindowEnd, VarRecordPrefix + "id"} {
		assert.True(t, IsEngineVar(name), name)
	}
	for _, name := range []string{"team_id", "record", "pages", ListPrefix + "user_ids"} {
		assert.False(t, IsEngineVar(name), name)
	}
}

func TestConfigVars(t *testing.T) {
	spec, err := Builtin("make_scenario_logs")
	require.NoError(t, err)
	assert.Equal(t, []string{"organization_id", "team_id"}, spec.ConfigVars(), "the discovery request's; {{record:id}} of the enrichment is the engine's")
	spec, err = Builtin("tines_audit_logs")
	require.NoError(t, err)
	assert.Equal(t, []string{"operation_names", "user_ids"}, spec.ConfigVars(), "list placeholders count under their name")
	spec = &Spec{Request: Request{Path: "/w/{{workspace}}/{{stream}}", Header: map[string]string{"X-Org": "{{org}}"}, Body: `{"q":"{{query}}"}`}}
	assert.Equal(t, []string{"org", "query", "workspace"}, spec.ConfigVars())
	spec, err = Builtin("logto_logs")
	require.NoError(t, err)
	assert.Equal(t, []string{"application_id", "log_key", "tenant_id", "user_id"}, spec.ConfigVars(), "the OAuth2 resource's too")
}
