package mapping

import (
	"strings"

	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
)

// Item maps a record of a kind written generically into its carrier's
// structured form (entity.Kind.Item): the carrier it names (a case's key,
// or for a client's the client's key or identity code) and the item, each
// field filling the item's property its descriptor names. The caller
// resolves the carrier.
func (em *EntityMapping) Item(rec extract.Record) (carrier ItemCarrier, item kanta.Item, o *Outcome) {
	m, a := em.m, em.begin(rec)
	kind := entity.Of(em.Entity)
	switch kind.Carrier {
	case kanta.EntityClient:
		carrier.Client.ClientKey, carrier.Client.Identity = a.client()
	case kanta.EntityCase:
		if carrier.Case = a.ref("case"); carrier.Case == "" {
			a.fail(a.missing("case"))
		}
	}
	item = kanta.Item{Entity: em.Entity, Key: a.out.Key, Property: kind.Item, Values: map[string]any{}}
	for _, f := range kind.Fields {
		if f.Item == "" {
			continue
		}
		switch f.Type {
		case entity.IdentityCode:
			if code := a.text(f.Name); code != "" {
				a.identityCode(f.Name, code, "")
				put(item.Values, f.Item, map[string]any{"system": kanta.IdentityCodeSystem, "value": code})
			}
		case entity.Identifier:
			if v := a.text(f.Name); v != "" {
				put(item.Values, f.Item, map[string]any{"system": f.System, "value": v})
			}
		case entity.Bool:
			put(item.Values, f.Item, a.boolean(f.Name))
		case entity.Date:
			if d := a.date(f.Name); !d.IsZero() {
				put(item.Values, f.Item, d.In(m.Location).Format("2006-01-02"))
			}
		default:
			if v := a.text(f.Name); v != "" {
				put(item.Values, f.Item, v)
			}
		}
	}
	return carrier, item, a.finish(m, a.date("created"))
}

// put sets an item's property at its dotted path, making the objects on
// the way.
func put(values map[string]any, path string, v any) {
	name, rest, inside := strings.Cut(path, ".")
	if !inside {
		values[name] = v
		return
	}
	obj, _ := values[name].(map[string]any)
	if obj == nil {
		obj = map[string]any{}
		values[name] = obj
	}
	put(obj, rest, v)
}

// ItemCarrier is the record an item names as its carrier: a case by key,
// or a client by key or identity code.
type ItemCarrier struct {
	Case   string
	Client kanta.CaseClient
}
