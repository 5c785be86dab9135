package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// writeSQL writes the same legacy data as a MariaDB dump of a normalised
// database, shaped unlike the file export: clients, addresses, their service
// codes, cases and case members, documents and document texts, and code
// tables. Some columns are latin1, as in old systems; family names are kept
// as bytes (VARBINARY), which is how the planted Windows-1252 name survives.
// Keys are not unique where the old system never enforced them, so the
// planted duplicate rows exist here too. Rows carry rivi_id in the order of
// the file export, so that both sources are read in the same order.
func writeSQL(path string, clients []*client, dup *client, cases []*caseRow, docs []*docRow) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, `-- Sosiaalitoimi Classic 4.2 (fictional), a MariaDB dump made by samples/gen. Synthetic data only.
SET NAMES utf8mb4;
SET time_zone = "+00:00";
DROP TABLE IF EXISTS asiakirjateksti, asiakirja, asian_jasen, asia, asiakas_palvelu, osoite, asiakas, koodi_palvelu, koodi_asiakirjatyyppi;
CREATE TABLE koodi_palvelu (koodi VARCHAR(4) PRIMARY KEY, nimi VARCHAR(100) CHARACTER SET latin1) DEFAULT CHARSET=utf8mb4;
CREATE TABLE koodi_asiakirjatyyppi (koodi VARCHAR(6) PRIMARY KEY, nimi VARCHAR(100) CHARACTER SET latin1) DEFAULT CHARSET=utf8mb4;
CREATE TABLE asiakas (
  rivi_id INT PRIMARY KEY, asnro VARCHAR(10) NOT NULL, hetu CHAR(11), tilap_tunnus CHAR(11),
  sukunimi VARBINARY(100), etunimet VARCHAR(100) CHARACTER SET latin1, sukupuoli CHAR(1), turvakielto CHAR(1),
  alkupvm DATE, loppupvm DATE, loppusyy TEXT CHARACTER SET latin1, luotu TIMESTAMP NULL, KEY (asnro)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE osoite (asnro VARCHAR(10) PRIMARY KEY, kotikunta CHAR(3)) DEFAULT CHARSET=utf8mb4;
CREATE TABLE asiakas_palvelu (asnro VARCHAR(10), jarjestys INT, palvelu VARCHAR(4), PRIMARY KEY (asnro, jarjestys)) DEFAULT CHARSET=utf8mb4;
CREATE TABLE asia (rivi_id INT PRIMARY KEY, asia_id VARCHAR(10) NOT NULL, asian_nimi VARCHAR(6), tila VARCHAR(4),
  avattu DATE, suljettu DATE, palvelu VARCHAR(4), KEY (asia_id)) DEFAULT CHARSET=utf8mb4;
CREATE TABLE asian_jasen (asia_id VARCHAR(10), jarjestys INT, asnro VARCHAR(10), PRIMARY KEY (asia_id, jarjestys)) DEFAULT CHARSET=utf8mb4;
CREATE TABLE asiakirja (rivi_id INT PRIMARY KEY, id VARCHAR(10) NOT NULL, asnro VARCHAR(10), asia_id VARCHAR(10), tyyppi VARCHAR(6),
  palvelu VARCHAR(4), laadittu DATETIME, laatija_rekno VARCHAR(11), laatija_sukunimi VARCHAR(60) CHARACTER SET latin1,
  laatija_etunimet VARCHAR(60) CHARACTER SET latin1, laatija_nimike VARCHAR(60) CHARACTER SET latin1,
  korvaa VARCHAR(10), versio INT, KEY (id)) DEFAULT CHARSET=utf8mb4;
CREATE TABLE asiakirjateksti (asiakirja_rivi INT PRIMARY KEY, teksti MEDIUMTEXT CHARACTER SET latin1) DEFAULT CHARSET=utf8mb4;
INSERT INTO koodi_palvelu VALUES ('LP','Lapsiperheiden palvelut'),('LS','Lastensuojelu'),('TA','Työikäisten palvelut'),
  ('IP','Iäkkäiden palvelut'),('VP','Vammaispalvelut'),('PH','Päihdehuolto'),('PO','Perheoikeudelliset palvelut');
`)
	for _, t := range docTypes {
		fmt.Fprintf(w, "INSERT INTO koodi_asiakirjatyyppi VALUES (%s, %s);\n", lit(t), lit(t))
	}
	row := 0
	writeClient := func(c *client) {
		row++
		family := "'" + esc(c.family) + "'"
		if strings.HasSuffix(c.family, "\x01cp1252") {
			enc, _ := charmap.Windows1252.NewEncoder().String(strings.TrimSuffix(c.family, "\x01cp1252"))
			family = fmt.Sprintf("X'%x'", enc)
		}
		fmt.Fprintf(w, "INSERT INTO asiakas VALUES (%d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s);\n", row, lit(c.key), litNull(c.hetu), litNull(c.temp),
			family, lit(c.given), lit(c.sex), lit(c.nonDisclosure), dateLit(c.start), dateLit(c.end), litNull(c.endReason),
			tsLit(c.created))
	}
	for _, c := range clients {
		writeClient(c)
		if c == dup {
			writeClient(c)
		}
		fmt.Fprintf(w, "INSERT INTO osoite VALUES (%s, %s);\n", lit(c.key), lit(c.town))
		for i, s := range c.services {
			fmt.Fprintf(w, "INSERT INTO asiakas_palvelu VALUES (%s, %d, %s);\n", lit(c.key), i+1, lit(s))
		}
	}
	for i, k := range cases {
		fmt.Fprintf(w, "INSERT INTO asia VALUES (%d, %s, %s, %s, %s, %s, %s);\n", i+1, lit(k.key), lit(k.name), lit(k.status),
			dateLit(k.opened), dateLit(k.closed), lit(k.service))
		for j, member := range strings.Split(k.clients, ";") {
			fmt.Fprintf(w, "INSERT INTO asian_jasen VALUES (%s, %d, %s);\n", lit(k.key), j+1, lit(member))
		}
	}
	for i, d := range docs {
		version := "NULL"
		if d.version != "" {
			version = d.version
		}
		fmt.Fprintf(w, "INSERT INTO asiakirja VALUES (%d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s);\n", i+1, lit(d.key), lit(d.client),
			litNull(d.caseKey), lit(d.typ), lit(d.service), dtLit(d.drawn), lit(d.regNo), lit(d.author[0]), lit(d.author[1]),
			lit("sosiaalityöntekijä"), litNull(d.replaces), version)
		fmt.Fprintf(w, "INSERT INTO asiakirjateksti VALUES (%d, %s);\n", i+1, lit(d.text))
	}
	return w.Flush()
}

func esc(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `''`, "\n", `\n`, "\r", `\r`, "\x00", `\0`).Replace(s)
}

func lit(s string) string { return "'" + esc(s) + "'" }

func litNull(s string) string {
	if s == "" {
		return "NULL"
	}
	return lit(s)
}

func dateLit(t time.Time) string {
	if t.IsZero() {
		return "NULL"
	}
	return "'" + t.Format("2006-01-02") + "'"
}

func dtLit(t time.Time) string {
	if t.IsZero() {
		return "NULL"
	}
	return "'" + t.Format("2006-01-02 15:04:05") + "'"
}

// tsLit writes a TIMESTAMP as UTC (the dump's session is UTC): the midnight
// of the day in Helsinki.
func tsLit(t time.Time) string {
	if t.IsZero() {
		return "NULL"
	}
	loc, _ := time.LoadLocation("Europe/Helsinki")
	local := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return "'" + local.UTC().Format("2006-01-02 15:04:05") + "'"
}
