# sgr.awk — count half-block cells (▀) drawn with the terminal's default
# foreground or background in `tmux capture-pane -e` output: prints
# "CELLS DEFAULT_FG DEFAULT_BG".
BEGIN { fg = bg = 0; cells = dfg = dbg = 0 }
{
	fg = bg = 0
	n = split($0, seg, "\033")
	for (k = 1; k <= n; k++) {
		s = seg[k]
		text = s
		if (k > 1 && substr(s, 1, 1) == "[") {
			end = match(s, /[A-Za-z]/)
			code = substr(s, 2, end - 2)
			text = substr(s, end + 1)
			if (substr(s, end, 1) == "m") {
				np = split(code, p, ";")
				if (np == 0 || code == "") { fg = bg = 0 }
				for (i = 1; i <= np; i++) {
					v = p[i] + 0
					if (v == 0) fg = bg = 0
					else if (v == 39) fg = 0
					else if (v == 49) bg = 0
					else if (v == 38 || v == 48) {
						if (p[i + 1] == 5) { i += 2 } else if (p[i + 1] == 2) { i += 4 }
						if (v == 38) fg = 1; else bg = 1
					} else if ((v >= 30 && v <= 37) || (v >= 90 && v <= 97)) fg = 1
					else if ((v >= 40 && v <= 47) || (v >= 100 && v <= 107)) bg = 1
				}
			}
		}
		c = gsub(/▀/, "", text)
		cells += c
		if (!fg) dfg += c
		if (!bg) dbg += c
	}
}
END { print cells, dfg, dbg }
