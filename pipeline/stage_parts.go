package pipeline

// Records carried in another record's document: each staged with a row of
// its own, its carrier stored with it.

import (
	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/state"
)

// item stages a record of a kind written generically into its carrier's
// structured form (entity.Kind.Item) and adds it to its carrier: a case,
// or a client's relationship.
func (s *stager) item(em *mapping.EntityMapping, rec extract.Record) error {
	carrier, it, o := em.Item(rec)
	return s.stagePart(em.Entity, rec, o, "", func(key string) (*owner, *kanta.Finding, error) {
		it.Key = key
		if entity.Of(em.Entity).Carrier == kanta.EntityClient {
			return s.intoRelationship(&carrier.Client, func(rel *kanta.Relationship) *kanta.Finding {
				rel.Items = append(rel.Items, it)
				return nil
			})
		}
		c, f, err := s.res.Case(carrier.Case)
		if f != nil || err != nil {
			return nil, f, err
		}
		c.Items = append(c.Items, it)
		clientKey := ""
		if len(c.Clients) > 0 {
			clientKey = c.Clients[0].ClientKey
		}
		return &owner{entity: kanta.EntityCase, key: carrier.Case, clientKey: clientKey, model: *c}, nil, nil
	})
}

// owner is the record a part is carried in, with its model changed to hold
// the part.
type owner struct {
	entity         kanta.Entity
	key, clientKey string
	model          any
}

// stagePart stages a record that is carried in another record's document
// (a client's service-task relationship or related person, a case's
// member). attach, called with the part's key for a record that maps,
// resolves its owner and adds the part to the owner's model, or says why it
// cannot (a reject, or a skip under a rule that skips); the owner is then
// stored with the part, and the part as pending.
func (s *stager) stagePart(e kanta.Entity, rec extract.Record, o *mapping.Outcome, label string,
	attach func(key string) (*owner, *kanta.Finding, error)) error {
	s.note(e, rec, o)
	row, dup, err := s.begin(e, rec, o)
	if err != nil {
		return err
	}
	row.ServiceTask = label
	if dup != nil {
		return s.duplicate(row, o, dup)
	}
	var own *owner
	if o.OK() {
		var f *kanta.Finding
		if own, f, err = attach(row.Key); err != nil {
			return err
		}
		if f != nil && kanta.RuleKind(f.Rule) == kanta.RuleSkips {
			o.Skip = f
		} else {
			o.Reject = f
		}
	}
	if ok, err := s.settle(row, o); !ok || err != nil {
		return err
	}
	if f := s.oversized(own.model, "with it, the document it is carried in"); f != nil {
		return s.refuse(row, state.Rejected, f)
	}
	orow, err := s.st.Get(string(own.entity), own.key)
	if err != nil || orow == nil {
		return err
	}
	if orow.Model, err = state.Encode(own.model); err != nil {
		return err
	}
	if err := s.st.Put(orow); err != nil {
		return err
	}
	if row.Outcome != state.Loaded {
		row.Outcome = state.Pending
	}
	row.ClientKey = own.clientKey
	if own.entity == kanta.EntityCase {
		row.CaseKey = own.key
	}
	return s.st.Put(row)
}
