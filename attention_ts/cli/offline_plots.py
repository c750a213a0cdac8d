"""The page that `dvc plots show` and `dvc plots diff` fill, with vega inlined so it works offline.

dvc-render's own page loads vega, vega-lite and vega-embed from a CDN, so without
internet every plot stays blank. `.dvc/config` points `plots.html_template` at
`.dvc/offline_plots.html`, which this module builds from the copies in `vendor/vega/`
(where they come from and how to refresh them: `vendor/vega/README.md`). The page
has no `{scripts}` placeholder, so DVC leaves out its CDN script tags.

    python -m attention_ts.cli.offline_plots        # rewrite .dvc/offline_plots.html
    python -m attention_ts.cli.offline_plots --check  # exit 1 if it differs from what it writes
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # attention_ts/cli/offline_plots.py
VENDOR = REPO / "vendor" / "vega"
TEMPLATE = REPO / ".dvc" / "offline_plots.html"

# (npm package, version): vendored as VENDOR/<package>.min.js and VENDOR/<package>.LICENSE,
# in the order the page loads them (vega-lite needs vega; vega-embed needs both)
PACKAGES = (("vega", "5.33.1"), ("vega-lite", "5.23.0"), ("vega-embed", "6.29.0"))

PAGE = """<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    {{refresh_tag}}
    <title>DVC Plot</title>
    <!-- Built by `python -m attention_ts.cli.offline_plots` from vendor/vega/; do not edit. -->
{scripts}
    <style>
        table {{
            border-spacing: 15px;
        }}
    </style>
</head>
<body>
    {{plot_divs}}
</body>
</html>
"""

SCRIPT = """<!-- {package} {version} (npm), {package}.min.js, licence:
{licence}-->
<script>
{code}
</script>"""

# what would end an inline script early, or be replaced by DVC when it fills the page
FORBIDDEN = ("</script", "<!--", "{plot_divs}", "{scripts}", "{refresh_tag}")


def build_template() -> str:
    """The page, from the vendored builds and their licences."""
    scripts = []
    for package, version in PACKAGES:
        code = (VENDOR / f"{package}.min.js").read_text(encoding="utf-8")
        # the source map is not vendored: drop the comment that points at it
        code = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "", code).strip()
        licence = (VENDOR / f"{package}.LICENSE").read_text(encoding="utf-8")
        if f'"{version}"' not in code:
            raise ValueError(f"{package}.min.js is not version {version}")
        if any(s in code.lower() for s in FORBIDDEN) or "--" in licence:
            raise ValueError(f"{package} cannot be inlined as it is")
        scripts.append(SCRIPT.format(package=package, version=version, licence=licence, code=code))
    return PAGE.format(scripts="\n".join(scripts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m attention_ts.cli.offline_plots", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument("--check", action="store_true", help="only check that it is up to date")
    args = parser.parse_args(argv)
    page = build_template()
    if args.check:
        if not TEMPLATE.is_file() or TEMPLATE.read_text(encoding="utf-8") != page:
            print(f"{TEMPLATE} is stale: run python -m attention_ts.cli.offline_plots")
            return 1
        return 0
    TEMPLATE.write_text(page, encoding="utf-8", newline="\n")
    print(f"wrote {TEMPLATE} ({len(page.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
