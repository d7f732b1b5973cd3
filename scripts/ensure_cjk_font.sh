#!/usr/bin/env bash
# Report charts need a font with Chinese glyphs. Install Debian's Noto CJK when missing and we may;
# otherwise say what to do (CAMPAIGN_REPORT_FONT can point at any CJK font file instead).
set -euo pipefail
if [ -n "${CAMPAIGN_REPORT_FONT:-}" ] || fc-list :lang=zh family 2>/dev/null | grep -q .; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing a CJK font for the report charts (fonts-noto-cjk)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk fontconfig >/dev/null
  exit 0
fi
echo "No CJK font found: install fonts-noto-cjk (sudo apt-get install fonts-noto-cjk)," \
     "or set CAMPAIGN_REPORT_FONT to a .otf/.ttc/.ttf file with Chinese glyphs." >&2
exit 1
