package mapping

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
)

// The test fixture's rehearsal: the case-name and case-status sets have no
// known version (DOMAIN: their national exports are needed) and the
// mapping names a placeholder of each; sex, a set confirmed whole, is
// ready. What to fetch is named for each set that is not.
func TestCodeUseSaysWhatToFetch(t *testing.T) {
	m, err := Load(filepath.Join(testenv.MappingFixture(t), "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	uses := map[string]CodeSetUse{}
	for _, u := range m.CodeUse() {
		uses[u.Name] = u
	}
	for _, name := range []string{"case-name", "case-status"} {
		u := uses[name]
		if u.Version != "" || u.Fetch == "" || !slices.Contains(u.Named, map[string]string{"case-name": "91", "case-status": "92"}[name]) {
			t.Errorf("%s: %+v; want its export to fetch and its placeholder named", name, u)
		}
	}
	if u := uses["sex"]; u.Fetch != "" || u.Version == "" || u.Placeholder != 0 {
		t.Errorf("sex: %+v; want it ready", u)
	}
}
