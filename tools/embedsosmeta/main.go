// Command embedsosmeta packs a folder of Sosmeta JSON Schemas (the national
// export) into the zip file that kantamig carries as its default schemas
// (transform/builtinschemas), deterministically: names sorted, fixed
// times, so that the same export gives the same bytes.
//
//	go run ./tools/embedsosmeta -from ../shared/sosmeta -out transform/builtinschemas/sosmeta.zip
package main

import (
	"archive/zip"
	"bytes"
	"flag"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	from := flag.String("from", "../shared/sosmeta", "folder of the Sosmeta export")
	out := flag.String("out", "transform/builtinschemas/sosmeta.zip", "zip to write")
	flag.Parse()
	entries, err := os.ReadDir(*from)
	if err != nil {
		log.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	stamp := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(*from, n))
		if err != nil {
			log.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: stamp})
		if err != nil {
			log.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			log.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d schemas, %d bytes, in %s", len(names), buf.Len(), *out)
}
