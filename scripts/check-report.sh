#!/usr/bin/env bash
# Renders the tour's HTML report in headless Chromium and checks that every figure is present
# and drawn: each <figure> holds an inline <svg> whose bounding box is not empty and that draws
# at least one line, and no image is broken.
#
#   bash scripts/check-report.sh            # needs Debian's `chromium` (apt-get install chromium)
#
# It writes the report to a temporary directory, adds a small checking script to a copy of the
# page, lets Chromium run it, and reads the verdict back from the rendered DOM.
set -euo pipefail
cd "$(dirname "$0")/.."

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "check-report: chromium not found (apt-get install chromium)" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --release --quiet -- tour --quiet --out "$work/report" > /dev/null

# The page, plus a script that measures every figure once the page has laid out.
sed 's#</body>#<script>\
window.addEventListener("load", () => {\
  const figures = [...document.querySelectorAll("figure")];\
  const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length;\
  const rows = figures.map(f => {\
    const svg = f.querySelector("svg");\
    if (!svg) return f.id + " missing";\
    const box = svg.getBoundingClientRect();\
    const lines = svg.querySelectorAll("polyline, path, line").length;\
    return f.id + " " + Math.round(box.width) + "x" + Math.round(box.height) + " lines=" + lines;\
  });\
  const pre = document.createElement("pre");\
  pre.id = "check";\
  pre.textContent = "figures=" + figures.length + " broken=" + broken + "\\n" + rows.join("\\n");\
  document.body.appendChild(pre);\
});\
</script></body>#' "$work/report/index.html" > "$work/report/check.html"

"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --virtual-time-budget=5000 \
  --dump-dom "file://$work/report/check.html" 2>/dev/null > "$work/dom.html"

verdict=$(python3 - "$work/dom.html" "$work/report/index.html" <<'PY'
import html, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
page = open(sys.argv[2], encoding="utf-8").read()
m = re.search(r'<pre id="check">(.*?)</pre>', dom, re.S)
if not m:
    print("FAIL: the checking script did not run (no verdict in the DOM)")
    sys.exit(1)
text = html.unescape(m.group(1))
print(text)
lines = text.splitlines()
head = dict(kv.split("=") for kv in lines[0].split())
expected = len(re.findall(r"<figure id=", page))
ok = int(head["figures"]) == expected and expected > 0 and head["broken"] == "0"
for row in lines[1:]:
    name, *rest = row.split()
    if rest == ["missing"]:
        ok = False
        continue
    w, h = map(int, rest[0].split("x"))
    n = int(rest[1].split("=")[1])
    ok &= w > 0 and h > 0 and n > 0
print("OK" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
)
echo "$verdict"
