#!/usr/bin/env bash
# Memory of kantamig profile over a 1,000,000-row source (make profile-1m): a generated CSV of client-like
# rows (key, identity code, names, a code, a date, 200 characters of text) profiled with its peak RSS,
# beside the same over 100,000 rows: the two figures should be about the same.
set -euo pipefail
BIN=${BIN:-bin/kantamig}
mkdir -p out
for n in 100000 1000000; do
  awk -v n="$n" 'BEGIN {
    srand(7); split("Virtanen Korhonen Nieminen Mäkinen Hämäläinen Laine Heikkinen Koskinen Järvinen Lehtonen", fam, " ")
    split("LP LS TA IP VP PH PO", code, " "); chars = "0123456789ABCDEFHJKLMNPRSTUVWXY"
    print "asnro;hetu;sukunimi;palvelu;alkupvm;muistio"
    for (i = 1; i <= n; i++) {
      d = 1 + int(rand() * 28); m = 1 + int(rand() * 12); y = int(rand() * 100)
      hetu = sprintf("%02d%02d%02d-9%02d%s", d, m, y, int(rand() * 100), substr(chars, 1 + int(rand() * 31), 1))
      text = ""; while (length(text) < 200) text = text sprintf("%x", int(rand() * 2^30)) " "
      printf "A%07d;%s;%s;%s;%02d.%02d.20%02d;%s\n", i, hetu, fam[1 + int(rand() * 10)], code[1 + int(rand() * 7)], d, m, int(rand() * 24), text
    }
  }' > "out/profile-$n.csv"
  /usr/bin/time -f "profile of $n rows: %e s, peak RSS %M KB" "$BIN" profile --report "out/profile-$n.xlsx" "out/profile-$n.csv" 2>&1 | grep -E '^profile of|records'
done
