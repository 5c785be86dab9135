// Command gen writes the synthetic export of "Sosiaalitoimi Classic", the
// fictional old client system of the samples: clients as CSV, cases as an
// Excel workbook, documents as an XML export in Windows-1252, together with
// expected.json, which says what a correct migration must make of them.
//
// Every name is invented and every identity code uses an individual number in
// 900–999. A fixed seed makes the output the same on every machine. Besides
// ordinary records it plants one of each kind of bad record the tool must
// explain; expected.json lists them with the rule that must reject them.
//
//	go run ./samples/gen                       # the committed samples (320 clients)
//	go run ./samples/gen -n 100000 -out /tmp/big   # a larger set for benchmarks
//	go run ./samples/gen -n 630000 -long-text 1048576 -out /tmp/1m   # about 1M archive documents, one with 1 MB of text
//	go run ./samples/gen -n 100 -clients 48 -out samples/legacy-small  # the small sample the scenario tests run
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// Cutoff is the joining day the sample mapping declares.
var cutoff = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	familyNames = []string{"Testinen", "Kuvitelma", "Esimerkki", "Malliniemi", "Keksitty", "Harjoitus", "Koekäinen", "Demola", "Sepitelmä", "Näytelmä", "Otosmaa", "Kokeilu", "Leikkilä", "Tarinoja", "Väliaho", "Sijainen"}
	givenNames  = []string{"Aino", "Eino", "Helmi", "Toivo", "Lyydia", "Väinö", "Siiri", "Onni", "Hilja", "Eetu", "Ilona", "Aatos", "Kerttu", "Urho", "Elli", "Jalmari", "Saimi", "Oiva"}
	workers     = [][2]string{{"Sosiaali", "Sanna"}, {"Ohjaaja", "Olli"}, {"Työntekijä", "Tiina"}, {"Käsittelijä", "Kalle"}}
	towns       = []string{"091", "049", "092", "853", "837", "564", "179", "398", "297"}
	// Legacy service codes of the old system and the case names used in each.
	services = []struct{ code, caseName string }{
		{"LP", "PTA"}, {"LS", "LSA"}, {"TA", "JAR"}, {"IP", "PTA"}, {"VP", "JAR"}, {"PH", "JAR"}, {"PO", "ISY"},
	}
	// Legacy document type codes, one for each of the 17 general types.
	docTypes = []string{"ARV", "HAK", "ILM", "KUUL", "LASK", "LAUS", "LAH", "MS", "PYY", "PAA", "SEL", "SOP", "SUO", "SUUN", "YHT", "MUU", "MERK"}
	// Types whose structured form needs the identity code (temporary-id clients avoid them).
	needsHetu = map[string]bool{"ARV": true, "SUUN": true, "HAK": true, "LASK": true, "YHT": true, "MERK": true, "SEL": true}
	phrases   = []string{
		"Asiakas kertoi tilanteestaan puhelimitse.",
		"Kotikäynnillä todettiin, että arki sujuu tuettuna.",
		"Sovittiin seuraavasta tapaamisesta kuukauden päähän.",
		"Perheen kanssa käytiin läpi tukitoimien tavoitteet.",
		"Asiakas toivoo apua asumisen järjestelyihin.",
		"Yhteistyö koulun kanssa jatkuu, vastuuhenkilö on nimetty.",
		"Palvelutarve arvioidaan uudelleen puolen vuoden kuluttua.",
		"Asiakkaalle annettiin ohjausta etuuksien hakemisessa.",
	}
)

const checkChars = "0123456789ABCDEFHJKLMNPRSTUVWXY"

// Planted is a bad record and the rule that must catch it.
type Planted struct {
	Entity string `json:"entity"`
	Key    string `json:"key"`
	Rule   string `json:"rule"`
	What   string `json:"what"`
}

// Counts is what the migration must make of one entity.
type Counts struct {
	Extracted int `json:"extracted"`
	WouldLoad int `json:"would_load"`
	Rejected  int `json:"rejected"`
	Skipped   int `json:"skipped"`
}

// Expected is written to expected.json.
type Expected struct {
	Clients        Counts         `json:"client"`
	Cases          Counts         `json:"case"`
	Documents      Counts         `json:"document"`
	Rejects        []Planted      `json:"rejects"`
	Warnings       []Planted      `json:"warnings"`
	Consequences   []Planted      `json:"consequences"`
	DocumentsByTyp map[string]int `json:"would_load_by_legacy_type"`
	ServiceTasks   []string       `json:"legacy_service_codes"`
	RemovedChars   int            `json:"removed_xml_characters"`
}

type client struct {
	key, hetu, temp, family, given, sex, town, nonDisclosure string
	start, end                                               time.Time
	endReason                                                string
	services                                                 []string
	created                                                  time.Time
	ok                                                       bool
}

type caseRow struct {
	key, clients, name, status, service string
	opened, closed                      time.Time
	closedAsText                        bool
	ok, skipped                         bool
	owner                               *client
}

type docRow struct {
	key, client, caseKey, typ, service, title, text, replaces, version string
	drawn                                                              time.Time
	author                                                             [2]string
	regNo                                                              string
}

func hetu(r *rand.Rand, birth time.Time) string {
	n := 900 + r.IntN(100)
	body := birth.Format("020106")
	sign := "-"
	if birth.Year() >= 2000 {
		sign = "A"
		if r.IntN(10) == 0 {
			sign = "B"
		}
	} else if r.IntN(10) == 0 {
		sign = "Y"
	}
	return withCheck(body, sign, n)
}

func withCheck(body, sign string, n int) string {
	var num int
	fmt.Sscanf(fmt.Sprintf("%s%03d", body, n), "%d", &num)
	return fmt.Sprintf("%s%s%03d%c", body, sign, n, checkChars[num%31])
}

func day(r *rand.Rand, from, to int) time.Time {
	start := time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(to, 12, 31, 0, 0, 0, 0, time.UTC).Sub(start).Hours() / 24)
	return start.AddDate(0, 0, r.IntN(days))
}

func main() {
	n := flag.Int("n", 1200, "number of documents (about)")
	out := flag.String("out", "samples/legacy", "folder to write")
	sqlOut := flag.String("sql", "", "also write the same data as a MariaDB dump of a normalised legacy database to this file")
	minClients := flag.Int("clients", 320, "at least this many clients (the planted faults need 48)")
	longText := flag.Int("long-text", 0, "give one ordinary document a legacy text of this many bytes (a long diary exported as one entry), for memory benchmarks")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2024, 1))
	if *minClients < 48 {
		log.Fatal("-clients: the planted faults need at least 48 clients")
	}
	nClients := max(*minClients, *n/4)
	exp := Expected{DocumentsByTyp: map[string]int{}}
	for _, s := range services {
		exp.ServiceTasks = append(exp.ServiceTasks, s.code)
	}

	// Clients.
	var clients []*client
	usedHetu := map[string]bool{}
	for i := 1; i <= nClients; i++ {
		birth := day(r, 1935, 2019)
		c := &client{
			key: fmt.Sprintf("A%06d", i), family: familyNames[r.IntN(len(familyNames))],
			given: givenNames[r.IntN(len(givenNames))] + " " + givenNames[r.IntN(len(givenNames))],
			town:  towns[r.IntN(len(towns))], nonDisclosure: "E", ok: true,
		}
		c.hetu = hetu(r, birth)
		for usedHetu[c.hetu] { // one person, one client: identity codes are unique
			c.hetu = hetu(r, birth)
		}
		usedHetu[c.hetu] = true
		if r.IntN(2) == 0 {
			c.sex = "M"
		} else {
			c.sex = "N"
		}
		if r.IntN(25) == 0 {
			c.nonDisclosure = "K"
		}
		c.start = day(r, max(2005, birth.Year()), 2022)
		if r.IntN(4) == 0 {
			c.end = c.start.AddDate(r.IntN(5)+1, r.IntN(12), 0)
			if !c.end.Before(cutoff) {
				c.end = time.Time{}
			} else {
				c.endReason = "Asiakkuus päättyi, tuen tarve päättyi"
			}
		}
		k := 1 + r.IntN(2)
		for j := 0; j < k; j++ {
			// Every service code appears: the first clients take them in turn.
			s := services[(i+j*3)%len(services)].code
			if !contains(c.services, s) {
				c.services = append(c.services, s)
			}
		}
		c.created = c.start
		clients = append(clients, c)
	}
	plant := func(e, key, rule, what string) { exp.Rejects = append(exp.Rejects, Planted{e, key, rule, what}) }
	warn := func(e, key, rule, what string) { exp.Warnings = append(exp.Warnings, Planted{e, key, rule, what}) }
	// A consequence is a record rejected because a record it depends on was
	// rejected or skipped (rule client-not-loaded or case-not-loaded).
	consequence := func(e, key, what string) {
		exp.Consequences = append(exp.Consequences, Planted{e, key, "", what})
	}
	// Planted bad clients: they are ordinary rows with one fault each.
	clients[3].hetu = clients[3].hetu[:10] + string(nextCheck(clients[3].hetu[10]))
	clients[3].ok = false
	plant("client", clients[3].key, "hetu-check", "identity code with a wrong check character")
	clients[7].hetu = withCheck("310299", "-", 950)
	clients[7].ok = false
	plant("client", clients[7].key, "hetu-date", "identity code with an impossible date (31 February)")
	clients[11].family = "Mäkelä\x01cp1252" // marker replaced when writing: Windows-1252 bytes in a UTF-8 file
	clients[11].ok = false
	plant("client", clients[11].key, "encoding", "family name in Windows-1252 in a UTF-8 export")
	clients[15].family = ""
	clients[15].ok = false
	plant("client", clients[15].key, "required", "family name missing")
	clients[19].hetu, clients[19].temp = "", withCheck("150312", "A", 990)[:10]+"X"
	plant("client", clients[19].key, "old-relationship-identity-code", "client known only by a temporary identifier: an old relationship needs the identity code (national rule)")
	clients[23].endReason = "Muutti\x07 toiselle paikkakunnalle"
	clients[23].end = clients[23].start.AddDate(1, 0, 0)
	warn("client", clients[23].key, "xml-char", "a control character (U+0007) in the end reason")
	exp.RemovedChars = 1
	clients[27].start = time.Date(2024, 2, 12, 0, 0, 0, 0, time.UTC)
	clients[27].created, clients[27].end = clients[27].start, time.Time{}
	clients[27].ok = false // skipped, not rejected
	duplicateOf := clients[31]
	clients[35].hetu = clients[34].hetu
	clients[35].ok = false
	plant("client", clients[35].key, "duplicate-person", "the same person as the client before it, under another key")

	// Cases: one per service of each client, sometimes two.
	var cases []*caseRow
	caseNo := 0
	for _, c := range clients {
		for _, s := range c.services {
			for j := 0; j < 1+r.IntN(2)/1; j++ {
				caseNo++
				k := &caseRow{key: fmt.Sprintf("S%06d", caseNo), clients: c.key, service: s, name: caseNameFor(s), status: "KAS", ok: c.ok, owner: c}
				k.opened = c.start.AddDate(0, r.IntN(6), r.IntN(28))
				if !k.opened.Before(cutoff) {
					k.opened = c.start
				}
				if r.IntN(3) == 0 {
					k.closed = k.opened.AddDate(1, r.IntN(12), 0)
					if !k.closed.Before(cutoff) {
						k.closed = time.Time{}
					} else {
						k.status = "PAA"
					}
				}
				k.closedAsText = r.IntN(2) == 0
				cases = append(cases, k)
				if j == 0 {
					break
				}
			}
		}
	}
	// A shared case: two clients of the same family.
	shared := &caseRow{key: "S999001", clients: clients[40].key + ";" + clients[41].key, service: "LP", name: "PTA", status: "KAS",
		opened: later(clients[40].start, clients[41].start), ok: true, owner: clients[40]}
	cases = append(cases, shared)
	badCase := cases[50]
	for badCase.owner == nil || !badCase.ok {
		badCase = cases[len(cases)/2]
	}
	badCase.name, badCase.ok = "XYZ", false
	plant("case", badCase.key, "unmapped-code", "case name with a legacy code no value map covers")
	for _, k := range cases {
		switch {
		case !k.opened.Before(cutoff):
			k.ok, k.skipped = false, true
		case !k.owner.ok && k.ok:
			k.ok = false
			consequence("case", k.key, "case of a client that is not migrated")
		}
	}

	// Documents, spread over the cases, in the order they were drawn up.
	var docs []*docRow
	perCase := max(1, *n/len(cases))
	docNo := 0
	typeTurn := 0
	for _, k := range cases {
		owner := k.owner
		m := perCase
		if r.IntN(2) == 0 {
			m++
		}
		t := k.opened
		for j := 0; j < m; j++ {
			docNo++
			typ := docTypes[typeTurn%len(docTypes)]
			typeTurn++
			if owner.hetu == "" && needsHetu[typ] {
				typ = "MUU"
			}
			t = t.Add(time.Duration(24*(1+r.IntN(60)))*time.Hour + time.Duration(r.IntN(8*60))*time.Minute + 8*time.Hour)
			w := workers[r.IntN(len(workers))]
			d := &docRow{key: fmt.Sprintf("D%07d", docNo), client: owner.key, caseKey: k.key, typ: typ, service: k.service,
				title: "", text: text(r, 1+r.IntN(4)), drawn: t, author: w, regNo: fmt.Sprintf("%011d", 10000000000+int64(r.IntN(1e9)))}
			if !t.Before(cutoff) {
				d.drawn = cutoff.Add(time.Duration(r.IntN(200)) * 24 * time.Hour)
			}
			docs = append(docs, d)
			if j == 0 && k.ok && len(cases) > 0 && docNo%37 == 0 {
				// Written after joining: the client system archives these itself.
				docNo++
				late := *d
				late.key = fmt.Sprintf("D%07d", docNo)
				late.drawn = cutoff.Add(time.Duration(10+r.IntN(300)) * 24 * time.Hour)
				docs = append(docs, &late)
			}
			if r.IntN(40) == 0 && d.drawn.Before(cutoff.AddDate(0, 0, -60)) {
				docNo++
				v2 := *d
				v2.key = fmt.Sprintf("D%07d", docNo)
				v2.replaces, v2.version = d.key, "2"
				v2.drawn = d.drawn.Add(48 * time.Hour)
				v2.text = d.text + "\n\nKorjattu versio: päivämäärä tarkistettu."
				docs = append(docs, &v2)
			}
		}
	}
	// Planted bad documents.
	var okDocs []*docRow
	ix := caseIndex(cases)
	for _, d := range docs {
		if caseOK(ix, d.caseKey) && d.drawn.Before(cutoff) && d.replaces == "" {
			okDocs = append(okDocs, d)
		}
	}
	if *longText > 0 {
		// Made of whole paragraphs of the ordinary text, so that it reads like a long diary.
		long := okDocs[len(okDocs)/2]
		var b strings.Builder
		for b.Len() < *longText {
			b.WriteString(long.text)
			b.WriteString("\n\n")
		}
		cut := *longText
		for !utf8.RuneStart(b.String()[cut]) { // never split a character
			cut--
		}
		long.text = strings.TrimRight(b.String()[:cut], "\n ")
	}
	noCase := okDocs[10]
	noCase.caseKey = ""
	plant("document", noCase.key, "no-case", "document without a case")
	badType := okDocs[20]
	badType.typ = "XX9"
	plant("document", badType.key, "unmapped-code", "document type with a legacy code no value map covers")
	noDate := okDocs[30]
	noDate.drawn = time.Time{}
	plant("document", noDate.key, "missing-date", "document without its drawing-up time")
	dupDoc := *okDocs[40]
	plant("document", dupDoc.key, "duplicate-key", "the same document twice in the export")
	docs = append(docs, &dupDoc)
	notMember := okDocs[50]
	for other := 0; other < len(cases); other++ {
		if cases[other].ok && cases[other].clients != notMember.client && !strings.Contains(cases[other].clients, ";") {
			notMember.caseKey = cases[other].key
			break
		}
	}
	plant("document", notMember.key, "case-client", "document filed under another client's case")

	// An old relationship needs the identity code (a national rule): the
	// client known only by a temporary identifier is rejected, and its cases
	// and documents with it. Marked after the documents are made, so that the
	// sample data stay as they were before the rule was applied.
	tempOnly := clients[19]
	tempOnly.ok = false
	for _, k := range cases {
		if k.owner == tempOnly && k.ok {
			k.ok = false
			consequence("case", k.key, "case of a client that is not migrated")
		}
	}

	// Expected outcomes, computed from what was planted.
	planted := map[string]string{}
	for _, p := range exp.Rejects {
		planted[p.Entity+"/"+p.Key] = p.Rule
	}
	for _, c := range clients {
		exp.Clients.Extracted++
		switch {
		case c == clients[27]:
			exp.Clients.Skipped++
		case planted["client/"+c.key] != "":
			exp.Clients.Rejected++
		default:
			exp.Clients.WouldLoad++
		}
	}
	exp.Clients.Extracted++ // the duplicated line
	exp.Clients.Rejected++
	plant("client", duplicateOf.key, "duplicate-key", "the same client line twice in the export")
	for _, k := range cases {
		exp.Cases.Extracted++
		switch {
		case k.ok:
			exp.Cases.WouldLoad++
		case k.skipped:
			exp.Cases.Skipped++
		default:
			exp.Cases.Rejected++
		}
	}
	// The same order of judgement as the tool: duplicates, the record's own
	// faults, the cut-off, then what it depends on.
	seen := map[string]bool{}
	caseIx := caseIndex(cases)
	for _, d := range docs {
		exp.Documents.Extracted++
		switch {
		case seen[d.key]:
			exp.Documents.Rejected++
		case planted["document/"+d.key] != "" && planted["document/"+d.key] != "duplicate-key":
			exp.Documents.Rejected++
		case !d.drawn.Before(cutoff):
			exp.Documents.Skipped++
		case !caseOK(caseIx, d.caseKey):
			exp.Documents.Rejected++
			consequence("document", d.key, "document of a case or client that is not migrated")
		default:
			exp.Documents.WouldLoad++
			exp.DocumentsByTyp[d.typ]++
		}
		seen[d.key] = true
	}

	must(writeClients(filepath.Join(*out, "asiakkaat.csv"), clients, duplicateOf))
	must(writeCases(filepath.Join(*out, "asiat.xlsx"), cases))
	must(writeDocuments(filepath.Join(*out, "asiakirjat.xml"), docs))
	if *sqlOut != "" {
		must(writeSQL(*sqlOut, clients, duplicateOf, cases, docs))
	}
	data, _ := json.MarshalIndent(exp, "", "  ")
	must(os.WriteFile(filepath.Join(*out, "expected.json"), append(data, '\n'), 0o644))
	fmt.Printf("wrote %d clients, %d cases, %d documents to %s\n", exp.Clients.Extracted, exp.Cases.Extracted, exp.Documents.Extracted, *out)
}

func nextCheck(c byte) byte {
	i := strings.IndexByte(checkChars, c)
	return checkChars[(i+1)%len(checkChars)]
}

func caseNameFor(service string) string {
	for _, s := range services {
		if s.code == service {
			return s.caseName
		}
	}
	return "MUU"
}

// caseIndex finds a case by key: the first one with the key, as a search
// in file order would (a planted duplicate comes after its original).
func caseIndex(cases []*caseRow) map[string]*caseRow {
	ix := make(map[string]*caseRow, len(cases))
	for _, k := range cases {
		if _, ok := ix[k.key]; !ok {
			ix[k.key] = k
		}
	}
	return ix
}

func caseOK(ix map[string]*caseRow, key string) bool {
	k, ok := ix[key]
	return ok && k.ok
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func text(r *rand.Rand, paras int) string {
	var b strings.Builder
	for p := 0; p < paras; p++ {
		if p > 0 {
			b.WriteString("\n\n")
		}
		for s := 0; s < 3+r.IntN(4); s++ {
			if s > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(phrases[r.IntN(len(phrases))])
		}
	}
	return b.String()
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func fiDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("02.01.2006")
}

func writeClients(path string, clients []*client, dup *client) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "asnro;hetu;tilap_tunnus;sukunimi;etunimet;sukupuoli;kotikunta;turvakielto;alkupvm;loppupvm;loppusyy;palvelut")
	line := func(c *client) {
		family := c.family
		if strings.HasSuffix(family, "\x01cp1252") {
			enc, _ := charmap.Windows1252.NewEncoder().String(strings.TrimSuffix(family, "\x01cp1252"))
			family = enc
		}
		fmt.Fprintf(w, "%s;%s;%s;%s;%s;%s;%s;%s;%s;%s;%s;%s\n", c.key, c.hetu, c.temp, family, c.given, c.sex, c.town,
			c.nonDisclosure, fiDate(c.start), fiDate(c.end), c.endReason, strings.Join(c.services, ","))
	}
	for _, c := range clients {
		line(c)
		if c == dup {
			line(c)
		}
	}
	return w.Flush()
}

func writeCases(path string, cases []*caseRow) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Asiat"
	f.SetSheetName("Sheet1", sheet)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err := sw.SetRow("A1", []any{"asia_id", "asiakkaat", "asian_nimi", "tila", "avattu", "suljettu", "palvelu"}); err != nil {
		return err
	}
	for i, k := range cases {
		var closed any
		switch {
		case k.closed.IsZero():
			closed = ""
		case k.closedAsText:
			closed = fiDate(k.closed) // dates stored as text, as old exports often have them
		default:
			closed = excelize.Cell{StyleID: dateStyle, Value: k.closed}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		row := []any{k.key, k.clients, k.name, k.status, excelize.Cell{StyleID: dateStyle, Value: k.opened}, closed, k.service}
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}

func writeDocuments(path string, docs []*docRow) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w := charmap.Windows1252.NewEncoder().Writer(bw)
	fmt.Fprintln(w, `<?xml version="1.0" encoding="windows-1252"?>`)
	fmt.Fprintln(w, "<vienti jarjestelma=\"Sosiaalitoimi Classic 4.2\">")
	fmt.Fprintln(w, "<asiakirjat>")
	for _, d := range docs {
		fmt.Fprintf(w, "<asiakirja id=\"%s\">\n", d.key)
		fmt.Fprintf(w, "  <asiakas>%s</asiakas>\n  <asia>%s</asia>\n  <tyyppi>%s</tyyppi>\n  <palvelu>%s</palvelu>\n", d.client, d.caseKey, d.typ, d.service)
		drawn := ""
		if !d.drawn.IsZero() {
			drawn = d.drawn.Format("2006-01-02T15:04:05")
		}
		fmt.Fprintf(w, "  <laadittu>%s</laadittu>\n", drawn)
		fmt.Fprintf(w, "  <laatija rekno=\"%s\"><sukunimi>%s</sukunimi><etunimet>%s</etunimet><nimike>sosiaalityöntekijä</nimike></laatija>\n", d.regNo, d.author[0], d.author[1])
		if d.replaces != "" {
			fmt.Fprintf(w, "  <korvaa>%s</korvaa>\n  <versio>%s</versio>\n", d.replaces, d.version)
		}
		fmt.Fprintf(w, "  <teksti>%s</teksti>\n", xmlEscape(d.text))
		fmt.Fprintln(w, "</asiakirja>")
	}
	fmt.Fprintln(w, "</asiakirjat>")
	fmt.Fprintln(w, "</vienti>")
	return bw.Flush()
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
