// Package entity describes, once, each kind of record a mapping maps: the
// key its blocks stand under in the mapping file, the fields a block can
// fill, how its records name their client, which record's document carries
// it, and its place in the order records are read and reported. Mapping,
// staging, planning and the report take what they need from here, so that
// the list of kinds is written once and a new kind is a file of its own
// plus a line in Kinds.
package entity

import "github.com/kantamig/kantamig/kanta"

// Type is how a field's text is interpreted.
type Type int

// The types of fields.
const (
	Text  Type = iota
	Key        // a reference to another record's source key
	Keys       // several references
	Date       // a calendar date
	Time       // a date with an optional time of day
	Bool       // yes/no
	Int        // a whole number
	Code       // one code from a code set
	Codes      // several codes from a code set
	// IdentityCode is a person's identity code (or a temporary identifier),
	// checked as a client's is and never changed.
	IdentityCode
	// Identifier is an identifier in a register other than the
	// population's (a professional's registration number): written as
	// {system, value} with the field's System, as the source holds it.
	Identifier
)

// Field is a field of the national model that a mapping can fill.
type Field struct {
	Name     string
	Type     Type
	CodeSet  string // for Code and Codes
	Required bool
	Doc      string       // its meaning, for docs/mapping.md, the mapping's JSON Schema and explain
	Refers   kanta.Entity // for Key and Keys: the entity referred to
	// Item is, for a kind written as items of its carrier's structured form
	// (Kind.Item), the property of the item this field's value becomes, a
	// dotted path for one inside an object of the item
	// ("yhteystiedot.puhelinnumero"); "" for a field that is not written
	// there (the carrier's key, created).
	Item string
	// System is an Identifier's register (its OID).
	System string
}

// Kind describes one kind of record.
type Kind struct {
	Entity   kanta.Entity
	Key      string // the mapping file's top-level key
	Label    string // plural, for messages
	Required bool   // every mapping maps it
	// Carrier is the kind whose document carries this kind's records (a
	// client's service tasks, a case's members); "" for a kind that has a
	// document of its own. A carried record has its own row and outcome,
	// and is loaded when its carrier's document is.
	Carrier kanta.Entity
	// ClientRef names the two fields by which a record names its client,
	// by key and by identity code, one of which is required; empty for a
	// kind that names none.
	ClientRef [2]string
	// ClientFromCase lets a record name only its case: it is the client's
	// of a case that has one (a legacy entry table names its case, and the
	// case its client). A shared case's record must still name its client.
	ClientFromCase bool
	Fields         []Field
	// Item is, for a carried kind that needs no code of its own, the
	// repeated property of its carrier's structured form each record
	// becomes one item of, built from the fields' Item properties. A kind
	// without it is staged by code of its own (package pipeline).
	Item string
}

// Kinds are every kind, in the order records are read and reported:
// clients and what their relationship documents carry, cases and what
// theirs carry, documents. Records of a carried kind come after their
// carrier's and before the next kind with a document of its own.
var Kinds = []*Kind{&Client, &ServiceTask, &RelatedPerson, &Address, &ResponsibleWorker, &Case, &CaseMember, &CasePerson, &Document}

// Of finds the kind of an entity; nil for none.
func Of(e kanta.Entity) *Kind {
	for _, k := range Kinds {
		if k.Entity == e {
			return k
		}
	}
	return nil
}

// Field finds one of the kind's fields.
func (k *Kind) Field(name string) (Field, bool) {
	for _, f := range k.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// CarriedBy lists the kinds whose records the carrier's document carries.
func CarriedBy(carrier kanta.Entity) []*Kind {
	var out []*Kind
	for _, k := range Kinds {
		if k.Carrier == carrier {
			out = append(out, k)
		}
	}
	return out
}
