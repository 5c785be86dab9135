package mapping

import (
	"strings"
	"testing"
)

// explain answers from the schema: a target field with its meaning and
// whether it is required, wherever it stands; a source's kind with the
// kinds there are; a field's option once; the top-level keys; and a
// misspelt key with the nearest one.
func TestExplain(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"family_name", "clients.fields.family_name\n  required: family name"},
		{"family_name", "related_persons.fields.family_name"},
		{"sources.NAME.kind", "one of: csv, mssql, mysql, xlsx, xml"},
		{"from", "fields.FIELD.from\n  a column, or a list of columns"},
		{"", "error_budget: how much may be rejected"},
		{"cutoff", "the day the organisation joined the archive"},
	} {
		got, err := Explain(tc.key)
		if err != nil || !strings.Contains(got, tc.want) {
			t.Errorf("explain %q: %v\n%s\nwant %q in it", tc.key, err, got, tc.want)
		}
	}
	if got, _ := Explain("from"); strings.Count(got, ".from\n") != 1 {
		t.Errorf("a field's option is told more than once:\n%s", got)
	}
	if _, err := Explain("famly_name"); err == nil || !strings.Contains(err.Error(), `did you mean "family_name"`) {
		t.Errorf("a misspelt key: %v", err)
	}
}
