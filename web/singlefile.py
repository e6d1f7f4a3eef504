#!/usr/bin/env python3
"""Builds the offline single file: python3 web/singlefile.py DIST OUT.html

Everything inlined (CSS, wasm as base64, wasm-bindgen glue, drop helper, worker source, boot), with
a CSP that allows exactly these inline scripts and style by their sha256 hashes (no
'unsafe-inline') and still forbids every connection (connect-src 'none'). Works from file://.
Python 3 standard library only.
"""
import base64
import hashlib
import os
import re
import sys

dist = sys.argv[1] if len(sys.argv) > 1 else "dist"
out = sys.argv[2] if len(sys.argv) > 2 else "dist-single/keyhole.html"


def read(name):
    with open(os.path.join(dist, name), encoding="utf-8") as f:
        return f.read()


def sha(s):
    digest = hashlib.sha256(s.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def safe(s, what):
    # Inline script text must not contain "</script" (or "<!--").
    if re.search(r"</script|<!--", s, re.I):
        raise SystemExit(f"{what} contains </script or <!--")
    return s


css = read("style.css")
# The same scripts, in the same order, as dist/index.html loads (web/postbuild.py wrote them;
# keyhole-worker.js holds the workers' source as an escaped string literal).
scripts = [
    read(name)
    for name in ["keyhole-wasm.js", "keyhole-web.js", "drop.js", "keyhole-worker.js", "boot.js"]
]
scripts = [safe(s, f"script {i}") for i, s in enumerate(scripts)]

csp = "; ".join(
    [
        "default-src 'none'",
        "script-src 'wasm-unsafe-eval' " + " ".join(sha(s) for s in scripts),
        "worker-src blob:",
        "style-src " + sha(css),
        "img-src data: blob:",
        "connect-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)

html = read("index.html")
if "connect-src 'none'" not in html:
    raise SystemExit("dist/index.html has no CSP")
html = re.sub(
    r'<meta http-equiv="Content-Security-Policy"[^>]*>',
    lambda _: f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
    html,
    count=1,
)
html = re.sub(r'<link rel="stylesheet"[^>]*>', lambda _: f"<style>{css}</style>", html, count=1)
html = re.sub(r'<script src="[^"]*"></script>\s*', "", html)
html = html.replace("</body>", "\n".join(f"<script>{s}</script>" for s in scripts) + "\n</body>", 1)
if re.search(r'\b(?:src|href)="(?!data:|#)[^"]+"', html):
    raise SystemExit("single file still references an external asset")
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
with open(out, "w", encoding="utf-8") as f:
    f.write(html)
print(f"single file: {out} ({len(html) / 1e6:.2f} MB)")
