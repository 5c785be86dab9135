package mapping

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/extract"
)

// ColumnUse is a source field a block reads, and where the mapping names it;
// and, for kantamig profile, the value map its values go through and whether
// it holds personal data.
type ColumnUse struct {
	Column string
	Target string // the target field it fills, "key", or a structured path
	// Required says every record needs it: the key, or a required target.
	Required bool
	Pos      Pos
	Entity   string // the entity block that reads it
	ValueMap string // the value map the column's values go through, if any
	Split    string // the separator of a multi-valued column, if any
	// Personal says what personal data the column holds by what the mapping
	// makes of it: identity-code, temporary-id, name, contact, text, or ""
	// for none.
	Personal string
	vmap     *valueMap
}

// ColumnUses lists every source field the block reads: its key columns,
// and the columns of its fields and structured fields, in file order.
func (em *EntityMapping) ColumnUses() []ColumnUse {
	var out []ColumnUse
	for _, k := range em.Key {
		if k == PositionKey {
			continue
		}
		out = append(out, ColumnUse{Column: k, Target: "key", Required: true, Pos: em.keyPos, Entity: string(em.Entity)})
	}
	for name, f := range em.fields {
		for _, col := range f.from {
			u := ColumnUse{Column: col, Target: name, Required: f.target.Required, Pos: f.pos, Entity: string(em.Entity),
				Split: f.split, Personal: personalFields[name], vmap: f.vmap}
			if f.vmap != nil {
				u.ValueMap = f.vmap.name
			}
			out = append(out, u)
		}
	}
	for _, sf := range em.structured {
		for _, col := range sf.f.from {
			out = append(out, ColumnUse{Column: col, Target: sf.path, Pos: sf.f.pos, Entity: string(em.Entity), Personal: "text"})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Pos, out[j].Pos
		return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
	})
	return out
}

// sampleRecords is how many records CheckSources reads of a source whose
// fields vary from record to record (XML) to learn them.
var sampleRecords = 1000

// CheckSources checks a mapping against its sources without migrating
// anything: each source opens (a database's connection string is set and
// parses, and the server describes the query), and every column the mapping
// names is one the source has, with "did you mean" on a miss. The problems
// come back as Errors, in file order. A column missing from the records
// sampled of a source whose fields vary (XML) is a problem if every record
// needs it (the key, a required target) and a warning otherwise: an
// optional element may stand in later records only.
func CheckSources(ctx context.Context, m *Mapping) (problems, warnings Errors) {
	for _, em := range m.Blocks() {
		if em.cutoffAt != nil {
			warnings = append(warnings, &Error{File: em.file, Pos: *em.cutoffAt,
				Msg:  fmt.Sprintf("source %q filters on :cutoff: rows whose date is NULL vanish without a trace from the reconciliation", em.SourceName),
				Hint: "read every row and let kantamig apply the cut-off: it reports later records as skipped and records without a date as rejected (missing-date)"})
		}
		probed, err := extract.Probe(ctx, em.Source, sampleRecords)
		if err != nil {
			problems = append(problems, &Error{File: em.file, Pos: em.sourcePos,
				Msg:  fmt.Sprintf("source %q (%s of %s) cannot be read: %v", em.SourceName, em.Source.Kind, entityKey(em), err),
				Hint: "fix the source's options, or the file or database it names"})
			continue
		}
		have := probed.Columns
		for _, use := range em.ColumnUses() {
			if slices.Contains(have, use.Column) {
				continue
			}
			e := &Error{File: em.file, Pos: use.Pos, Hint: columnHint(use.Column, have)}
			if probed.Sampled {
				e.Msg = fmt.Sprintf("%s.%s: no field %q in the first %d records of source %q", entityKey(em), use.Target, use.Column, probed.Records, em.SourceName)
				if use.Required {
					problems = append(problems, e)
				} else {
					warnings = append(warnings, e)
				}
				continue
			}
			e.Msg = fmt.Sprintf("%s.%s: source %q has no column %q", entityKey(em), use.Target, em.SourceName, use.Column)
			problems = append(problems, e)
		}
	}
	return problems, warnings
}

// columnHint suggests the nearest of a source's columns.
func columnHint(col string, have []string) string {
	if len(have) == 0 {
		return "the source has no columns at all: check its options (delimiter, sheet, header_row, record)"
	}
	sorted := slices.Clone(have)
	sort.Strings(sorted)
	return suggest(col, sorted, "its columns")
}

func entityKey(em *EntityMapping) string {
	return entity.Of(em.Entity).Key
}
