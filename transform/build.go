package transform

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kantamig/kantamig/body"
	"github.com/kantamig/kantamig/kanta"
)

func (t *Transformer) clientFact(c kanta.Client, tempSystem string) map[string]any {
	f := map[string]any{
		"sukunimi":    c.FamilyName,
		"etunimet":    c.GivenNames,
		"syntymaaika": t.isoDay(c.BirthDate),
		"turvakielto": c.NonDisclosure,
	}
	if c.IdentityCode != "" {
		f["henkilotunnus"] = map[string]any{"system": idRootHetu, "value": c.IdentityCode}
	}
	if c.TemporaryID != "" {
		f["tilapainen_yksilointitunnus"] = map[string]any{"system": tempSystem, "value": c.TemporaryID}
	}
	return f
}

// assemble builds and validates the structured form of a structure, and
// renders the display form from it. sch may be nil (display only).
func (t *Transformer) assemble(h *header, sch *Schema, facts map[string]any, fields map[string]string, d *display) (*Output, error) {
	var js []byte
	if sch != nil {
		root := sch.build(facts, fields)
		var err error
		if js, err = marshalCompact(root); err != nil {
			return nil, fmt.Errorf("encoding structured form: %w", err)
		}
		if !t.unchecked { // a rebuild's bytes are proven equal to validated ones
			if err := sch.Validate(js); err != nil {
				return nil, err
			}
		}
		props, _ := sch.raw["properties"].(map[string]any)
		d.schemaNode, _ = props[sch.Root].(map[string]any)
		d.structured, _ = root[sch.Root].(map[string]any)
		if h.kind == KindDocument {
			h.minimal = onlyFacts(d.structured, facts)
		}
		h.contentSpec = sch.OID
		h.hasStructured = true
	}
	d.id = h.ids.Document
	d.org = t.s.Custodian.Name
	if d.unit == "" {
		d.unit = h.unit.Name
	}
	if !h.effective.IsZero() {
		d.date = h.effective.In(t.s.Location).Format("2.1.2006")
	}
	xhtml := d.render()
	if !t.unchecked {
		if err := checkWellFormed(xhtml); err != nil {
			return nil, fmt.Errorf("display form: %w", err)
		}
	}
	w, err := t.checkedHeader(h, base64Lines(len(xhtml))+base64Lines(len(js))+6144)
	if err != nil {
		return nil, err
	}
	bodyDigest := writeBody(w, h.ids.Document, "application/xhtml+xml", xhtml, js)
	doc := w.b.Bytes()
	return &Output{Kind: h.kind, OID: h.ids.Document, SetID: h.ids.Set, Version: h.version,
		ContentSpec: h.contentSpec, DisplayForm: xhtml, StructuredJS: js, XML: doc, BodyDigest: bodyDigest[:], header: h, requests: t.s.ServiceRequests}, nil
}

// checkedHeader writes a document's header and checks it: well-formed,
// and without a placeholder code outside a test rehearsal. The body that
// follows is only Base64 inside fixed elements, so parsing it again would
// prove nothing new.
func (t *Transformer) checkedHeader(h *header, grow int) (*xw, error) {
	w := &xw{}
	w.b.Grow(grow)
	t.writeHeader(w, h)
	headerEnd := w.b.Len()
	w.raw("</ClinicalDocument>")
	if !t.unchecked {
		if err := checkWellFormed(w.b.Bytes()); err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
	}
	w.b.Truncate(headerEnd)
	if len(h.placeholders) > 0 && !t.s.TestRehearsal {
		return nil, &PlaceholderError{Reasons: h.placeholders}
	}
	return w, nil
}

// pdfaDocument builds a client document that carries a PDF/A-1b body (made
// and validated at staging, package pdfa) as it is: the nonXMLBody's text
// is the PDF, in Base64, with no display form or structured form beside
// it, and the header's fileFormat names PDF/A (an inference, counted).
func (t *Transformer) pdfaDocument(h *header, doc kanta.Document) (*Output, error) {
	if !bytes.HasPrefix(doc.Body, []byte("%PDF-")) {
		return nil, &NationalRuleError{Rule: kanta.RulePDFAInvalid, Reason: "the body staged as PDF/A is not a PDF"}
	}
	h.pdfa = true
	w, err := t.checkedHeader(h, base64Lines(len(doc.Body))+6144)
	if err != nil {
		return nil, err
	}
	bodyDigest := writeBody(w, h.ids.Document, "application/pdf", doc.Body, nil)
	out := &Output{Kind: h.kind, OID: h.ids.Document, SetID: h.ids.Set, Version: h.version,
		XML: w.b.Bytes(), BodyDigest: bodyDigest[:], header: h, requests: t.s.ServiceRequests}
	if t.unchecked { // notes are staging's; a rebuild for delivery does not read them
		return out, nil
	}
	note := "carried as PDF/A-1b (pdfa_documents): " + doc.BodyNote
	if n := len(doc.Structured); n > 0 {
		paths := make([]string, 0, n)
		for p := range doc.Structured {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		note += fmt.Sprintf("; its %d structured value(s) (%s) are not carried: a PDF/A document holds the PDF only", n, strings.Join(paths, ", "))
	}
	out.Notes = append(t.typeServiceTask(doc), kanta.Finding{Field: "text", Rule: kanta.RulePDFACarried, Reason: note})
	return out, nil
}

// Relationship builds the client-relationship document (Asiakkuusasiakirja,
// document group 1) of a client.
func (t *Transformer) Relationship(r kanta.Relationship, ids IDs) (*Output, error) {
	if err := oldRelationshipRules(r); err != nil {
		return nil, err
	}
	if ids.Set == "" {
		ids.Set = ids.Document
	}
	h := &header{kind: KindRelationship, ids: ids, version: 1, effective: r.Start, confidential: "6",
		clients: []kanta.Client{r.Client}, unit: r.Unit, group: "1"}
	h.consent, h.consentDflt = minorConsent("", kanta.MinorAt(r.Client.BirthDate.In(t.s.Location), r.Start.In(t.s.Location)))
	sch, err := t.s.Schemas.For(RelationshipStructure)
	if err != nil {
		return nil, err
	}
	tasks := t.serviceTaskFacts(h, r.ServiceTasks)
	client := t.clientFact(r.Client, t.temporaryIDSystem())
	client["sukupuoli"] = t.codeObj(h, kanta.SetSex, r.Client.Sex)
	if c := contactFacts(r.Client); c != nil {
		client["yhteystiedot"] = c
	}
	if r.Client.Municipality != "" && !r.Client.NonDisclosure { // not shown under non-disclosure (Sosmeta's note on turvakielto)
		client["kotikunta"] = map[string]any{"kunta": t.codeObj(h, kanta.SetMunicipality, r.Client.Municipality)}
	}
	facts := map[string]any{
		"asiakkuuden_yksilointitunnus": map[string]any{"system": "urn:oid:" + t.s.Custodian.OID, "value": ids.Relationship},
		"asiakas":                      client,
		"sosiaalihuollon_asiakkuus": map[string]any{
			"vanha_asiakkuus":                   r.Old,
			"asiakkuuden_alkamispvm":            t.isoDay(r.Start),
			"asiakkuuden_paattymispvm":          t.isoDay(r.End),
			"asiakkuuden_paattymisen_perustelu": r.EndReason,
		},
		"palvelunjarjestajan_toimintayksikko": orgObj(t.s.Organiser),
		"sosiaalihuollon_palvelutehtava":      tasks,
	}
	if persons := relatedFacts(r.RelatedPersons); persons != nil {
		facts["asiakkaaseen_liittyvat_henkilot"] = persons
	}
	addItems(facts, r.Items)
	d := &display{typeName: "Asiakkuusasiakirja", title: "Asiakkuusasiakirja", footer: "Siirretty vanhasta asiakastietojärjestelmästä", flat: true}
	return t.assemble(h, sch, facts, nil, d)
}

// Case builds the case document (Asia-asiakirja). Inferred where the examples
// are silent: group 2, code nullFlavor like the client-relationship document,
// the case OID in encompassingEncounter, its opening and closing days there.
func (t *Transformer) Case(c kanta.Case, ids IDs) (*Output, error) {
	if ids.Set == "" {
		ids.Set = ids.Document
	}
	var clients []kanta.Client
	var factClients []any
	minor := false
	for _, cc := range c.Clients {
		clients = append(clients, cc.Client)
		minor = minor || kanta.MinorAt(cc.Client.BirthDate.In(t.s.Location), c.Opened.In(t.s.Location))
		f := t.clientFact(cc.Client, t.temporaryIDSystem())
		f["asiaan_liittymishetki"] = t.isoDay(cc.Joined)
		f["asiasta_poistumishetki"] = t.isoDay(cc.Left)
		factClients = append(factClients, f)
	}
	h := &header{kind: KindCase, ids: ids, version: 1, effective: c.Opened, confidential: "6", clients: clients,
		caseID: ids.Case, caseOpened: c.Opened, caseClosed: c.Closed, unit: c.Unit, group: "2", serviceTask: c.ServiceTask}
	h.consent, h.consentDflt = minorConsent("", minor)
	sch, err := t.s.Schemas.For(CaseStructure)
	if err != nil {
		return nil, err
	}
	info := map[string]any{
		"asiatunnus":     map[string]any{"system": "urn:oid:" + t.s.Custodian.OID, "value": ids.Case},
		"nimi":           t.codeObj(h, kanta.SetCaseName, c.Name),
		"tila":           t.codeObj(h, kanta.SetCaseStatus, c.Status),
		"avauspaiva":     t.isoDay(c.Opened),
		"paattymispaiva": t.isoDay(c.Closed),
		"yhteinen_asia":  len(c.Clients) > 1,
		"palvelutehtava": t.codeObj(h, kanta.SetServiceTask, c.ServiceTask),
	}
	if c.Name == "99" {
		info["lisatieto_luokkaan_muu"] = c.NameOther
	}
	facts := map[string]any{
		"palvelunjarjestajan_toimintayksikko": orgObj(t.s.Organiser),
		"asiakas":                             factClients,
		"asian_tiedot":                        info,
	}
	addItems(facts, c.Items)
	d := &display{typeName: "Asia-asiakirja", title: "Asia-asiakirja: " + t.s.CodeSets.Display(kanta.SetCaseName, c.Name), footer: "Siirretty vanhasta asiakastietojärjestelmästä"}
	return t.assemble(h, sch, facts, nil, d)
}

// Document builds a client document. With a specific type that has a Sosmeta
// structure it carries the structured form; otherwise (Muu asiakirja, or a
// type without a structure) the display form only.
func (t *Transformer) Document(doc kanta.Document, ids IDs) (*Output, error) {
	if ids.Set == "" {
		ids.Set = ids.Document
	}
	version := doc.Version
	if version == 0 {
		version = 1
		if ids.Replaces != "" {
			version = ids.ReplacesVersion + 1
		}
	}
	author := doc.Author
	h := &header{kind: KindDocument, ids: ids, version: version, generalType: doc.Type, effective: doc.DrawnUp,
		confidential: doc.Confidentiality, clients: []kanta.Client{doc.Client}, author: &author, authorTime: doc.DrawnUp,
		caseID: ids.Case, unit: doc.Unit, group: "5", specificType: doc.SpecificType, serviceTask: doc.ServiceTask}
	h.consent, h.consentDflt = minorConsent(doc.MinorDisclosure, kanta.MinorAt(doc.Client.BirthDate.In(t.s.Location), doc.DrawnUp.In(t.s.Location)))
	h.correction = doc.CorrectionReason
	if doc.TextFormat == kanta.BodyPDFA {
		return t.pdfaDocument(h, doc)
	}
	var sch *Schema
	if doc.SpecificType != "" {
		var err error
		if sch, err = t.s.Schemas.For(doc.SpecificType); err != nil {
			return nil, err
		}
	}
	if sch == nil && !t.s.DisplayOnlyDocuments {
		return nil, &NationalRuleError{Rule: kanta.RuleNoStructure, Reason: fmt.Sprintf("no Sosmeta structure is mapped for the document (type %s%s), and the mapping does not state that such documents go with the display form only:"+
			" map a specific type with a national schema (specific_type, and structured: for its fields), or state `display_only_documents: true` to archive them as unstructured legacy documents (an inference, each listed)", doc.Type, specificNote(doc.SpecificType))}
	}
	facts := map[string]any{
		"asiakas":        t.clientFact(doc.Client, t.temporaryIDSystem()),
		"palvelutehtava": t.codeObj(h, kanta.SetServiceTask, doc.ServiceTask),
	}
	if author.FamilyName != "" || author.GivenNames != "" {
		facts["laatija"] = map[string]any{"sukunimi": author.FamilyName, "etunimet": author.GivenNames, "tehtavanimike": author.Title}
	}
	if len(doc.SocialServices) > 0 {
		var ss []any
		for _, s := range doc.SocialServices {
			ss = append(ss, t.codeObj(h, kanta.SetSocialService, s))
		}
		facts["sosiaalipalvelu"] = ss
	}
	typeName := t.s.CodeSets.Display(kanta.SetDocumentType, doc.Type)
	title := doc.Title
	if title == "" {
		title = t.s.CodeSets.Display(kanta.SetSpecificDocumentType, doc.SpecificType)
	}
	if title == "" {
		title = typeName
	}
	format, err := body.ParseFormat(cmp.Or(doc.TextFormat, string(body.Text)))
	if err != nil {
		return nil, &NationalRuleError{Rule: kanta.RuleBodyUnreadable, Reason: err.Error() + " (text_format)"}
	}
	text, err := readBody(format, doc)
	if err != nil {
		return nil, &NationalRuleError{Rule: kanta.RuleBodyUnreadable, Reason: "the text could not be read as " + string(format) + ": " + err.Error() + "; correct it in the source, or map its format (text_format)"}
	}
	d := &display{typeName: typeName, title: title, text: text, textTitle: "Asiakirjan teksti",
		footer: fmt.Sprintf("Laadittu %s. Siirretty vanhasta asiakastietojärjestelmästä.", doc.DrawnUp.In(t.s.Location).Format("2.1.2006 15.04"))}
	if sch == nil {
		// Without a structured form, the display form names the client and
		// the author itself, as the real samples' display forms do.
		d.before = append(d.before, section{"Asiakas", clientLines(doc.Client)})
		if lines := authorLines(author, doc.Unit.Name); lines != nil {
			d.before = append(d.before, section{"Laatija", lines})
		}
	}
	if h.replacing() {
		reason := doc.CorrectionReason
		if reason == "" {
			reason = kanta.DefaultCorrectionReason
		}
		d.after = append(d.after, section{"Korjauksen syy", []string{reason}})
	}
	if len(text.Blocks) == 0 && sch == nil {
		d.text = body.Plain("(Asiakirjassa ei ole tekstiä.)")
	}
	out, err := t.assemble(h, sch, facts, doc.Structured, d)
	if err != nil || t.unchecked { // notes are staging's; a rebuild for delivery does not read them
		return out, err
	}
	out.Notes = t.typeServiceTask(doc)
	if text.Format != body.Text {
		out.Notes = append(out.Notes, kanta.Finding{Field: "text", Rule: kanta.RuleBodyConverted,
			Reason: fmt.Sprintf("text%s read as %s (text_format %s) into the display form: %s", bytesSource(doc), strings.ToUpper(string(text.Format)), format, text.Summary())})
	}
	if sch == nil {
		out.Notes = append(out.Notes, kanta.Finding{Field: "specific_type", Rule: kanta.RuleDisplayOnly,
			Reason: fmt.Sprintf("archived with the display form only, as the mapping states (display_only_documents): no Sosmeta structure is mapped for type %s%s", doc.Type, specificNote(doc.SpecificType))})
	}
	return out, nil
}

// readBody reads a document's text in its format. Plain text held as a
// string (checked as UTF-8 when mapped) is read as it is, without copying
// it to bytes and back on every document.
func readBody(format body.Format, doc kanta.Document) (*body.Body, error) {
	switch {
	case doc.Body != nil:
		return body.Read(format, doc.Body)
	case format == body.Text:
		return body.Plain(doc.Text), nil
	}
	return body.Read(format, []byte(doc.Text))
}

// bytesSource names a body read as bytes, for a note: its file, size and
// SHA-256, so that the report ties the converted text to what the legacy
// system held.
func bytesSource(doc kanta.Document) string {
	if doc.Body == nil {
		return ""
	}
	sum := sha256.Sum256(doc.Body)
	file := ""
	if doc.BodyFile != "" {
		file = "file " + doc.BodyFile + ", "
	}
	return fmt.Sprintf(" (%s%d bytes, SHA-256 %x)", file, len(doc.Body), sum)
}

// specificNote names a specific type that has no national schema.
func specificNote(specific string) string {
	if specific == "" {
		return ", no specific type"
	}
	return ", specific type " + specific + " without a national schema here"
}

// typeServiceTask warns of a specific type whose name places it under
// another service task than the document's (kanta.CodeSets.ServiceTaskOfType):
// the archive files by the service task, so one of the two is likely
// mapped wrong.
func (t *Transformer) typeServiceTask(doc kanta.Document) []kanta.Finding {
	if doc.SpecificType == "" || doc.ServiceTask == "" {
		return nil
	}
	task, ok := t.s.CodeSets.ServiceTaskOfType(doc.SpecificType)
	if !ok || task == doc.ServiceTask {
		return nil
	}
	name := func(set, code string) string { return code + " (" + t.s.CodeSets.Display(set, code) + ")" }
	return []kanta.Finding{{Field: "service_task", Rule: kanta.RuleTypeServiceTask,
		Reason: fmt.Sprintf("specific type %s is by its name a document of service task %s, but the document is filed under %s: check the mapping of the specific type and of the service task (the archive files by the service task)",
			name(kanta.SetSpecificDocumentType, doc.SpecificType), name(kanta.SetServiceTask, task), name(kanta.SetServiceTask, doc.ServiceTask))}}
}

// onlyFacts says whether a structured form holds nothing but the facts
// the builder put in it from the header's data: no legacy field mapped
// under structured: reached it.
func onlyFacts(form, facts map[string]any) bool {
	for k := range form {
		if _, ok := facts[k]; !ok {
			return false
		}
	}
	return true
}

// minorConsent gives the authorization/consent code of a document whose
// client was (or, for a case, one of whose clients was) a minor: the
// source's, or the default, counted as an inference. An adult's document
// carries none.
func minorConsent(fromSource string, minor bool) (code string, byDefault bool) {
	switch {
	case !minor:
		return "", false
	case fromSource != "":
		return fromSource, false
	}
	return kanta.MinorDisclosureDefault, true
}

// clientLines names a client in the display form as the real samples do:
// "Family, Given" and the identity code masked (kanta.NationalRules).
func clientLines(c kanta.Client) []string {
	lines := []string{strings.TrimSpace(strings.Trim(c.FamilyName+", "+c.GivenNames, ", "))}
	switch {
	case c.IdentityCode != "":
		lines = append(lines, kanta.MaskIdentityCode(c.IdentityCode))
	case c.TemporaryID != "":
		lines = append(lines, "Tilapäinen tunniste "+c.TemporaryID)
	}
	return lines
}

// authorLines names the author as the plan sample's "Laatija": the name,
// the job title and the unit; nil when the source names no author.
func authorLines(a kanta.Author, unit string) []string {
	if a.FamilyName == "" && a.GivenNames == "" {
		return nil
	}
	lines := []string{strings.Trim(a.FamilyName+", "+a.GivenNames, ", ")}
	if a.Title != "" {
		lines = append(lines, a.Title)
	}
	if unit != "" {
		lines = append(lines, unit)
	}
	return lines
}

// contactFacts is a client's yhteystiedot, or nil when it has none. Under
// non-disclosure only the phone number stays: Sosmeta's note on turvakielto
// keeps the phone number and the contact address and shows nothing else.
func contactFacts(c kanta.Client) map[string]any {
	out := map[string]any{}
	if c.Phone != "" {
		out["puhelinnumero"] = c.Phone
	}
	if !c.NonDisclosure {
		var addrs []any
		for _, a := range append([]kanta.Address{{Street: c.Street, Postcode: c.Postcode, PostOffice: c.PostOffice}}, c.Addresses...) {
			addr := map[string]any{}
			for k, v := range map[string]string{"lahiosoite": a.Street, "postinumero": a.Postcode, "postitoimipaikka": a.PostOffice} {
				if v != "" {
					addr[k] = v
				}
			}
			if len(addr) > 0 {
				addrs = append(addrs, addr)
			}
		}
		if len(addrs) > 0 {
			out["osoite"] = addrs
		}
		if c.Email != "" {
			out["sahkopostiosoite"] = c.Email
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// addItems writes the records of kinds written generically into the
// document (kanta.Item), each an item of its property, in the order they
// were read; the schema judges them as it judges the rest.
func addItems(facts map[string]any, items []kanta.Item) {
	for _, it := range items {
		list, _ := facts[it.Property].([]any)
		facts[it.Property] = append(list, it.Values)
	}
}

// relatedFacts is asiakkaaseen_liittyvat_henkilot, nil when there are none.
// A person under non-disclosure has no contact data in the document.
func relatedFacts(ps []kanta.RelatedPerson) []any {
	var out []any
	for _, p := range ps {
		f := map[string]any{"sukunimi": p.FamilyName, "etunimet": p.GivenNames, "turvakielto": p.NonDisclosure}
		if p.IdentityCode != "" {
			f["henkilotunnus"] = map[string]any{"system": idRootHetu, "value": p.IdentityCode}
		}
		if p.Role != "" {
			f["roolin_kuvaus"] = p.Role
		}
		if p.Phone != "" && !p.NonDisclosure {
			f["yhteystiedot"] = map[string]any{"puhelinnumero": p.Phone}
		}
		out = append(out, f)
	}
	return out
}

// NationalRuleError refuses a document that breaks a national rule JSON
// Schema cannot express (kanta.NationalRules), or one the mapping has not
// stated how to carry (rule no-structure).
type NationalRuleError struct {
	Rule   string
	Reason string
}

func (e *NationalRuleError) Error() string { return e.Reason }

// oldRelationshipRules applies the national rules of an old (pre-joining)
// client relationship: the identity code and the birth date are required.
func oldRelationshipRules(r kanta.Relationship) error {
	if !r.Old {
		return nil
	}
	if r.Client.IdentityCode == "" {
		return &NationalRuleError{Rule: kanta.RuleOldIdentityCode, Reason: "an old client relationship must carry the identity code, not only a temporary identifier (Sosmeta note on henkilotunnus)"}
	}
	if r.Client.BirthDate.IsZero() {
		return &NationalRuleError{Rule: kanta.RuleOldBirthDate, Reason: "an old client relationship must carry the birth date (Sosmeta note on syntymaaika)"}
	}
	return nil
}

// serviceTaskFacts writes a client's service-task relationships as Sosmeta
// 1505.1 has them: one sosiaalihuollon_palvelutehtava entry per service
// task, in the order the tasks were first met, carrying one
// palvelunjarjestajan_palveluyksikko entry per period (a unit and its own
// start and end), earliest first. Repeated periods in one task are history
// as it was: each keeps its dates, an open one stays open.
func (t *Transformer) serviceTaskFacts(h *header, sts []kanta.ServiceTaskRelationship) []any {
	var order []string
	periods := map[string][]kanta.ServiceTaskRelationship{}
	for _, st := range sts {
		if _, ok := periods[st.ServiceTask]; !ok {
			order = append(order, st.ServiceTask)
		}
		periods[st.ServiceTask] = append(periods[st.ServiceTask], st)
	}
	var tasks []any
	for _, task := range order {
		ps := periods[task]
		slices.SortStableFunc(ps, func(a, b kanta.ServiceTaskRelationship) int { return a.Start.Compare(b.Start) })
		var units []any
		for _, st := range ps {
			units = append(units, map[string]any{
				"palveluyksikon_nimi":      orgObj(st.Unit),
				"asiakkuuden_alkamispvm":   t.isoDay(st.Start),
				"asiakkuuden_paattymispvm": t.isoDay(st.End),
			})
		}
		tasks = append(tasks, map[string]any{
			"palvelutehtava":                     t.codeObj(h, kanta.SetServiceTask, task),
			"palvelunjarjestajan_palveluyksikko": units,
		})
	}
	return tasks
}
