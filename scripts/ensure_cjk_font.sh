#!/usr/bin/env bash
# The report needs fonts with Chinese glyphs: one for the charts (Debian's Noto CJK, or CAMPAIGN_REPORT_FONT,
# any CJK font file), and for the PDF a TrueType one, WenQuanYi Micro Hei, which WeasyPrint subsets in about
# a second (Noto CJK's CFF outlines take some 6 s). Install what is missing when we may; otherwise say what to do.
set -euo pipefail
packages=()
if [ -z "${CAMPAIGN_REPORT_FONT:-}" ] && ! fc-list :lang=zh family 2>/dev/null | grep -q .; then
  packages+=(fonts-noto-cjk)
fi
if ! fc-list 2>/dev/null | grep -q "WenQuanYi Micro Hei"; then
  packages+=(fonts-wqy-microhei)
fi
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing fonts for the report: ${packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" fontconfig >/dev/null
  exit 0
fi
if [[ " ${packages[*]} " == *" fonts-noto-cjk "* ]]; then
  echo "No CJK font found: install fonts-noto-cjk (sudo apt-get install fonts-noto-cjk)," \
       "or set CAMPAIGN_REPORT_FONT to a .otf/.ttc/.ttf file with Chinese glyphs." >&2
  exit 1
fi
echo "Note: without fonts-wqy-microhei (sudo apt-get install fonts-wqy-microhei) the report's PDF takes" \
     "some 6 s longer to write." >&2
