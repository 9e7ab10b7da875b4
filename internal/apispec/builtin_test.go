package apispec

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBuiltinsLoadAndValidate(t *testing.T) {
	names := BuiltinNames()
	require.Len(t, names, 8)
	for _, name := range names {
		spec, err := Builtin(name)
		require.NoError(t, err, name)
		require.NoError(t, spec.Validate(), name)
	}
}

func TestUnknownBuiltin(t *testing.T) {
	_, err := Builtin("nope")
	require.ErrorContains(t, err, `unknown api "nope"`)
}
