#!/usr/bin/env bash
# What the weekly report needs from the system: a font with Chinese glyphs for the charts and the PDF (Debian's
# Noto CJK, or CAMPAIGN_REPORT_FONT, any CJK font file, for the charts), Pango for WeasyPrint's layout, and
# HarfBuzz's subsetter, which cuts the embedded fonts down in milliseconds (without it WeasyPrint falls back to
# fontTools: some 6 s per report for Noto CJK). Installs what is missing when we may; otherwise says what to do.
set -euo pipefail
has_library() { ldconfig -p 2>/dev/null | grep -q "$1"; }
packages=()
if [ -z "${CAMPAIGN_REPORT_FONT:-}" ] && ! fc-list :lang=zh family 2>/dev/null | grep -q .; then
  packages+=(fonts-noto-cjk fontconfig)
fi
has_library libpango-1.0.so.0 && has_library libpangoft2-1.0.so.0 || packages+=(libpango-1.0-0 libpangoft2-1.0-0)
has_library libharfbuzz-subset.so.0 || packages+=(libharfbuzz-subset0)
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing what the report needs: ${packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  exit 0
fi
echo "The weekly report needs: ${packages[*]} (Debian/Ubuntu: sudo apt-get install ${packages[*]};" \
     "macOS: brew install pango harfbuzz and a CJK font). For the charts' font, CAMPAIGN_REPORT_FONT may" \
     "instead point at a .otf/.ttc/.ttf file with Chinese glyphs." >&2
if [ "${packages[*]}" = "libharfbuzz-subset0" ]; then
  exit 0  # the PDF is still written, only slower
fi
exit 1
