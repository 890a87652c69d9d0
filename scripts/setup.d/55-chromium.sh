# The status page's browser test (TestStatusPage): Debian's chromium, run headless (--headless=new) for a screenshot
# and the rendered DOM of `/`, and a font for its text (fonts-dejavu-core, which Chromium does not pull in without
# recommends).
apt_install chromium fonts-dejavu-core
echo "stagecraft setup: $(chromium --version 2>/dev/null | sed -n 1p)" >&2
