package mapping

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kantamig/kantamig/body"
	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
)

// Finding is one thing said about a record: why it was rejected or skipped,
// or a warning about a value that was changed or flagged.
type Finding = kanta.Finding

// Unmapped is a legacy code value that a value map did not cover.
type Unmapped struct {
	Field string
	Map   string
	Value string
}

// Outcome is what mapping said of one record. Exactly one of Reject and Skip
// is set, or neither when the record maps.
type Outcome struct {
	// Key is the record's key among all records of its entity: the source's
	// name and the key within it (QualifiedKey). SourceKey is the key the
	// source gave, Source the source's name.
	Key       string
	Source    string
	SourceKey string
	Reject    *Finding
	Skip      *Finding
	Warnings  []Finding
	Unmapped  []Unmapped
	Created   time.Time
}

// OK reports whether the record mapped.
func (o *Outcome) OK() bool { return o.Reject == nil && o.Skip == nil }

// rejectErr carries a reject through the field evaluation helpers.
type rejectErr struct{ f Finding }

func (e *rejectErr) Error() string { return e.f.Reason }

func reject(fieldName, rule, format string, args ...any) error {
	return &rejectErr{Finding{Field: fieldName, Rule: rule, Reason: fmt.Sprintf(format, args...)}}
}

// applier evaluates the fields of one record.
type applier struct {
	em  *EntityMapping
	rec extract.Record
	out *Outcome
	err error // the first reject
}

func (em *EntityMapping) begin(rec extract.Record) *applier {
	a := &applier{em: em, rec: rec, out: &Outcome{Source: em.SourceName}}
	if name, ok := rec.Fields[extract.UnexpectedElement]; ok {
		if strings.HasPrefix(name, "/") {
			a.fail(reject("", kanta.RuleUnexpectedElement, "an element named as the source's records stands at %s, outside the record path: a record under another parent or at another depth; correct the export, or the record path if the records stand there", name))
		} else {
			a.fail(reject("", kanta.RuleUnexpectedElement, "the element <%s> stands where the source's records stand but is not named as they are; correct the export or the record path", name))
		}
	}
	if p, ok := rec.Fields[extract.FieldCountProblem]; ok {
		a.fail(reject("", kanta.RuleFieldCount, "%s; the line is probably broken by an unquoted delimiter or line break", p))
	}
	parts := make([]string, 0, len(em.Key))
	for _, k := range em.Key {
		if k == PositionKey {
			parts = append(parts, strconv.Itoa(rec.Position))
			continue
		}
		v, ok := rec.Fields[k]
		if !ok {
			a.fail(reject(k, kanta.RuleKey, "the record has no key column %q", k))
		}
		parts = append(parts, strings.TrimSpace(v))
	}
	a.out.SourceKey = strings.Join(parts, "|")
	if strings.Trim(a.out.SourceKey, "|") == "" {
		a.out.SourceKey = ""
		if a.err == nil {
			a.fail(reject(strings.Join(em.Key, "+"), kanta.RuleKey, "the record's key is empty"))
		}
	}
	a.out.Key = QualifiedKey(em.SourceName, a.out.SourceKey)
	return a
}

// fail notes a fault of the record: the one reported is the first of the
// highest class of precedence (kanta.RuleClass), whatever the order in
// which the fields are read.
func (a *applier) fail(err error) {
	if err == nil {
		return
	}
	var now, had *rejectErr
	if a.err == nil || errors.As(err, &now) && errors.As(a.err, &had) && kanta.Precedes(now.f.Rule, had.f.Rule) {
		a.err = err
	}
}

// raw gives the cleaned text of a field, "" when unmapped or empty. Invalid
// UTF-8 rejects the record; characters XML 1.0 forbids are removed and noted.
func (a *applier) raw(name string) string {
	f, ok := a.em.fields[name]
	if !ok {
		return ""
	}
	return a.rawField(name, f)
}

func (a *applier) rawField(name string, f *field) string {
	var s string
	switch {
	case f.value != nil:
		s = *f.value
	case f.firstOf:
		for _, col := range f.from {
			if v := strings.TrimSpace(a.rec.Fields[col]); v != "" {
				s = v
				break
			}
		}
	case len(f.from) == 1:
		s = a.rec.Fields[f.from[0]]
	default:
		parts := make([]string, 0, len(f.from))
		for _, col := range f.from {
			v := a.rec.Fields[col]
			if f.trim {
				v = strings.TrimSpace(v)
			}
			if v != "" {
				parts = append(parts, v)
			}
		}
		s = strings.Join(parts, f.join)
	}
	if !utf8.ValidString(s) {
		a.fail(reject(name, kanta.RuleEncoding, "%s is not valid UTF-8 (bytes such as %s); if the export is Windows-1252 or Latin-1, set encoding: on its source", describeField(name, f), firstInvalid(s)))
		return ""
	}
	if cleaned, removed := StripForbiddenXML(s); len(removed) > 0 {
		s = cleaned
		a.out.Warnings = append(a.out.Warnings, Finding{Field: name, Rule: kanta.RuleXMLChar, Count: len(removed),
			Reason: fmt.Sprintf("removed %d character(s) XML 1.0 forbids (%s)", len(removed), describeRunes(removed))})
	}
	if f.trim {
		s = strings.TrimSpace(s)
	}
	if s == "" && f.def != nil {
		s = *f.def
	}
	if f.ifPresent != nil || f.ifEmpty != nil {
		present, absent := f.ifPresent, f.ifEmpty
		if s != "" {
			absent = present
		}
		s = ""
		if absent != nil {
			s = *absent
		}
	}
	if f.namePart != "" {
		s = NamePart(s, f.nameOrder, f.namePart)
	}
	return s
}

// NamePart takes the family name or the given names from a whole name in
// one column: "Virtanen Anna Maria" family-first, "Anna Maria Virtanen"
// given-first. A comma ends the family name in either order ("Virtanen,
// Anna Maria"), so a family name of several words can be written so; a
// hyphenated one is one word. A name of one word is a family name.
func NamePart(whole, order, part string) string {
	var family, given string
	if f, g, ok := strings.Cut(whole, ","); ok {
		family, given = strings.TrimSpace(f), strings.TrimSpace(g)
	} else {
		words := strings.Fields(whole)
		switch {
		case len(words) == 0:
		case order == NameGivenFirst:
			family, given = words[len(words)-1], strings.Join(words[:len(words)-1], " ")
		default:
			family, given = words[0], strings.Join(words[1:], " ")
		}
	}
	if part == "family" {
		return family
	}
	return given
}

func describeField(name string, f *field) string {
	if f.firstOf {
		return fmt.Sprintf("%s (the first non-empty of columns %s)", name, strings.Join(f.from, ", "))
	}
	if len(f.from) > 0 {
		return fmt.Sprintf("%s (column %s)", name, strings.Join(f.from, "+"))
	}
	return name
}

func firstInvalid(s string) string {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Sprintf("0x%02X at byte %d", s[i], i)
		}
		i += size
	}
	return "?"
}

func describeRunes(rs []rune) string {
	seen := map[rune]bool{}
	var parts []string
	for _, r := range rs {
		if !seen[r] && len(parts) < 5 {
			seen[r] = true
			parts = append(parts, fmt.Sprintf("U+%04X", r))
		}
	}
	return strings.Join(parts, ", ")
}

// StripForbiddenXML removes the characters XML 1.0 does not allow in a
// document (C0 controls other than tab, newline and carriage return, lone
// surrogates, U+FFFE and U+FFFF) and returns them.
func StripForbiddenXML(s string) (string, []rune) {
	clean := true
	for _, r := range s {
		if !xmlAllowed(r) {
			clean = false
			break
		}
	}
	if clean {
		return s, nil
	}
	var b strings.Builder
	var removed []rune
	for _, r := range s {
		if xmlAllowed(r) {
			b.WriteRune(r)
		} else {
			removed = append(removed, r)
		}
	}
	return b.String(), removed
}

func xmlAllowed(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// text gives a text field, rejecting the record if it is required and empty.
func (a *applier) text(name string) string {
	s := a.raw(name)
	if s == "" && a.isRequired(name) {
		a.fail(a.missing(name))
	}
	return s
}

func (a *applier) isRequired(name string) bool {
	t, _ := findTarget(a.em.Entity, name)
	return t.Required
}

func (a *applier) missing(name string) error {
	f := a.em.fields[name]
	if f == nil {
		return reject(name, kanta.RuleRequired, "%s is required", name)
	}
	return reject(name, kanta.RuleRequired, "%s is empty", describeField(name, f))
}

func (a *applier) date(name string) time.Time {
	s := a.raw(name)
	if s == "" && a.em.fields[name] != nil && a.em.fields[name].derive != "" {
		return time.Time{} // taken from elsewhere once that is read (DeriveEarliestPeriod)
	}
	if s == "" {
		if a.isRequired(name) {
			reason := "is not mapped"
			if f := a.em.fields[name]; f != nil {
				reason = describeField(name, f) + " is empty"
			}
			a.fail(reject(name, kanta.RuleMissingDate, "%s: without its date the record can be placed neither before or after the cut-off nor in its client's order; give the date in the source", reason))
		}
		return time.Time{}
	}
	t, note, err := parseTime(s, a.em.fields[name].layouts, a.em.loc)
	if err != nil {
		a.fail(reject(name, kanta.RuleDate, "%s: %v", describeField(name, a.em.fields[name]), err))
	}
	if note != "" {
		a.out.Warnings = append(a.out.Warnings, Finding{Field: name, Rule: kanta.RuleLocalTime,
			Reason: fmt.Sprintf("%s: %s; if the legacy system meant another instant, correct the time in the source", describeField(name, a.em.fields[name]), note)})
	}
	return t
}

func (a *applier) boolean(name string) bool {
	s := strings.ToLower(a.raw(name))
	f := a.em.fields[name]
	if f == nil {
		return false
	}
	if len(f.trueSet) > 0 {
		for _, t := range f.trueSet {
			if strings.EqualFold(t, s) {
				return true
			}
		}
		return false
	}
	switch s {
	case "1", "true", "k", "kyllä", "y", "yes", "x", "t", "on":
		return true
	case "", "0", "false", "e", "ei", "n", "no", "f", "off":
		return false
	}
	a.fail(reject(name, kanta.RuleBool, "%s: %q is neither yes nor no; list the values meaning yes under true_values:", describeField(name, f), s))
	return false
}

func (a *applier) integer(name string) int {
	s := a.raw(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		a.fail(reject(name, kanta.RuleInteger, "%s: %q is not a whole number", describeField(name, a.em.fields[name]), s))
	}
	return n
}

func (a *applier) code(name string) string {
	codes := a.codesOf(name, false)
	if len(codes) == 0 {
		return ""
	}
	return codes[0]
}

func (a *applier) codes(name string) []string { return a.codesOf(name, true) }

// present gives a field's text, rejecting the record when a required field is empty.
func (a *applier) present(name string) (string, bool) {
	s := a.raw(name)
	if s == "" {
		if a.isRequired(name) {
			a.fail(a.missing(name))
		}
		return "", false
	}
	return s, true
}

func (a *applier) codesOf(name string, multi bool) []string {
	f := a.em.fields[name]
	s, ok := a.present(name)
	if !ok {
		return nil
	}
	var out []string
	for _, v := range splitValues(s, f.split, multi) {
		if f.vmap != nil {
			national, ok := f.vmap.values[v]
			if !ok && f.vmap.none {
				// Left empty on purpose, but listed: nothing is dropped
				// without a trace.
				a.out.Unmapped = append(a.out.Unmapped, Unmapped{Field: name, Map: f.vmap.name, Value: v})
				continue
			}
			if !ok {
				a.out.Unmapped = append(a.out.Unmapped, Unmapped{Field: name, Map: f.vmap.name, Value: v})
				if f.vmap.fallback == "" {
					a.fail(reject(name, kanta.RuleUnmappedCode, "legacy value %q is not in value map %q", v, f.vmap.name))
					continue
				}
				national = f.vmap.fallback
				a.out.Warnings = append(a.out.Warnings, Finding{Field: name, Rule: kanta.RuleFallbackCode,
					Reason: fmt.Sprintf("legacy value %q is not in value map %q; used the fallback %q", v, f.vmap.name, national)})
			}
			v = national
		}
		if f.set != nil {
			if err := f.set.Check(v); err != nil {
				a.fail(reject(name, kanta.RuleCodeSet, "%v", err))
				continue
			}
		}
		out = append(out, v)
	}
	return out
}

func (a *applier) keys(name string) []string {
	s, ok := a.present(name)
	if !ok {
		return nil
	}
	f := a.em.fields[name]
	keys := splitValues(s, f.split, true)
	if f.refSource == "" { // identity codes, not keys
		return keys
	}
	for i, k := range keys {
		keys[i] = QualifiedKey(f.refSource, k)
	}
	return keys
}

// client gives the record's client: its key (qualified), or, when the
// source names the client by identity code, that code. Neither rejects the
// record.
func (a *applier) client() (key, identity string) {
	if key = a.ref("client"); key == "" {
		identity = a.raw("client_identity_code")
		a.identityRef("client_identity_code", identity)
	}
	if key == "" && identity == "" && !a.em.clientByCase() {
		name := "client"
		if _, ok := a.em.fields[name]; !ok {
			name = "client_identity_code"
		}
		a.fail(a.missing(name))
	}
	return key, identity
}

// ServiceTaskFromClient says whether a document without a case and without
// a service task takes its client's only one (DeriveClientServiceTask).
func (em *EntityMapping) ServiceTaskFromClient() bool {
	f := em.fields["service_task"]
	return f != nil && f.derive == DeriveClientServiceTask
}

// clientByCase says whether the block's records name their client only
// through their case: it maps no client field, and its kind lets the case
// give the client (entity.Kind.ClientFromCase); staging fills it in.
func (em *EntityMapping) clientByCase() bool {
	kind := entity.Of(em.Entity)
	if kind == nil || !kind.ClientFromCase {
		return false
	}
	_, key := em.fields[kind.ClientRef[0]]
	_, code := em.fields[kind.ClientRef[1]]
	_, kase := em.fields["case"]
	return !key && !code && kase
}

// identityRef checks an identity code (or temporary identifier) a record
// names its client by as an identity code, before it is looked up: a
// malformed one is the record's own fault (hetu-format, hetu-check, ...),
// not an unknown client.
func (a *applier) identityRef(name, code string) {
	if code != "" {
		a.identityCode(name, code, "the identity code the record names its client by: ")
	}
}

// identityCode parses an identity code of the record, rejecting it under the
// check it fails (its reason after prefix).
func (a *applier) identityCode(name, code, prefix string) kanta.IdentityCode {
	p, err := kanta.ParseIdentityCode(code)
	var ie *kanta.IdentityCodeError
	if errors.As(err, &ie) {
		a.fail(reject(name, ie.Rule, "%s%s", prefix, ie.Reason))
	}
	return p
}

// ref gives a reference field's key, qualified with the source of the
// records it refers to; "" when unmapped or empty.
func (a *applier) ref(name string) string {
	f, ok := a.em.fields[name]
	if !ok {
		return ""
	}
	return QualifiedKey(f.refSource, a.raw(name))
}

// finish applies the cut-off and returns the outcome.
func (a *applier) finish(m *Mapping, created time.Time) *Outcome {
	if c := a.date("created"); !c.IsZero() {
		created = c
	}
	a.out.Created = created
	var re *rejectErr
	if errors.As(a.err, &re) {
		a.out.Reject = &re.f
		return a.out
	}
	if !created.IsZero() && !created.Before(m.Cutoff) {
		a.out.Skip = &Finding{Field: "created", Rule: kanta.RuleCutoff,
			Reason: fmt.Sprintf("created %s, on or after the cut-off %s; documents made after joining are archived by the client system itself", created.In(m.Location).Format("2006-01-02"), m.Cutoff.In(m.Location).Format("2006-01-02"))}
	}
	return a.out
}

func (a *applier) unit(m *Mapping) kanta.Organisation {
	u := m.ServiceUnit
	if oid := a.raw("service_unit_oid"); oid != "" {
		if !oidPattern.MatchString(oid) {
			a.fail(reject("service_unit_oid", kanta.RuleOID, "service unit %q is not an OID", oid))
		}
		u = kanta.Organisation{OID: oid, Name: a.raw("service_unit_name")}
	}
	return u
}

// Client maps a client record to a client relationship.
func (em *EntityMapping) Client(rec extract.Record) (kanta.Relationship, *Outcome) {
	m, a := em.m, em.begin(rec)
	var r kanta.Relationship
	r.SourceKey = a.out.Key
	c := &r.Client
	c.FamilyName = a.text("family_name")
	c.GivenNames = a.text("given_names")
	c.CallingName = a.raw("calling_name")
	if c.CallingName == "" {
		c.CallingName, _, _ = strings.Cut(c.GivenNames, " ")
	}
	hetu := a.raw("identity_code") // as the source has it: a lower-case one is rejected, not changed
	c.TemporaryID = a.raw("temporary_id")
	var parsed kanta.IdentityCode
	switch {
	case hetu != "":
		parsed = a.identityCode("identity_code", hetu, "")
		c.IdentityCode = hetu
	case c.TemporaryID != "":
		// Every relationship kantamig carries is old (begun before joining),
		// and an old one needs the identity code (kanta.NationalRules).
		c.TemporaryOnly = true
		a.fail(reject("identity_code", kanta.RuleOldIdentityCode, "the client is known only by a temporary identifier, and an old (pre-joining) client relationship must carry the identity code (national rule, Sosmeta note on henkilotunnus): add the identity code in the source, if the population register gives one"))
	default:
		a.fail(reject("identity_code", kanta.RuleRequired, "the client has neither an identity code nor a temporary identifier"))
	}
	c.BirthDate = a.date("birth_date")
	if c.BirthDate.After(time.Now()) {
		a.fail(reject("birth_date", kanta.RuleDate, "the birth date %s is in the future: correct it in the source", c.BirthDate.Format("2006-01-02")))
	}
	if c.BirthDate.IsZero() && !parsed.BirthDate.IsZero() {
		c.BirthDate = parsed.BirthDate
	}
	if c.BirthDate.IsZero() && c.IdentityCode != "" && a.out.Reject == nil {
		a.fail(reject("birth_date", kanta.RuleOldBirthDate, "an old (pre-joining) client relationship must carry the birth date (national rule, Sosmeta note on syntymaaika)"))
	}
	c.Sex = a.code("sex")
	if c.Sex == "" && parsed.Code != "" {
		c.Sex = parsed.Sex()
	} else if parsed.Code != "" && (c.Sex == "1" || c.Sex == "2") && c.Sex != parsed.Sex() {
		// A warning, not a reject: the source's value is kept, as the
		// register may have recorded a change of legal sex without a new
		// code, and codes given from 2027 no longer tell the sex.
		a.out.Warnings = append(a.out.Warnings, Finding{Field: "sex", Rule: kanta.RuleSexCode,
			Reason: fmt.Sprintf("sex %s contradicts the identity code's (%s); archived as the source gives it: check it against the population register", c.Sex, parsed.Sex())})
	}
	c.Municipality = a.code("home_municipality")
	c.NonDisclosure = a.boolean("non_disclosure")
	c.Street, c.Postcode, c.PostOffice = a.raw("address_street"), a.raw("address_postcode"), a.raw("address_post_office")
	c.Phone, c.Email = a.raw("phone"), a.raw("email")
	if c.NonDisclosure && (c.Municipality != "" || c.Street != "" || c.Postcode != "" || c.PostOffice != "" || c.Email != "") {
		a.out.Warnings = append(a.out.Warnings, Finding{Field: "non_disclosure", Rule: kanta.RuleNonDisclosure,
			Reason: "under non-disclosure the home municipality, the address and the e-mail address are left out of the client-relationship document, as the national rule says; the phone number stays"})
	}
	r.Start = a.date("relationship_start")
	r.End = a.date("relationship_end")
	r.EndReason = a.raw("relationship_end_reason")
	r.Old = true
	r.Unit = a.unit(m)
	for _, st := range a.codes("service_tasks") {
		r.ServiceTasks = append(r.ServiceTasks, kanta.ServiceTaskRelationship{ServiceTask: st, Unit: r.Unit, Start: r.Start, End: r.End})
	}
	if w := BeforeBirth("relationship_start", "the client relationship starts", r.Start, c.BirthDate); w != nil {
		a.out.Warnings = append(a.out.Warnings, *w)
	}
	if !r.End.IsZero() && r.End.Before(r.Start) {
		a.fail(reject("relationship_end", kanta.RuleDateOrder, "the relationship ends (%s) before it starts (%s)", r.End.Format("2006-01-02"), r.Start.Format("2006-01-02")))
	}
	return r, a.finish(m, r.Start)
}

// Case maps a case record. Its clients are keys; the caller resolves them.
func (em *EntityMapping) Case(rec extract.Record) (kanta.Case, *Outcome) {
	m, a := em.m, em.begin(rec)
	var k kanta.Case
	k.SourceKey = a.out.Key
	for _, key := range a.keys("clients") {
		k.Clients = append(k.Clients, kanta.CaseClient{ClientKey: key})
	}
	for _, code := range a.keys("client_identity_codes") {
		a.identityRef("client_identity_codes", code)
		k.Clients = append(k.Clients, kanta.CaseClient{Identity: code})
	}
	if len(k.Clients) == 0 && len(m.Of(kanta.EntityMember)) == 0 {
		name := "clients"
		if _, ok := a.em.fields[name]; !ok {
			name = "client_identity_codes"
		}
		a.fail(a.missing(name))
	}
	k.Name = a.code("name")
	k.NameOther = a.raw("name_other")
	if k.Name == "99" && k.NameOther == "" {
		a.fail(reject("name_other", kanta.RuleRequired, "case name 99 (Muu) needs name_other"))
	}
	k.Status = a.code("status")
	k.Opened = a.date("opened")
	k.Closed = a.date("closed")
	k.ServiceTask = a.code("service_task")
	k.RelatedCases = a.keys("related_cases")
	k.Unit = a.unit(m)
	if !k.Closed.IsZero() && k.Closed.Before(k.Opened) {
		a.fail(reject("closed", kanta.RuleDateOrder, "the case closes (%s) before it opens (%s)", k.Closed.Format("2006-01-02"), k.Opened.Format("2006-01-02")))
	}
	for i := range k.Clients {
		k.Clients[i].Joined, k.Clients[i].Left = k.Opened, k.Closed
	}
	return k, a.finish(m, k.Opened)
}

// Document maps a document record. Client and case are keys; the caller
// resolves them and the version chain.
func (em *EntityMapping) Document(rec extract.Record) (kanta.Document, *Outcome) {
	m, a := em.m, em.begin(rec)
	var d kanta.Document
	d.SourceKey = a.out.Key
	d.ClientKey, d.ClientIdentity = a.client()
	d.CaseKey = a.ref("case")
	// An attachment without a case of its own is in its document's.
	d.AttachedToKey = a.ref("attached_to")
	if d.ClientKey == "" && d.ClientIdentity == "" && d.CaseKey == "" && em.clientByCase() && (em.WithoutCase != nil || d.AttachedToKey != "") {
		a.fail(reject("case", kanta.RuleRequired, "the document names neither its client nor its case, and the mapping takes its client from its case"))
	}
	if d.CaseKey == "" && em.WithoutCase == nil && d.AttachedToKey == "" {
		a.fail(reject("case", kanta.RuleNoCase, "the document belongs to no case, and every archived client document refers to its case: map its case, "+
			"or collect the documents without one into cases made for them (without_case: {action: collect, ...} in the documents block; docs/mapping.md, Documents without a case)"))
	}
	d.Type = a.code("type")
	d.SpecificType = a.code("specific_type")
	if d.SpecificType != "" && d.Type != "" && !strings.HasPrefix(d.SpecificType, d.Type) {
		a.out.Warnings = append(a.out.Warnings, Finding{Field: "specific_type", Rule: kanta.RuleTypePrefix,
			Reason: fmt.Sprintf("specific type %s does not start with its general type %s", d.SpecificType, d.Type)})
	}
	// A document without a service task or unit of its own takes its
	// case's when it is resolved (resolve.Document): a rule of the tool,
	// not a JOIN in the export. A document without a case has only its own.
	d.ServiceTask = a.code("service_task")
	if d.ServiceTask == "" && d.CaseKey == "" && em.WithoutCase != nil && d.AttachedToKey == "" && !em.ServiceTaskFromClient() {
		a.fail(reject("service_task", kanta.RuleRequired, "%v: a document without a case is collected into a case made for its client's service task, "+
			"so it needs one of its own: map service_task for the documents block (a document with a case takes its case's)", a.missing("service_task")))
	}
	d.SocialServices = a.codes("social_services")
	d.Author = kanta.Author{
		RegistrationNumber: a.raw("author_id"),
		FamilyName:         a.raw("author_family_name"),
		GivenNames:         a.raw("author_given_names"),
		Title:              a.raw("author_title"),
	}
	d.DrawnUp = a.date("drawn_up")
	d.Confidentiality = a.code("confidentiality")
	if d.Confidentiality == "" {
		d.Confidentiality = "6"
	}
	d.Version = a.integer("version")
	d.ReplacesKey = a.ref("replaces")
	if d.ReplacesKey != "" {
		d.CorrectionReason = a.text("correction_reason")
	}
	d.MinorDisclosure = a.code("minor_disclosure")
	d.Title = a.raw("title")
	d.Text, d.Body, d.BodyFile = a.documentText()
	d.TextFormat = a.raw("text_format")
	if a.raw("service_unit_oid") != "" || d.CaseKey == "" {
		d.Unit = a.unit(m)
	}
	if len(a.em.structured) > 0 {
		d.Structured = make(map[string]string, len(a.em.structured))
		for _, sf := range a.em.structured {
			if v := a.structuredValue(sf); v != "" {
				d.Structured[sf.path] = v
			}
		}
	}
	return d, a.finish(m, d.DrawnUp)
}

// structuredValue is a structured: value; one held as rich text is read
// as its plain text, so no markup reaches the structured form.
func (a *applier) structuredValue(sf structuredField) string {
	v := a.rawField(sf.path, sf.f)
	if sf.f.format == "" || v == "" {
		return v
	}
	b, err := body.Read(sf.f.format, []byte(v))
	if err != nil {
		a.fail(reject(sf.path, kanta.RuleBodyUnreadable, "the structured value %s could not be read as %s: %v", sf.path, sf.f.format, err))
		return ""
	}
	return b.PlainText()
}

// documentText reads a document's text: as text, or as bytes (Body) when
// the mapping reads it from a file, from Base64 or as a BLOB's bytes; a
// length the source gives for it (length_from) must be the length read.
func (a *applier) documentText() (text string, data []byte, file string) {
	f, ok := a.em.fields["text"]
	if !ok {
		return "", nil, ""
	}
	if !f.bytes() {
		text := a.rawField("text", f)
		a.checkLength(f, len(text), "")
		return text, nil, ""
	}
	v := ""
	if f.value != nil {
		v = *f.value
	} else if len(f.from) > 0 {
		v = a.rec.Fields[f.from[0]]
	}
	where := ""
	switch {
	case f.base64:
		d, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v), ""))
		if err != nil {
			a.fail(reject("text", kanta.RuleEncoding, "the text's column holds no valid Base64 (%v): the export cut or altered it", err))
			return "", nil, ""
		}
		data = d
	case f.fileRoot != "":
		path := strings.TrimSpace(v)
		if path == "" {
			return "", nil, ""
		}
		d, err := readUnderRoot(f.fileRoot, path)
		var outside *outsideRoot
		if errors.As(err, &outside) {
			a.fail(reject("text", kanta.RuleFileOutsideRoot, "the file %q %s, outside file_root %s: correct the path in the source", path, outside.how, f.fileRoot))
			return "", nil, ""
		}
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				a.fail(reject("text", kanta.RuleFileMissing, "the file %q is not under file_root %s: it was not copied with the export, or the path is wrong", path, f.fileRoot))
			} else {
				a.fail(reject("text", kanta.RuleFileMissing, "the file %q cannot be read: %v", path, err))
			}
			return "", nil, ""
		}
		data, where, file = d, fmt.Sprintf(" (file %s)", path), path
	default:
		data = []byte(v)
	}
	a.checkLength(f, len(data), where)
	if f.encoding != nil && !utf8.Valid(data) && body.PlainBytes(data) {
		// Plain text in the character set the mapping names; rich text
		// and files say their own, and are left as they are.
		decoded, err := f.encoding.NewDecoder().Bytes(data)
		if err != nil {
			a.fail(reject("text", kanta.RuleEncoding, "the text%s cannot be read in its encoding: %v", where, err))
			return "", nil, ""
		}
		data = decoded
	}
	return "", data, file
}

// checkLength compares the bytes read with the length the source gives
// for them (length_from), which a driver's limit on large values would
// make differ.
func (a *applier) checkLength(f *field, n int, where string) {
	if f.lengthFrom == "" || a.out.Reject != nil {
		return
	}
	raw := strings.TrimSpace(a.rec.Fields[f.lengthFrom])
	if raw == "" {
		return
	}
	want, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		a.fail(reject("text", kanta.RuleInteger, "length_from %s is %q, not a number of bytes", f.lengthFrom, raw))
		return
	}
	if int64(n) != want {
		a.fail(reject("text", kanta.RuleTruncated, "the text%s holds %d bytes, the source says %d (%s): it was cut short on its way out, as drivers do at 4,096, 8,000 or 65,535 bytes; export it whole (a file, or a type without the limit)", where, n, want, f.lengthFrom))
	}
}

// outsideRoot is a path that leads out of file_root, and how.
type outsideRoot struct{ how string }

func (e *outsideRoot) Error() string { return e.how }

// readUnderRoot reads the file a source names (with / or \ as separators)
// under root. The read goes through os.Root, which refuses, at the moment
// of reading, a path that leads out of the folder by .., as an absolute
// path or through a link; which of them is named only when a read fails.
func readUnderRoot(root, path string) ([]byte, error) {
	rel := filepath.FromSlash(strings.ReplaceAll(path, "\\", "/"))
	switch {
	case filepath.IsAbs(rel) || filepath.VolumeName(rel) != "":
		return nil, &outsideRoot{"is an absolute path"}
	case !filepath.IsLocal(rel):
		return nil, &outsideRoot{"leads outside the folder"}
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := r.ReadFile(rel)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		if real, e := filepath.EvalSymlinks(filepath.Join(root, rel)); e == nil {
			realRoot, _ := filepath.EvalSymlinks(root)
			if in, e := filepath.Rel(realRoot, real); e != nil || !filepath.IsLocal(in) {
				return nil, &outsideRoot{"is a link that leads outside the folder"}
			}
		}
	}
	return data, err
}

// BeforeBirth warns of a record dated before its client's birth. A warning,
// not a reject: child welfare notifies of a child before birth (an
// anticipatory notification, Lastensuojelulaki 25 c §), and its records
// are rightly dated so; anything else is a wrong date to correct at source.
func BeforeBirth(field, what string, when, birth time.Time) *Finding {
	if when.IsZero() || birth.IsZero() || !when.Before(birth) {
		return nil
	}
	return &Finding{Field: field, Rule: kanta.RuleBeforeBirth,
		Reason: fmt.Sprintf("%s on %s, before the client's birth: right only for an anticipatory child-welfare notification and what follows it; otherwise correct the date in the source", what, when.Format("2006-01-02"))}
}

// Member maps a case-member record: the case's key, and the membership with
// the client's key (or identity code) and its dates; the caller resolves
// both and defaults the dates to the case's.
func (em *EntityMapping) Member(rec extract.Record) (string, kanta.CaseClient, *Outcome) {
	m, a := em.m, em.begin(rec)
	caseKey := a.ref("case")
	if caseKey == "" {
		a.fail(a.missing("case"))
	}
	cc := kanta.CaseClient{MemberKey: a.out.Key}
	cc.ClientKey, cc.Identity = a.client()
	cc.Joined, cc.Left = a.date("joined"), a.date("left")
	if !cc.Left.IsZero() && cc.Left.Before(cc.Joined) {
		a.fail(reject("left", kanta.RuleDateOrder, "the client leaves the case (%s) before joining it (%s)", cc.Left.Format("2006-01-02"), cc.Joined.Format("2006-01-02")))
	}
	return caseKey, cc, a.finish(m, cc.Joined)
}

// ServiceTask maps a service-task relationship record: the client's key (or
// identity code) and the relationship in the task; the caller resolves the
// client and defaults the dates and the unit to the client relationship's.
func (em *EntityMapping) ServiceTask(rec extract.Record) (kanta.CaseClient, kanta.ServiceTaskRelationship, *Outcome) {
	m, a := em.m, em.begin(rec)
	var who kanta.CaseClient
	who.ClientKey, who.Identity = a.client()
	st := kanta.ServiceTaskRelationship{PartKey: a.out.Key, ServiceTask: a.code("service_task"), Start: a.date("start"), End: a.date("end")}
	if _, ok := a.em.fields["service_unit_oid"]; ok {
		st.Unit = a.unit(m)
	}
	if !st.End.IsZero() && st.End.Before(st.Start) {
		a.fail(reject("end", kanta.RuleDateOrder, "the service-task relationship ends (%s) before it starts (%s)", st.End.Format("2006-01-02"), st.Start.Format("2006-01-02")))
	}
	return who, st, a.finish(m, st.Start)
}

// RelatedPerson maps a related-person record: the client's key (or identity
// code) and the person; the caller resolves the client. An identity code is
// checked as a client's is, and never changed.
func (em *EntityMapping) RelatedPerson(rec extract.Record) (kanta.CaseClient, kanta.RelatedPerson, *Outcome) {
	m, a := em.m, em.begin(rec)
	var who kanta.CaseClient
	who.ClientKey, who.Identity = a.client()
	p := kanta.RelatedPerson{PartKey: a.out.Key, FamilyName: a.text("family_name"), GivenNames: a.text("given_names"),
		IdentityCode: a.raw("identity_code"), Role: a.raw("role_description"), Phone: a.raw("phone"), NonDisclosure: a.boolean("non_disclosure")}
	if p.IdentityCode != "" {
		a.identityCode("identity_code", p.IdentityCode, "")
	}
	return who, p, a.finish(m, time.Time{})
}

// Address maps a client-address record: the client's key (or identity code)
// and the address; the caller resolves the client. An address with an end
// date is a former one, which the client-relationship document does not
// keep (Sosmeta 1505.1, the note on osoite): it is skipped, with its end.
func (em *EntityMapping) Address(rec extract.Record) (kanta.CaseClient, kanta.Address, *Outcome) {
	m, a := em.m, em.begin(rec)
	var who kanta.CaseClient
	who.ClientKey, who.Identity = a.client()
	addr := kanta.Address{PartKey: a.out.Key, Street: a.text("street"), Postcode: a.text("postcode"), PostOffice: a.text("post_office")}
	from, to := a.date("valid_from"), a.date("valid_to")
	if !to.IsZero() && !from.IsZero() && to.Before(from) {
		a.fail(reject("valid_to", kanta.RuleDateOrder, "the address ends (%s) before it begins (%s)", to.Format("2006-01-02"), from.Format("2006-01-02")))
	}
	o := a.finish(m, from)
	if o.OK() && !to.IsZero() {
		o.Skip = &Finding{Field: "valid_to", Rule: kanta.RuleAddressEnded,
			Reason: fmt.Sprintf("a former address (ended %s): the client-relationship document keeps the client's current addresses only, as the national note on osoite says", to.Format("2006-01-02"))}
	}
	return who, addr, o
}

// DocumentRefs is what a document record names of other records, read
// without building the document: its own key, its client (by key or
// identity code), its case, and the document it is attached to or
// replaces. A sharded run's census (pipeline) reads every document this
// way to place it with its client before any worker stages it.
type DocumentRefs struct {
	Key                 string // qualified; "" when the record has none
	ClientKey, Identity string
	CaseKey             string
	DocumentKey         string // the document it is attached to, or else replaces
}

// Refs reads a document record's references (see DocumentRefs); faults
// are left to Document.
func (em *EntityMapping) Refs(rec extract.Record) DocumentRefs {
	a := em.begin(rec)
	r := DocumentRefs{ClientKey: a.ref("client"), CaseKey: a.ref("case"), DocumentKey: a.ref("attached_to")}
	if a.out.SourceKey != "" {
		r.Key = a.out.Key
	}
	if r.ClientKey == "" {
		r.Identity = a.raw("client_identity_code")
	}
	if r.DocumentKey == "" {
		r.DocumentKey = a.ref("replaces")
	}
	return r
}
