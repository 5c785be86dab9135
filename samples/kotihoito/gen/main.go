// Command gen writes paatokset.xlsx, the decisions workbook of the second
// sample system (Kotihoito Lite), as its users kept it: one sheet, a header
// row, dates as Excel dates, one decision without a date, and the client
// named only by identity code. The rows are written here so that the
// workbook can be made again; samples/kotihoito/expected.json says what
// must become of each.
//
//	go run ./samples/kotihoito/gen -out samples/kotihoito/paatokset.xlsx
package main

import (
	"flag"
	"log"
	"time"

	"github.com/xuri/excelize/v2"
)

type decision struct {
	number     int
	hetu       string
	caseYear   int
	caseNumber int
	date       string // yyyy-mm-dd, "" for none
	title      string
	text       string
}

var decisions = []decision{
	{1001, "120338-912C", 2018, 1, "2018-02-15", "Päätös kotihoidosta", "Asiakkaalle myönnetään säännöllinen kotihoito kaksi kertaa päivässä."},
	{1002, "050741-9259", 2020, 1, "2020-01-20", "Päätös kotihoidosta", "Asiakkaalle myönnetään kotihoito aamuisin."},
	{1003, "050741-9259", 2020, 2, "2020-03-05", "Päätös päihdepalvelusta", "Asiakkaalle myönnetään avokuntoutus."},
	{1004, "300331-967Y", 2020, 1, "2020-04-01", "Päätös kotihoidosta", "Henkilötunnus, jota yhdelläkään asiakkaalla ei ole."},
	{1005, "230936-931D", 2021, 7, "", "Päätös kotihoidosta", "Päätös, jolta puuttuu päivämäärä."},
	{1006, "050741-9259", 2020, 1, "2024-02-01", "Päätös kotihoidon muuttamisesta", "Tehty liittymisen jälkeen: arkistoi asiakastietojärjestelmä."},
	{1007, "230936-931D", 2018, 1, "2021-06-01", "Päätös kotihoidosta", "Kirjattu toisen asiakkaan asiaan: väärä asianumero."},
}

func main() {
	out := flag.String("out", "samples/kotihoito/paatokset.xlsx", "workbook to write")
	flag.Parse()
	if err := write(*out); err != nil {
		log.Fatal(err)
	}
}

func write(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Päätökset"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return err
	}
	rows := [][]any{{"paatosnro", "hetu", "asia_vuosi", "asia_nro", "pvm", "otsikko", "teksti"}}
	for _, d := range decisions {
		var date any = ""
		if d.date != "" {
			at, err := time.Parse("2006-01-02", d.date)
			if err != nil {
				return err
			}
			date = excelize.Cell{StyleID: dateStyle, Value: at}
		}
		rows = append(rows, []any{d.number, d.hetu, d.caseYear, d.caseNumber, date, d.title, d.text})
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}
