package profile

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/mapping"
)

// A skeleton is a first mapping written from a profile of files: sources as
// they were read, each source guessed to hold one entity by its columns, and
// fields guessed from column names (Finnish and English). Every guess is
// marked "# GUESS: why"; every gap is a TODO value that kantamig check
// refuses, so nothing guessed can reach a run unread.

type guess struct {
	target string
	name   *regexp.Regexp
	codes  string // the code set of a value map the field goes through, if any
	date   bool
}

func re(s string) *regexp.Regexp { return regexp.MustCompile("(?i)" + s) }

var entityFields = map[string][]guess{
	"clients": {
		{target: "identity_code", name: re(`hetu|henkilo_?tunnus|ssn|sotu`)},
		{target: "temporary_id", name: re(`tilap|temp`)},
		{target: "family_name", name: re(`suku_?nimi|surname|last_?name|family`)},
		{target: "given_names", name: re(`etu_?nim|first_?name|given`)},
		{target: "sex", name: re(`sukupuoli|^sex$|gender`), codes: "sex"},
		{target: "home_municipality", name: re(`kotikunta|kunta|municipality`)},
		{target: "non_disclosure", name: re(`turvakielto|disclosure`)},
		{target: "relationship_start", name: re(`alku|alkaen|alkoi|start`), date: true},
		{target: "relationship_end", name: re(`loppu|paatty|päätty|end`), date: true},
		{target: "relationship_end_reason", name: re(`syy|reason`)},
		{target: "service_tasks", name: re(`palvelu|service`), codes: "service-task"},
	},
	"cases": {
		{target: "clients", name: re(`asiak|client`)},
		{target: "name", name: re(`nimi|name|laji|tyyppi`), codes: "case-name"},
		{target: "status", name: re(`tila|status`), codes: "case-status"},
		{target: "opened", name: re(`avattu|alku|vireille|opened|start`), date: true},
		{target: "closed", name: re(`suljettu|loppu|paatty|päätty|closed|end`), date: true},
		{target: "service_task", name: re(`palvelu|service`), codes: "service-task"},
	},
	"client_addresses": {
		{target: "client", name: clientRef},
		{target: "street", name: streetName},
		{target: "postcode", name: re(`postinumero|postino|postcode|zip`)},
		{target: "post_office", name: re(`toimipaikka|postitoimipaikka|city|post_?office`)},
		{target: "valid_from", name: re(`alku|alkaen|from|start`), date: true},
		{target: "valid_to", name: re(`loppu|paatty|päätty|to$|end`), date: true},
	},
	"service_task_relationships": {
		{target: "client", name: clientRef},
		{target: "service_task", name: areaName, codes: "service-task"},
		{target: "start", name: re(`alku|alkoi|alkaen|start`), date: true},
		{target: "end", name: re(`loppu|paatty|päätty|end`), date: true},
	},
	"case_members": {
		{target: "case", name: caseRef},
		{target: "client", name: clientRef},
		{target: "joined", name: re(`liittyi|alku|joined|start`), date: true},
		{target: "left", name: re(`poistui|loppu|left|end`), date: true},
	},
	"related_persons": {
		{target: "client", name: clientRef},
		{target: "family_name", name: re(`suku_?nimi|surname|last_?name|family`)},
		{target: "given_names", name: re(`etu_?nim|first_?name|given`)},
		{target: "identity_code", name: re(`hetu|henkilo_?tunnus|ssn|sotu`)},
		{target: "role_description", name: roleName},
		{target: "phone", name: re(`puh|phone|gsm`)},
	},
	"responsible_workers": {
		{target: "client", name: clientRef},
		{target: "family_name", name: re(`suku_?nimi|surname|last_?name|family`)},
		{target: "given_names", name: re(`etu_?nim|first_?name|given`)},
		{target: "registration_number", name: re(`rekister|rek_?no|registration`)},
		{target: "phone", name: re(`puh|phone|gsm`)},
		{target: "email", name: re(`sposti|s_?posti|e_?mail`)},
	},
	"case_persons": {
		{target: "case", name: caseRef},
		{target: "family_name", name: re(`suku_?nimi|surname|last_?name|family`)},
		{target: "given_names", name: re(`etu_?nim|first_?name|given`)},
		{target: "identity_code", name: re(`hetu|henkilo_?tunnus|ssn|sotu`)},
		{target: "role_description", name: roleName},
	},
	"documents": {
		{target: "client", name: re(`^asiakas$|asiakas_?(id|nro)|^client`)},
		{target: "case", name: re(`^asia$|asia_?(id|nro)|^case`)},
		{target: "type", name: re(`tyyppi|type|laji`), codes: "document-type"},
		{target: "service_task", name: re(`palvelu|service`), codes: "service-task"},
		{target: "drawn_up", name: re(`laadittu|kirjattu|pvm|paivamaara|paivays|date|created`), date: true},
		{target: "author_id", name: re(`(laatija|author).*(rekno|id|nro)`)},
		{target: "author_family_name", name: re(`(laatija|author).*(suku|last|family)`)},
		{target: "author_given_names", name: re(`(laatija|author).*(etunim|first|given)`)},
		{target: "author_title", name: re(`nimike|title`)},
		{target: "replaces", name: re(`korvaa|replaces`)},
		{target: "version", name: re(`versio`)},
		{target: "title", name: re(`otsikko|^title$`)},
		{target: "text", name: re(`teksti|text|sisalto|sisältö|kuvaus`)},
	},
}

var caseName = re(`avattu|suljettu|asia|case|opened`)

// Columns that name another record, and columns that say what a part of a
// client's relationship holds.
var (
	clientRef  = re(`^asiakas$|asiakas_?(id|nro)|^asnro$|^client(_?id)?$|^henkilo_?(id|nro)$|^person_?id$`)
	caseRef    = re(`^asia$|asia_?(id|nro)|^case(_?id)?$`)
	streetName = re(`katu|lahiosoite|lähiosoite|^osoite$|street|address`)
	areaName   = re(`palvelu|alue|service|area|tehtava|tehtävä`)
	roleName   = re(`rooli|role|suhde|relation|huoltaja|omainen|guardian|kin`)
	memberName = re(`jasen|jäsen|member|osalli|osapuol`)
	workerName = re(`tyontekija|työntekijä|worker`)
	periodName = re(`palvelusuhde|asiakkuus|period|relationship|^jakso`)
	noteTable  = re(`kirjau|merkin|asiakirj|document|^note`)
	docName    = re(`laadittu|kirjattu|otsikko|title|drawn`)
)

var plainYAMLKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_/]*$`)

var keyName = re(`^@?id$|(asnro|asiakasnro|asia_?id|asianro|asiakirja_?id|doc_?id|client_?id|case_?id|_?id$|^@id$|_nro$|^nro$|^numero$)`)

// entityOf guesses the entity a source holds, with the reason.
// Long text first: a source of documents often names its client by
// identity code too.
func entityOf(s *Source) (string, string) {
	for _, c := range s.Columns {
		if c.MeanLength > 100 {
			return "documents", fmt.Sprintf("column %s holds long text (%.0f characters on average)", c.Name, c.MeanLength)
		}
	}
	for _, c := range s.Columns {
		if !strings.HasPrefix(c.Name, "../") && c.IdentityCodes != nil && c.IdentityCodes.Valid*2 >= c.Filled && c.Filled > 0 && c.FillRate > 0.5 { // not an enclosing record's
			return "clients", fmt.Sprintf("column %s holds identity codes in %.0f%% of the records", c.Name, 100*c.FillRate)
		}
	}
	has := func(pattern *regexp.Regexp) string {
		for _, c := range s.Columns {
			if named(s, c.Name, pattern) && c.Filled > 0 {
				return c.Name
			}
		}
		return ""
	}
	client, kase := has(clientRef), has(caseRef)
	table := s.table
	if table == "" {
		table = s.Name
	}
	switch {
	case memberName.MatchString(table) && client != "":
		return "case_members", fmt.Sprintf("%s is named like case members, column %s names a client", table, client)
	case periodName.MatchString(table) && client != "":
		return "service_task_relationships", fmt.Sprintf("%s is named like relationship periods, column %s names a client", table, client)
	case workerName.MatchString(table) && client != "":
		return "responsible_workers", fmt.Sprintf("%s is named like workers, column %s names a client", table, client)
	case kase != "" && client == "" && has(roleName) != "" && has(docName) == "":
		return "case_persons", fmt.Sprintf("column %s names a case and no client, column %s a role", kase, has(roleName))
	case noteTable.MatchString(table) && (client != "" || kase != ""):
		return "documents", fmt.Sprintf("%s is named like documents, column %s names its %s", table, cmp.Or(kase, client), map[bool]string{true: "case", false: "client"}[kase != ""])
	case client != "" && has(docName) != "":
		return "documents", fmt.Sprintf("column %s names a client, column %s is named like a document's", client, has(docName))
	case kase != "" && has(docName) != "" && !ownKey(s, kase):
		return "documents", fmt.Sprintf("column %s names a case, column %s is named like a document's", kase, has(docName))
	}
	if kase != "" && ownKey(s, kase) {
		return "cases", fmt.Sprintf("column %s names a case and is the source's own key", kase)
	}
	switch {
	case client != "" && has(streetName) != "":
		return "client_addresses", fmt.Sprintf("column %s names a client, column %s holds an address", client, has(streetName))
	case client != "" && kase != "":
		return "case_members", fmt.Sprintf("column %s names a case and column %s a client", kase, client)
	case client != "" && has(areaName) != "":
		return "service_task_relationships", fmt.Sprintf("column %s names a client, column %s a service area", client, has(areaName))
	case client != "" && has(roleName) != "":
		return "related_persons", fmt.Sprintf("column %s names a client, column %s a relation", client, has(roleName))
	}
	for _, c := range s.Columns {
		if caseName.MatchString(c.Name) {
			return "cases", fmt.Sprintf("column %s is named like a case's", c.Name)
		}
	}
	return "", ""
}

// authorName names a column that holds who wrote a document.
var authorName = re(`laatija|kirjaaja|tekija|tekijä|author|writer`)

// wholeName is an unplaced column named like a document's author that holds
// text of a whole name's length (no numbers, no dates): a name in one
// column, which the mapping takes apart with name_part. The skeleton says
// to check the order; the profile never shows names.
func wholeName(s *Source, used map[string]bool) *Column {
	for _, c := range s.Columns {
		if !used[c.Name] && authorName.MatchString(c.Name) && c.Filled > 0 && c.MeanLength > 6 && c.MeanLength < 60 && c.Dates == 0 && c.Numbers == 0 {
			return c
		}
	}
	return nil
}

// namesOther says whether a column is named like a reference to another
// entity's record: a client's or a case's, other than the entity's own.
func namesOther(s *Source, entity, column string) bool {
	switch entity {
	case "clients":
		return named(s, column, caseRef)
	case "cases":
		return named(s, column, clientRef)
	}
	return named(s, column, clientRef) || named(s, column, caseRef)
}

// named says whether a column's name matches a pattern, or, for an XML
// record's key of an enclosing element ("../@id" under <asiakas>), the
// name of that reference ("asiakas_id"): in a hierarchical export a
// record names its client or case by being inside it.
func named(s *Source, column string, pattern *regexp.Regexp) bool {
	if pattern.MatchString(column) || pattern.MatchString(sourceName(column)) { // "Asiakas nro", "Henkilötunnus"
		return true
	}
	alias := enclosingKey(s, column)
	return alias != "" && pattern.MatchString(alias)
}

// enclosingKey names the reference an XML record's column "../@id" (or
// "../../id", ...) makes: the enclosing element's name and "_id".
func enclosingKey(s *Source, column string) string {
	if s.Kind != "xml" || !strings.HasPrefix(column, "../") || s.record == "" {
		return ""
	}
	up := strings.Count(column, "../")
	rest := strings.TrimLeft(column, "./")
	if strings.Contains(rest, "/") || !keyName.MatchString(rest) {
		return ""
	}
	parts := strings.Split(strings.Trim(s.record, "/"), "/")
	if i := len(parts) - 1 - up; i >= 0 {
		return parts[i] + "_id"
	}
	return ""
}

// ownKey says whether a column is the source's own key: its primary key in
// the database's catalogue, or, without one, filled and distinct in every
// record (a table of case members names a case as often as it has members).
func ownKey(s *Source, name string) bool {
	if len(s.key) > 0 {
		return len(s.key) == 1 && s.key[0] == name
	}
	for _, c := range s.Columns {
		if c.Name == name {
			return c.Filled == s.Records && c.Filled > 1 && !c.DistinctMore && c.Distinct == c.Filled
		}
	}
	return false
}

// WriteSkeleton writes a first mapping for the profiled files.
func WriteSkeleton(p *Profile, path string) error {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# A first mapping written by kantamig profile --init from %d source(s), %s.\n", len(p.Sources), p.Generated.Format("2006-01-02"))
	w("# Every line marked GUESS was guessed from a column's name or content: read each one. Every TODO is a gap:\n")
	w("# kantamig check refuses this file until none is left. docs/mapping.md documents every key.\n")
	w("version: 1\nsystem: TODO the old system's name and version\n\n")
	w("organisation:\n  custodian: {oid: TODO, name: TODO}\n  service_unit: {oid: TODO, name: TODO}\n  oid_root: TODO\n\n")
	w("cutoff: TODO              # the day the organisation joined the archive, yyyy-MM-dd\n")
	w("timezone: Europe/Helsinki # GUESS: the old system's local times\n\n")

	dir := filepath.Dir(path)
	var sources, blocks, maps strings.Builder
	// One value map per legacy code column name and code set: the same
	// column in several sources (a service area on clients and on cases)
	// holds the same codes, and is translated once.
	type valueMap struct {
		name, codeSet string
		cols          []*Column
		sources       []string // each column's source
	}
	var valueMaps []*valueMap
	mapOf := map[string]*valueMap{}
	type entityBlock struct{ why, text string }
	byEntity := map[string][]entityBlock{}
	var entities []string
	hasPeriods := false // a client's relationship may start at its earliest period
	for _, s := range p.Sources {
		if e, _ := entityOf(s); e == "service_task_relationships" {
			hasPeriods = true
		}
	}
	for _, s := range p.Sources {
		file, err := filepath.Rel(dir, s.Where)
		if err != nil {
			file = s.Where
		}
		switch s.Kind {
		case "mysql", "mssql":
			if s.query != "" {
				fmt.Fprintf(&sources, "  %s: {kind: %s, dsn_env: %s, query: %s}\n", yamlKey(s.Name), s.Kind, s.dsnEnv, strconv.Quote(comment(s.query)))
			} else {
				fmt.Fprintf(&sources, "  %s: {kind: %s, dsn_env: %s, table: %s}\n", yamlKey(s.Name), s.Kind, s.dsnEnv, yamlKey(s.table))
			}
		case "csv":
			fmt.Fprintf(&sources, "  %s: {kind: csv, file: %s, delimiter: %s, encoding: %s}", yamlKey(s.Name), yamlValue(file), strconv.Quote(delimiterOf(s)), encodingOf(s))
			fmt.Fprintf(&sources, "   # GUESS: delimiter from the header line; encoding from the bytes\n")
		case "xml":
			fmt.Fprintf(&sources, "  %s: {kind: xml, file: %s, record: %s}   # GUESS: the repeated record element\n", yamlKey(s.Name), yamlValue(file), yamlValue(recordOf(s)))
		case "xlsx":
			if s.Sheet != "" {
				fmt.Fprintf(&sources, "  %s: {kind: xlsx, file: %s, sheet: %s}\n", yamlKey(s.Name), yamlValue(file), yamlValue(s.Sheet))
			} else {
				fmt.Fprintf(&sources, "  %s: {kind: xlsx, file: %s}\n", yamlKey(s.Name), yamlValue(file))
			}
		default:
			fmt.Fprintf(&sources, "  %s: {kind: %s, file: %s}\n", yamlKey(s.Name), s.Kind, yamlValue(file))
		}
		entity, why := entityOf(s)
		if entity == "" {
			fmt.Fprintf(&blocks, "# TODO: which entity does source %s hold? Its columns: %s\n\n", s.Name, comment(columnNames(s)))
			continue
		}
		var block strings.Builder
		fmt.Fprintf(&block, "  source: %s\n", yamlKey(s.Name))
		used, inKey := map[string]bool{}, map[string]bool{}
		var keyCol *Column
		for _, c := range s.Columns {
			// Named like a key, filled and distinct in (nearly) every record:
			// the few duplicates a real export has are the dry-run's to reject.
			// A column that names another entity's record is no key of its own
			// (a member table's case and client are distinct in a small table).
			if named(s, c.Name, keyName) && !namesOther(s, entity, c.Name) && c.FillRate >= 0.99 && (c.DistinctMore || float64(c.Distinct) >= 0.99*float64(c.Filled)) {
				keyCol = c
				break
			}
		}
		var pair []*Column // a member: its case and its client together
		if keyCol == nil && len(s.key) == 0 && entity == "case_members" {
			if kc, cc := findColumn(s, guess{name: caseRef}, nil), findColumn(s, guess{name: clientRef}, nil); kc != nil && cc != nil {
				pair = []*Column{kc, cc}
			}
		}
		switch {
		case pair != nil:
			inKey[pair[0].Name], inKey[pair[1].Name] = true, true
			fmt.Fprintf(&block, "  key: [%s, %s]   # GUESS: no column of its own; a member is its case and its client together\n", yamlKey(pair[0].Name), yamlKey(pair[1].Name))
		case len(s.key) > 0:
			keys := make([]string, len(s.key))
			for i, k := range s.key {
				keys[i], inKey[k] = yamlKey(k), true // its columns may still name a client or a case
			}
			key := keys[0]
			if len(keys) > 1 {
				key = "[" + strings.Join(keys, ", ") + "]"
			}
			fmt.Fprintf(&block, "  key: %s   # the table's primary key in the database's catalogue\n", key)
		case keyCol == nil && (s.Kind == "xml" || s.Kind == "csv" || s.Kind == "xlsx") && entity != "clients" && entity != "cases" && entity != "documents":
			// A period or a member seldom has an id of its own in a file.
			fmt.Fprintf(&block, "  key: %s   # GUESS: no column named like a key; each record keyed by its place in the file, which holds while the file is not exported again in another order\n", mapping.PositionKey)
		case keyCol == nil:
			fmt.Fprintf(&block, "  key: TODO   # no column named like a key is filled and distinct in nearly every record: name the key column(s)\n")
		default:
			used[keyCol.Name] = true
			dup := ""
			if !keyCol.DistinctMore && keyCol.Distinct < keyCol.Filled {
				dup = fmt.Sprintf("; %d record(s) repeat a key, which the dry-run rejects (duplicate-key)", keyCol.Filled-keyCol.Distinct)
			}
			fmt.Fprintf(&block, "  key: %s   # GUESS: named like a key, filled in %.0f%% of %d records%s\n", yamlKey(keyCol.Name), 100*keyCol.FillRate, s.Records, comment(dup))
		}
		fmt.Fprintf(&block, "  fields:\n")
		placed := map[string]bool{}
		for _, g := range entityFields[entity] {
			col := findColumn(s, g, used)
			if col == nil && g.target == "text" {
				col = fileColumn(s, used) // a column of file names is the text, read from the files
			}
			if col == nil {
				continue
			}
			if g.target == "text" {
				used[col.Name], placed[g.target] = true, true
				for _, line := range bodyGuess(s, col, used) {
					fmt.Fprintf(&block, "    %s\n", line)
				}
				continue
			}
			used[col.Name], placed[g.target] = true, true
			spec, why := yamlKey(col.Name), fmt.Sprintf("column %s, filled in %.0f%% of the records", col.Name, 100*col.FillRate)
			if ref, ok := s.references[col.Name]; ok {
				why += ", refers to " + ref
			}
			if g.date && col.Dates > 0 {
				if fs := localFormats(col); len(fs) > 0 {
					quoted := make([]string, len(fs))
					for i, f := range fs {
						quoted[i] = strconv.Quote(f)
					}
					pattern := quoted[0]
					if len(fs) > 1 { // a workbook's date cells and dates typed as text, say
						pattern = "[" + strings.Join(quoted, ", ") + "]"
					}
					spec = fmt.Sprintf("{from: %s, date: %s}", yamlKey(col.Name), pattern)
					why += ", dates " + strings.Join(fs, " and ")
				}
			}
			if g.codes != "" {
				mapName := sourceName(col.Name)
				if vm := mapOf[mapName]; vm != nil && vm.codeSet != g.codes { // the same name, another code set
					mapName += "_" + sourceName(s.Name)
				}
				vm := mapOf[mapName]
				if vm == nil {
					vm = &valueMap{name: mapName, codeSet: g.codes}
					mapOf[mapName] = vm
					valueMaps = append(valueMaps, vm)
				}
				vm.cols, vm.sources = append(vm.cols, col), append(vm.sources, s.Name)
				split := ""
				for _, v := range col.frequent {
					if strings.Contains(v.Value, ",") {
						split = ", split: \",\""
						why += ", several codes in one value"
						break
					}
				}
				spec = fmt.Sprintf("{from: %s%s, map: %s}", yamlKey(col.Name), split, mapName)
			}
			fmt.Fprintf(&block, "    %s: %s   # GUESS: %s\n", g.target, spec, comment(why))
		}
		if entity == "documents" && !placed["author_family_name"] && !placed["author_given_names"] {
			if col := wholeName(s, used); col != nil {
				used[col.Name] = true
				why := fmt.Sprintf("column %s is named like its author and holds text of a name's length", col.Name)
				fmt.Fprintf(&block, "    author_family_name: {from: %s, name_part: family, name_order: %s}   # GUESS: %s; check which part comes first\n", yamlKey(col.Name), mapping.NameFamilyFirst, comment(why))
				fmt.Fprintf(&block, "    author_given_names: {from: %s, name_part: given, name_order: %s}   # GUESS: the same column\n", yamlKey(col.Name), mapping.NameFamilyFirst)
			}
		}
		for _, t := range requiredTargets(entity) {
			if t == "client" && !placed[t] && placed["case"] && clientFromCase(entity) {
				fmt.Fprintf(&block, "    # client: not named by this source: each record is its case's client's (a shared case's is rejected case-client)\n")
				continue
			}
			if t == "relationship_start" && !placed[t] && hasPeriods {
				fmt.Fprintf(&block, "    relationship_start: {derive: earliest_period}   # GUESS: no column is named like it; the start of the client's earliest service-task period\n")
				continue
			}
			if t == "case" && !placed[t] && entity == "documents" {
				fmt.Fprintf(&block, "    case: TODO   # required: no column names a case; if these documents belong to none, leave it out and collect them with without_case: (docs/mapping.md, Documents without a case)\n")
				continue
			}
			if !placed[t] {
				fmt.Fprintf(&block, "    %s: TODO   # required: no column is named like it (a column, or value: for a constant)\n", t)
			}
		}
		var rest []string
		for _, c := range s.Columns {
			if !used[c.Name] && !inKey[c.Name] {
				rest = append(rest, c.Name)
			}
		}
		if len(rest) > 0 {
			fmt.Fprintf(&block, "  # TODO: columns not placed: %s\n", comment(strings.Join(rest, ", ")))
		}
		if _, ok := byEntity[entity]; !ok {
			entities = append(entities, entity)
		}
		byEntity[entity] = append(byEntity[entity], entityBlock{why: why, text: block.String()})
	}
	// One entity read from several sources is a list of blocks, each with
	// its source (docs/mapping.md, "Several sources for one entity").
	for _, entity := range entities {
		list := byEntity[entity]
		if len(list) == 1 {
			fmt.Fprintf(&blocks, "%s:   # GUESS: %s\n%s\n", entity, comment(list[0].why), list[0].text)
			continue
		}
		fmt.Fprintf(&blocks, "%s:\n", entity)
		for _, b := range list {
			lines := strings.Split(strings.TrimSuffix(b.text, "\n"), "\n")
			fmt.Fprintf(&blocks, "  # GUESS: %s\n", comment(b.why))
			for i, l := range lines {
				if i == 0 {
					fmt.Fprintf(&blocks, "  -%s\n", strings.TrimPrefix(l, " "))
				} else {
					fmt.Fprintf(&blocks, "  %s\n", l)
				}
			}
		}
		blocks.WriteString("\n")
	}
	for _, vm := range valueMaps {
		writeValueMap(&maps, vm.name, vm.codeSet, vm.cols, vm.sources, p.MinCount)
	}
	if maps.Len() > 0 {
		w("value_maps:\n%s\n", maps.String())
	}
	w("sources:\n%s\n", sources.String())
	w("%s", blocks.String())
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// refTargets are the fields an XML record may take from the element
// enclosing it: the record it belongs to.
var refTargets = map[string]bool{"client": true, "clients": true, "case": true, "client_identity_code": true}

func findColumn(s *Source, g guess, used map[string]bool) *Column {
	for _, c := range s.Columns {
		if strings.HasPrefix(c.Name, "../") && !refTargets[g.target] {
			continue // an enclosing record's value is not this record's (a client's name is no case's)
		}
		if !used[c.Name] && named(s, c.Name, g.name) && c.Filled > 0 {
			return c
		}
	}
	return nil
}

// fileColumn is a column whose values are, mostly, names of files.
func fileColumn(s *Source, used map[string]bool) *Column {
	for _, c := range s.Columns {
		if !used[c.Name] && c.Filled > 0 && c.FilePaths*2 >= c.Filled {
			return c
		}
	}
	return nil
}

// Columns that say a body's format, its length at the source, and the
// document an attachment belongs to.
var (
	formatName   = re(`muoto|format`)
	lengthName   = re(`pituus|length|koko|size`)
	attachedName = re(`liite|attach|parent`)
)

// bodyGuess writes how a document's text column is read, guessed from what
// its values are: names of files (file_root, the folder a TODO), bytes not
// in UTF-8 (binary), rich text or files by their first bytes (text_format),
// the source's own length of each (length_from) and an attachment's
// document (attached_to) where columns are named so.
func bodyGuess(s *Source, col *Column, used map[string]bool) []string {
	take := func(name *regexp.Regexp) *Column {
		for _, c := range s.Columns {
			if !used[c.Name] && c.Filled > 0 && name.MatchString(c.Name) {
				used[c.Name] = true
				return c
			}
		}
		return nil
	}
	opts, why := []string{"from: " + yamlKey(col.Name)}, fmt.Sprintf("column %s, filled in %.0f%% of the records", col.Name, 100*col.FillRate)
	files := col.FilePaths*2 >= col.Filled && col.FilePaths > 0
	switch {
	case files:
		opts = append(opts, "file_root: TODO")
		why += fmt.Sprintf("; %d value(s) name a file: give the folder they are under (a path out of it is rejected)", col.FilePaths)
	case col.InvalidUTF8 > 0:
		opts = append(opts, "binary: true", "trim: false")
		why += fmt.Sprintf("; %d value(s) are not UTF-8: read as bytes, in their format", col.InvalidUTF8)
	case len(col.BodyFormats) > 0:
		opts = append(opts, "trim: false")
	}
	if l := take(lengthName); l != nil && l.Numbers > 0 {
		opts = append(opts, "length_from: "+yamlKey(l.Name))
		why += fmt.Sprintf("; column %s is named like its length at the source: a value of another length is rejected (truncated)", l.Name)
	}
	spec := yamlKey(col.Name)
	if len(opts) > 1 {
		spec = "{" + strings.Join(opts, ", ") + "}"
	}
	lines := []string{fmt.Sprintf("text: %s   # GUESS: %s", spec, comment(why))}
	var seen []string
	for f, n := range col.BodyFormats {
		seen = append(seen, fmt.Sprintf("%s %d", f, n))
	}
	sort.Strings(seen)
	switch f := take(formatName); {
	case f != nil:
		lines = append(lines, fmt.Sprintf("text_format: %s   # GUESS: column %s is named like the text's format (rtf, html, docx, pdf, tiff or auto)", yamlKey(f.Name), f.Name))
	case files || len(seen) > 0:
		lines = append(lines, "text_format: {value: auto}   # GUESS: each document's first bytes decide")
	}
	if len(seen) > 0 {
		lines[len(lines)-1] += comment("; seen: " + strings.Join(seen, ", "))
	}
	if seen := col.BodyFormats["pdf"] + col.BodyFormats["tiff"]; seen > 0 || files {
		lines = append(lines, "# TODO: PDFs and TIFF scans go as PDF/A only where the mapping states `pdfa_documents: true` (top level)")
	}
	if a := take(attachedName); a != nil {
		lines = append(lines, fmt.Sprintf("attached_to: %s   # GUESS: column %s is named like the document an attachment belongs to", yamlKey(a.Name), a.Name))
	}
	return lines
}

// writeValueMap writes the stub of a value map: every value seen at least
// minCount times in one of its columns, each a TODO, with how often the
// columns hold it together.
func writeValueMap(b *strings.Builder, name, codeSet string, cols []*Column, sources []string, minCount int) {
	var names []string
	distinct := 0
	for i, c := range cols {
		names = append(names, sources[i]+"."+c.Name)
		distinct = max(distinct, c.Distinct)
	}
	what := fmt.Sprintf("column %s has %d distinct values", cols[0].Name, cols[0].Distinct)
	if len(cols) > 1 {
		what = fmt.Sprintf("columns %s, up to %d distinct values each: one map for all", strings.Join(names, ", "), distinct)
	}
	fmt.Fprintf(b, "  %s:   # GUESS: %s\n    code_set: %s   # GUESS\n    values:\n", name, comment(what), codeSet)
	var order []string
	seen := map[string]int{}
	for _, c := range cols {
		for _, v := range c.frequent {
			for _, part := range strings.Split(v.Value, ",") {
				if part = strings.TrimSpace(part); part == "" {
					continue
				}
				if _, ok := seen[part]; !ok {
					order = append(order, part)
				}
				seen[part] += v.Count
			}
		}
	}
	for _, part := range order {
		fmt.Fprintf(b, "      %s: TODO   # seen %d times\n", strconv.Quote(part), seen[part])
	}
	for _, c := range cols {
		if c.Withheld != "" {
			fmt.Fprintf(b, "      # TODO: the values of column %s are not listed (%s): fill them from the source\n", comment(c.Name), comment(c.Withheld))
		} else if c.TopPartial || c.Distinct > len(c.frequent) {
			fmt.Fprintf(b, "      # TODO: values seen fewer than %d times are not listed: kantamig dry-run names every one no map covers\n", minCount)
			break
		}
	}
}

// comment makes text safe inside a YAML comment: one line.
func comment(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// localFormats are the date formats seen in a column that a mapping must
// name, the most frequent first: every one but ISO 8601, which is always
// read. A column may hold several (a workbook's date cells, which come as
// ISO dates, beside dates typed as text).
func localFormats(c *Column) []string {
	var out []string
	for k := range c.DateFormats {
		if !strings.HasPrefix(k, "yyyy-MM-dd") && k != "ISO 8601 with zone" {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := c.DateFormats[out[i]], c.DateFormats[out[j]]; a != b {
			return a > b
		}
		return out[i] < out[j]
	})
	return out
}

func columnNames(s *Source) string {
	var names []string
	for _, c := range s.Columns {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

var plainYAMLValue = regexp.MustCompile(`^[A-Za-z0-9_./][A-Za-z0-9_./@-]*$`)

// yamlValue writes a value (a file, a record path) plain when it is safe
// to, quoted otherwise.
func yamlValue(s string) string {
	if plainYAMLValue.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}

func yamlKey(s string) string {
	if plainYAMLKey.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}

// The source options a profile of files used, kept for the skeleton.
func delimiterOf(s *Source) string {
	if s.delimiter == "" {
		return ","
	}
	return s.delimiter
}

// encodingOf guesses windows-1252 when more values are invalid UTF-8 than
// are valid UTF-8 beyond ASCII (a few invalid ones in a UTF-8 file are
// records for the dry-run to reject, not the file's encoding).
func encodingOf(s *Source) string {
	if s.encoding != "" && s.encoding != "utf-8" {
		return s.encoding // read so, and the values were valid in it
	}
	invalid, nonASCII := 0, 0
	for _, c := range s.Columns {
		invalid += c.InvalidUTF8
		nonASCII += c.nonASCII
	}
	if invalid > nonASCII {
		return "windows-1252"
	}
	return "utf-8"
}

func recordOf(s *Source) string { return s.record }

// kindOf finds an entity kind by its key in the mapping file.
func kindOf(entityKey string) *entity.Kind {
	for _, k := range entity.Kinds {
		if k.Key == entityKey {
			return k
		}
	}
	return nil
}

// clientFromCase says whether a block of the entity (its key in the mapping
// file) may name its client through its case.
func clientFromCase(entityKey string) bool {
	k := kindOf(entityKey)
	return k != nil && k.ClientFromCase
}

// requiredTargets lists the fields a block of the entity (its key in the
// mapping file) must map: the required ones, and the client for the
// entities that name one (by key or identity code).
func requiredTargets(entityKey string) []string {
	var e kanta.Entity
	if k := kindOf(entityKey); k != nil {
		e = k.Entity
	}
	var out []string
	hasClient := false
	for _, t := range mapping.Targets() {
		if t.Entity != e {
			continue
		}
		if t.Required {
			out = append(out, t.Name)
		}
		hasClient = hasClient || t.Name == "client_identity_code" && e != kanta.EntityClient
	}
	if hasClient {
		out = append([]string{"client"}, out...)
	}
	return out
}
