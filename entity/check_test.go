package entity

import (
	"slices"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/kanta"
)

func TestTheKindsAreInOrder(t *testing.T) {
	if problems := check(Kinds); len(problems) > 0 {
		t.Fatal(problems)
	}
	var required []kanta.Entity
	for _, k := range Kinds {
		if k.Required {
			required = append(required, k.Entity)
		}
	}
	if want := []kanta.Entity{kanta.EntityClient, kanta.EntityCase, kanta.EntityDocument}; !slices.Equal(required, want) {
		t.Errorf("required kinds %v, want %v", required, want)
	}
}

// Each way of breaking the list is refused, with the kind named.
func TestABrokenListIsRefused(t *testing.T) {
	item := Kind{Entity: "x", Key: "xs", Carrier: kanta.EntityCase, Item: "things",
		Fields: []Field{{Name: "case", Type: Key}, {Name: "n", Type: Int, Item: "luku"}}}
	orphan := Kind{Entity: "y", Key: "ys", Carrier: kanta.EntityCase}
	noRef := Kind{Entity: "z", Key: "zs", ClientRef: [2]string{"client", "client_identity_code"}}
	stray := Kind{Entity: "w", Key: "ws", Fields: []Field{{Name: "a", Type: Text, Item: "a"}}}
	noSystem := Kind{Entity: "v", Key: "vs", Carrier: kanta.EntityCase, Item: "things", Fields: []Field{{Name: "id", Type: Identifier, Item: "tunnus"}}}
	for name, tc := range map[string]struct {
		kinds []*Kind
		want  string
	}{
		"twice":                     {[]*Kind{&Client, &Client}, "listed twice"},
		"carried out of place":      {[]*Kind{&Client, &Case, &Document, &CaseMember}, "case_member: carried by case"},
		"carried first":             {[]*Kind{&orphan, &Case}, "y: carried by case"},
		"item of a code":            {[]*Kind{&Case, &item}, "x.n: an item holds"},
		"reference missing":         {[]*Kind{&noRef}, `z: names its client by "client"`},
		"item without a kind":       {[]*Kind{&stray}, "w.a: names an item property"},
		"identifier of no register": {[]*Kind{&Case, &noSystem}, "v.id: an identifier, and only an identifier"},
	} {
		problems := strings.Join(check(tc.kinds), "; ")
		if !strings.Contains(problems, tc.want) {
			t.Errorf("%s: problems %q, want one saying %q", name, problems, tc.want)
		}
	}
}
