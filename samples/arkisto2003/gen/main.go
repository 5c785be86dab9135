// Command gen writes the third sample system, Asiakasarkisto 2003 (fictional):
// a vendor's export of the 2000s, as a migration team receives it. A
// database (MariaDB standing in for SQL Server: arkisto2003.sql) holds the
// clients, their notes with texts in a BLOB column as the system's editor
// wrote them (RTF from a word-processor component, HTML from the later web
// front end) beside the length the application recorded, and a table of
// documents whose rows name files on a share (tiedostot/, Windows paths):
// PDFs printed by the system, a Word decision from a template, TIFF scans.
// Planted among them, each for a rule to catch: an RTF cut short, HTML
// that declares UTF-8 and holds Windows-1252, a damaged PDF, a
// password-protected PDF, a legacy Word .doc, a photo, a file not copied
// with the export, a path leading out of the share. Synthetic data only:
// identity codes use individual numbers 900-999.
// samples/arkisto2003/expected.json says, by hand, what must become of each.
//
//	go run ./samples/arkisto2003/gen -out samples/arkisto2003
package main

import (
	"archive/zip"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/kantamig/kantamig/pdfa/pdfatest"
)

type client struct {
	id                  int
	hetu, family, given string
	start, service      string
}

var clients = []client{
	{1, "120375-912X", "Laine", "Laura", "2003-09-01", "LP"},
	{2, "030807A934A", "Laine", "Leo", "2008-01-15", "LS"},
	{3, "251160-957B", "Mäkinen", "Matti", "2007-11-01", "PH"},
	{4, "170902A9413", "Nieminen", "Nelli", "2004-01-10", "LS"},
}

type note struct {
	id, client     int
	at, author     string
	title, format  string
	text           []byte
	recordedLength int // the length the application recorded; 0: len(text)
}

// rtfLong is a note long enough that the export cut it.
var rtfLong = `{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}\f0\fs20 {\b Kotik\'e4ynti 20.5.2009}\par ` +
	strings.Repeat(`Perheen tilanne k\'e4ytiin l\'e4pi yhdess\'e4 vanhempien kanssa; lapsen arki sujuu p\'e4iv\'e4kodissa hyvin. \par `, 12) + `}`

var notes = []note{
	{101, 1, "2005-03-14 09:30:00", "Salo Saara", "Tapaaminen kotona", "rtf", []byte(`{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}\f0\fs20 ` +
		`{\b Tapaaminen} kotona 14.3.2005.\par\par ` +
		`Laura kertoi, ett\'e4 arki sujuu. {\i Lapsen p\'e4iv\'e4hoito} alkaa syksyll\'e4.\line Seuraava tapaaminen sovittiin.\par ` +
		`\trowd\cellx3000\cellx6000 Asia\cell Sovittu\cell\row ` +
		`\trowd\cellx3000\cellx6000 P\'e4iv\'e4hoito\cell Haetaan elokuussa\cell\row }`), 0},
	{102, 1, "2006-09-01 14:00:00", "Salo Saara", "Toimeentulotuen tarve", "rtf", []byte(`{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times New Roman;}}\f0 ` +
		`\'c4iti kertoi kulujen nousseen 120 \'80 kuukaudessa \'96 \'93v\'e4liaikaisesti\'94.\par ` +
		`\u197?land-matka perutaan; \'d6ljyl\'e4mmityksen lasku \'e5tminstone 300 \u8364?.\par }`), 0},
	{103, 2, "2009-05-20 10:00:00", "Koski Kaisa", "Kotikäynti", "rtf", []byte(rtfLong[:len(rtfLong)*3/5]), len(rtfLong)},
	{104, 3, "2008-01-10 11:15:00", "Virta Ville", "Päihdetyön tapaaminen", "html", []byte(`<html><head><meta charset="utf-8"><title>Merkintä</title>` +
		`<script>alert('x')</script></head><body><h2>Päihdetyön tapaaminen</h2><p>Matti kävi vastaanotolla. <b>Raittiina</b> kaksi viikkoa.</p>` +
		`<ul><li>Jatketaan avohoitoa</li><li>Seuraava käynti 24.1.2008</li></ul><img src="http://intranet/kuva.gif"></body></html>`), 0},
	{105, 3, "2008-02-11 13:45:00", "Virta Ville", "Lausunto", "html", []byte("<html><head><meta charset=\"utf-8\"></head><body>" +
		"<p>P\xe4ihdeklinikan lausunto: hoito jatkuu, maksusitoumus 200 \x80.</p></body></html>"), 0},
	{106, 2, "2010-11-30 08:00:00", "Koski Kaisa", "Ilmoituksen käsittely", "html", []byte("<p>Lastensuojeluilmoitus k\xe4sitelty. \x93Huoli\x94 arvioitu \x96 ei jatkotoimia.</p>"), 0},
	{107, 4, "2005-06-01 10:00:00", "Koski Kaisa", "Tapaaminen koulussa", "rtf", []byte(`{\rtf1\ansi\ansicpg1252 Nelli tapasi kuraattorin. Poissaolot ovat v\'e4hentyneet.\par }`), 0},
	{108, 4, "2024-02-01 10:00:00", "Koski Kaisa", "Tapaaminen", "rtf", []byte(`{\rtf1\ansi Kirjattu liittymisen j\'e4lkeen.\par }`), 0},
}

type file struct {
	id, client  int
	kind, date  string
	title, path string
	data        []byte // nil: not copied with the export
	attachedTo  int    // the document it is an attachment of, 0 for none
}

func main() {
	out := flag.String("out", "samples/arkisto2003", "folder to write into")
	flag.Parse()
	if err := write(*out); err != nil {
		log.Fatal(err)
	}
}

func write(dir string) error {
	damaged := pdfatest.TextPDF("Hakemus: lasten päivähoito", "Hakija: Laine Leo (huoltaja)")
	// Bytes overwritten in place on the share: the file keeps its size,
	// its cross-reference table is garbage.
	x := bytes.LastIndex(damaged, []byte("xref"))
	copy(damaged[x:], bytes.Repeat([]byte{0xA5}, 60))
	files := []file{
		{201, 1, "HAK", "2004-02-02", "Hakemus: lasten päivähoito", `2004\hakemus-2004.pdf`, pdfatest.TextPDF("Hakemus: lasten päivähoito", "Hakija: Laine Laura", "Päivähoito alkaen 1.8.2004", "Äiti ja isä ovat työssä; hoitoaika 7–16."), 0},
		{202, 1, "PAA", "2004-03-01", "Päätös päivähoidosta", `2004\paatos-2004.docx`, decision(), 0},
		{203, 2, "LAU", "2009-06-15", "Lausunto (skannattu)", `2009\lausunto-skannattu.tif`, pdfatest.TIFF(420, 594), 0},
		{204, 2, "HAK", "2009-04-01", "Hakemus", `2009\hakemus-vaurioitunut.pdf`, damaged, 0},
		{205, 3, "PAA", "2008-05-05", "Päätös maksusitoumuksesta", `2008\paatos-salattu.pdf`, pdfatest.ProtectedPDF("Salasana2008", "Päätös: maksusitoumus myönnetään"), 0},
		{206, 3, "LAU", "2008-06-06", "Kirje", `2008\kirje.doc`, legacyDoc(), 0},
		{207, 3, "HAK", "2008-07-07", "Hakemus", `2008\hakemus-2008.pdf`, nil, 0},
		{208, 1, "PAA", "2005-08-08", "Päätös", `..\..\palvelin\palkat.pdf`, nil, 0},
		{209, 4, "LAU", "2006-01-01", "Valokuva lausunnon liitteeksi", `2006\valokuva.png`, photo(), 0},
		{210, 4, "HAK", "2005-02-01", "Hakemus: koulunkäyntiavustaja", `2005\hakemus-2005.pdf`, pdfatest.TextPDF("Hakemus: koulunkäyntiavustaja", "Hakija: Nieminen Nelli (huoltaja)"), 0},
		// The scanned application behind decision 202, dated before it.
		{211, 1, "HAK", "2004-02-20", "Hakemuksen liite (skannattu)", `2004\hakemus-liite.tif`, pdfatest.TIFF(300, 420), 202},
		// A statement written as a plain-text file in Windows-1252.
		{213, 3, "LAU", "2008-01-20", "Lausunto (tekstitiedosto)", `2008\lausunto-2008.txt`, []byte("Lausunto: Matti k\xe4y s\xe4\xe4nn\xf6llisesti vastaanotolla \x96 \x93hoito jatkuu\x94.\r\n"), 0},
		// An attachment of decision 205, whose PDF cannot be carried.
		{212, 3, "LAU", "2008-05-02", "Lausunto päätöksen liitteenä", `2008\lausunto-liite.pdf`, pdfatest.TextPDF("Lausunto", "Hoito jatkuu"), 205},
	}
	root := filepath.Join(dir, "tiedostot")
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	for _, f := range files {
		if f.data == nil {
			continue
		}
		path := filepath.Join(root, filepath.FromSlash(strings.ReplaceAll(f.path, `\`, "/")))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "arkisto2003.sql"), dump(files), 0o644)
}

func dump(files []file) []byte {
	var b bytes.Buffer
	b.WriteString(`-- Asiakasarkisto 2003 (fictional), its database as the vendor dumps it; written by samples/arkisto2003/gen.
-- MariaDB stands in for the SQL Server the system ran on. The notes' texts are BLOBs as the editor wrote
-- them (muoto: rtf or html), with the length the application recorded; the documents' files are on a
-- share (tiedostot/), named by Windows paths, with the size the application recorded; an attachment
-- names the document it belongs to (liite_kohde).
-- Synthetic data only: identity codes use individual numbers 900-999.
-- samples/arkisto2003/expected.json says what a correct migration makes of every row.
SET NAMES utf8mb4;
DROP TABLE IF EXISTS asiakirja, muistio, asiakas;
CREATE TABLE asiakas (
  asiakas_id INT PRIMARY KEY, hetu CHAR(11), sukunimi VARCHAR(60), etunimet VARCHAR(60), alkoi DATE, palvelu VARCHAR(4)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE muistio (
  muistio_id INT PRIMARY KEY, asiakas_id INT NOT NULL, kirjattu DATETIME, laatija VARCHAR(80), otsikko VARCHAR(200),
  muoto VARCHAR(8), teksti LONGBLOB, teksti_pituus INT
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE asiakirja (
  asiakirja_id INT PRIMARY KEY, asiakas_id INT NOT NULL, laji CHAR(3), pvm DATE, otsikko VARCHAR(200),
  tiedosto VARCHAR(255), koko INT, liite_kohde INT NULL
) DEFAULT CHARSET=utf8mb4;
`)
	for _, c := range clients {
		fmt.Fprintf(&b, "INSERT INTO asiakas VALUES (%d, '%s', '%s', '%s', '%s', '%s');\n", c.id, c.hetu, c.family, c.given, c.start, c.service)
	}
	for _, n := range notes {
		length := n.recordedLength
		if length == 0 {
			length = len(n.text)
		}
		fmt.Fprintf(&b, "INSERT INTO muistio VALUES (%d, %d, '%s', '%s', '%s', '%s', X'%s', %d);\n", n.id, n.client, n.at, n.author, n.title, n.format, hex.EncodeToString(n.text), length)
	}
	for _, f := range files {
		size := len(f.data)
		if f.data == nil {
			size = 48213 // what the application recorded for a file not copied
		}
		parent := "NULL"
		if f.attachedTo != 0 {
			parent = fmt.Sprint(f.attachedTo)
		}
		fmt.Fprintf(&b, "INSERT INTO asiakirja VALUES (%d, %d, '%s', '%s', '%s', '%s', %d, %s);\n", f.id, f.client, f.kind, f.date, f.title, strings.ReplaceAll(f.path, `\`, `\\`), size, parent)
	}
	return b.Bytes()
}

// decision is a Word decision made from a template: a heading, the
// decision, its grounds as a list, and the fees as a table.
func decision() []byte {
	const w = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	p := func(style, text string) string {
		s := ""
		if style != "" {
			s = `<w:pPr><w:pStyle w:val="` + style + `"/></w:pPr>`
		}
		return `<w:p>` + s + `<w:r><w:t xml:space="preserve">` + text + `</w:t></w:r></w:p>`
	}
	cell := func(text string) string { return `<w:tc><w:p><w:r><w:t>` + text + `</w:t></w:r></w:p></w:tc>` }
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ` + w + `><w:body>` +
		p("Otsikko1", "Päätös päivähoidosta") +
		`<w:p><w:r><w:t xml:space="preserve">Laine Laura: lapselle myönnetään </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>kokopäivähoito</w:t></w:r><w:r><w:t xml:space="preserve"> 1.8.2004 alkaen.</w:t></w:r></w:p>` +
		p("Luettelokappale", "Molemmat huoltajat ovat työssä.") +
		p("Luettelokappale", "Hoitopaikka Päiväkoti Päivänsäde.") +
		`<w:tbl><w:tr>` + cell("Maksu") + cell("Euroa/kk") + `</w:tr><w:tr>` + cell("Kokopäivähoito") + cell("200") + `</w:tr></w:tbl>` +
		p("", "Muutoksenhaku: oikaisuvaatimus 14 päivän kuluessa.") +
		`<w:sectPr/></w:body></w:document>`
	styles := `<?xml version="1.0" encoding="UTF-8"?><w:styles ` + w + `>` +
		`<w:style w:type="paragraph" w:styleId="Otsikko1"><w:name w:val="heading 1"/></w:style>` +
		`<w:style w:type="paragraph" w:styleId="Luettelokappale"><w:name w:val="List Paragraph"/></w:style></w:styles>`
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, part := range []struct{ name, content string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"word/document.xml", doc},
		{"word/styles.xml", styles},
	} {
		zf, _ := zw.Create(part.name)
		zf.Write([]byte(part.content))
	}
	zw.Close()
	return buf.Bytes()
}

// legacyDoc is the start of a Word 97-2003 file: an OLE compound file.
func legacyDoc() []byte {
	b := []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
	return append(b, bytes.Repeat([]byte{0x00, 0xfe, 0xff, 0x03}, 128)...)
}

// photo is a small grey picture, as a camera's attachment would be.
func photo() []byte {
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := 0; i < 16; i++ {
		img.SetGray(i, i, color.Gray{Y: 200})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}
