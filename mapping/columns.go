package mapping

import "github.com/kantamig/kantamig/extract"

// Maps reports whether the use's value map covers a legacy value: true
// without a value map, and for a map whose fallback is "none", which leaves
// the values it does not list empty on purpose.
func (u ColumnUse) Maps(value string) bool {
	if u.vmap == nil || u.vmap.none {
		return true
	}
	_, ok := u.vmap.values[value]
	return ok
}

// Values splits a column's raw value as the mapping does before looking
// values up: by the use's separator, trimmed, empty parts dropped.
func (u ColumnUse) Values(raw string) []string { return splitValues(raw, u.Split, u.Split != "") }

// personalFields names the target fields that carry personal data, by kind.
var personalFields = map[string]string{
	"identity_code": "identity-code", "client_identity_code": "identity-code", "client_identity_codes": "identity-code",
	"temporary_id": "temporary-id",
	"family_name":  "name", "given_names": "name", "calling_name": "name", "author_family_name": "name", "author_given_names": "name",
	"address_street": "contact", "address_postcode": "contact", "address_post_office": "contact", "street": "contact",
	"postcode": "contact", "post_office": "contact", "phone": "contact", "email": "contact", "birth_date": "contact",
	"client": "reference", "clients": "reference", "case": "reference",
	"text": "text", "title": "text", "role_description": "text", "correction_reason": "text", "relationship_end_reason": "text", "name_other": "text",
}

// SourceColumnUses lists every column the mapping's entity blocks read from
// a source, block by block in file order.
func (m *Mapping) SourceColumnUses(source string) []ColumnUse {
	var out []ColumnUse
	for _, em := range m.Blocks() {
		if em.SourceName == source {
			out = append(out, em.ColumnUses()...)
		}
	}
	return out
}

// SourceSpecs lists the sources some entity block reads, in the order of
// the blocks, each once.
func (m *Mapping) SourceSpecs() []extract.Spec {
	var out []extract.Spec
	seen := map[string]bool{}
	for _, em := range m.Blocks() {
		if !seen[em.SourceName] {
			seen[em.SourceName] = true
			spec := em.Source
			spec.Name = em.SourceName
			out = append(out, spec)
		}
	}
	return out
}
