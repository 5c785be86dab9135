package profile

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
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
		{target: "given_names", name: re(`etunim|first_?name|given`)},
		{target: "sex", name: re(`sukupuoli|^sex$|gender`), codes: "sex"},
		{target: "home_municipality", name: re(`kotikunta|kunta|municipality`)},
		{target: "non_disclosure", name: re(`turvakielto|disclosure`)},
		{target: "relationship_start", name: re(`alku|alkaen|start`), date: true},
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
	"documents": {
		{target: "client", name: re(`^asiakas$|asiakas_?(id|nro)|^client`)},
		{target: "case", name: re(`^asia$|asia_?(id|nro)|^case`)},
		{target: "type", name: re(`tyyppi|type|laji`), codes: "document-type"},
		{target: "service_task", name: re(`palvelu|service`), codes: "service-task"},
		{target: "drawn_up", name: re(`laadittu|kirjattu|pvm|date|created`), date: true},
		{target: "author_id", name: re(`(laatija|author).*(rekno|id|nro)`)},
		{target: "author_family_name", name: re(`(laatija|author).*(suku|last|family)`)},
		{target: "author_given_names", name: re(`(laatija|author).*(etunim|first|given)`)},
		{target: "author_title", name: re(`nimike|title`)},
		{target: "replaces", name: re(`korvaa|replaces`)},
		{target: "version", name: re(`versio`)},
		{target: "text", name: re(`teksti|text|sisalto|sisältö|kuvaus`)},
	},
}

var caseName = re(`avattu|suljettu|asia|case|opened`)

var plainYAMLKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_/]*$`)

var keyName = re(`^@?id$|(asnro|asiakasnro|asia_?id|asianro|asiakirja_?id|doc_?id|client_?id|case_?id|_id$|^@id$)`)

// entityOf guesses the entity a source holds, with the reason.
func entityOf(s *Source) (string, string) {
	for _, c := range s.Columns {
		if c.IdentityCodes != nil && c.IdentityCodes.Valid*2 >= c.Filled && c.Filled > 0 && c.FillRate > 0.5 {
			return "clients", fmt.Sprintf("column %s holds identity codes in %.0f%% of the records", c.Name, 100*c.FillRate)
		}
	}
	for _, c := range s.Columns {
		if c.MeanLength > 100 {
			return "documents", fmt.Sprintf("column %s holds long text (%.0f characters on average)", c.Name, c.MeanLength)
		}
	}
	for _, c := range s.Columns {
		if caseName.MatchString(c.Name) {
			return "cases", fmt.Sprintf("column %s is named like a case's", c.Name)
		}
	}
	return "", ""
}

// WriteSkeleton writes a first mapping for the profiled files.
func WriteSkeleton(p *Profile, path string) error {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# A first mapping written by kantamig profile --init from %d file(s), %s.\n", len(p.Sources), p.Generated.Format("2006-01-02"))
	w("# Every line marked GUESS was guessed from a column's name or content: read each one. Every TODO is a gap:\n")
	w("# kantamig check refuses this file until none is left. docs/mapping.md documents every key.\n")
	w("version: 1\nsystem: TODO the old system's name and version\n\n")
	w("organisation:\n  custodian: {oid: TODO, name: TODO}\n  service_unit: {oid: TODO, name: TODO}\n  oid_root: TODO\n\n")
	w("cutoff: TODO              # the day the organisation joined the archive, yyyy-MM-dd\n")
	w("timezone: Europe/Helsinki # GUESS: the old system's local times\n\n")

	dir := filepath.Dir(path)
	var sources, blocks, maps strings.Builder
	mapNames := map[string]bool{}
	for _, s := range p.Sources {
		file, err := filepath.Rel(dir, s.Where)
		if err != nil {
			file = s.Where
		}
		switch s.Kind {
		case "csv":
			fmt.Fprintf(&sources, "  %s: {kind: csv, file: %s, delimiter: %s, encoding: %s}", s.Name, file, strconv.Quote(delimiterOf(s)), encodingOf(s))
			fmt.Fprintf(&sources, "   # GUESS: delimiter from the header line; encoding from the bytes\n")
		case "xml":
			fmt.Fprintf(&sources, "  %s: {kind: xml, file: %s, record: %s}   # GUESS: the repeated record element\n", s.Name, file, recordOf(s))
		default:
			fmt.Fprintf(&sources, "  %s: {kind: %s, file: %s}\n", s.Name, s.Kind, file)
		}
		entity, why := entityOf(s)
		if entity == "" {
			fmt.Fprintf(&blocks, "# TODO: which entity does source %s hold? Its columns: %s\n\n", s.Name, columnNames(s))
			continue
		}
		fmt.Fprintf(&blocks, "%s:   # GUESS: %s\n  source: %s\n", entity, why, s.Name)
		used := map[string]bool{}
		var keyCol *Column
		for _, c := range s.Columns {
			// Named like a key, filled and distinct in (nearly) every record:
			// the few duplicates a real export has are the dry-run's to reject.
			if keyName.MatchString(c.Name) && c.FillRate >= 0.99 && (c.DistinctMore || float64(c.Distinct) >= 0.99*float64(c.Filled)) {
				keyCol = c
				break
			}
		}
		if keyCol == nil {
			fmt.Fprintf(&blocks, "  key: TODO   # no column named like a key is filled and distinct in nearly every record: name the key column(s)\n")
		} else {
			used[keyCol.Name] = true
			dup := ""
			if !keyCol.DistinctMore && keyCol.Distinct < keyCol.Filled {
				dup = fmt.Sprintf("; %d record(s) repeat a key, which the dry-run rejects (duplicate-key)", keyCol.Filled-keyCol.Distinct)
			}
			fmt.Fprintf(&blocks, "  key: %s   # GUESS: named like a key, filled in %.0f%% of %d records%s\n", yamlKey(keyCol.Name), 100*keyCol.FillRate, s.Records, dup)
		}
		fmt.Fprintf(&blocks, "  fields:\n")
		for _, g := range entityFields[entity] {
			col := findColumn(s, g, used)
			if col == nil {
				continue
			}
			used[col.Name] = true
			spec, why := yamlKey(col.Name), fmt.Sprintf("column %s, filled in %.0f%% of the records", col.Name, 100*col.FillRate)
			if g.date && col.Dates > 0 {
				if f := mainFormat(col); f != "" && !strings.HasPrefix(f, "yyyy-MM-dd") && f != "ISO 8601 with zone" {
					spec = fmt.Sprintf("{from: %s, date: %s}", yamlKey(col.Name), f)
					why += ", dates " + f
				}
			}
			if g.codes != "" {
				mapName := sourceName(col.Name)
				if mapNames[mapName] { // the same column name in another source
					mapName += "_" + s.Name
				}
				mapNames[mapName] = true
				split := ""
				for _, v := range col.Top {
					if strings.Contains(v.Value, ",") {
						split = ", split: \",\""
						why += ", several codes in one value"
						break
					}
				}
				spec = fmt.Sprintf("{from: %s%s, map: %s}", yamlKey(col.Name), split, mapName)
				writeValueMap(&maps, mapName, g.codes, col, p.MinCount)
			}
			fmt.Fprintf(&blocks, "    %s: %s   # GUESS: %s\n", g.target, spec, why)
		}
		var rest []string
		for _, c := range s.Columns {
			if !used[c.Name] {
				rest = append(rest, c.Name)
			}
		}
		if len(rest) > 0 {
			fmt.Fprintf(&blocks, "  # TODO: columns not placed: %s\n", strings.Join(rest, ", "))
		}
		blocks.WriteString("\n")
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

func findColumn(s *Source, g guess, used map[string]bool) *Column {
	for _, c := range s.Columns {
		if !used[c.Name] && g.name.MatchString(c.Name) && c.Filled > 0 {
			return c
		}
	}
	return nil
}

func writeValueMap(b *strings.Builder, name, codeSet string, c *Column, minCount int) {
	fmt.Fprintf(b, "  %s:   # GUESS: column %s has %d distinct values\n    code_set: %s   # GUESS\n    values:\n", name, c.Name, c.Distinct, codeSet)
	seen := map[string]bool{}
	for _, v := range c.Top {
		for _, part := range strings.Split(v.Value, ",") {
			if part = strings.TrimSpace(part); part != "" && !seen[part] {
				seen[part] = true
				fmt.Fprintf(b, "      %s: TODO   # seen %d times\n", strconv.Quote(part), v.Count)
			}
		}
	}
	if c.TopPartial || c.Distinct > len(c.Top) {
		fmt.Fprintf(b, "      # TODO: values seen fewer than %d times, or beyond the most frequent, are not listed: kantamig dry-run names every one no map covers\n", minCount)
	}
}

func mainFormat(c *Column) string {
	best, n := "", 0
	keys := make([]string, 0, len(c.DateFormats))
	for k := range c.DateFormats {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if c.DateFormats[k] > n {
			best, n = k, c.DateFormats[k]
		}
	}
	return best
}

func columnNames(s *Source) string {
	var names []string
	for _, c := range s.Columns {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
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
