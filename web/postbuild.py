#!/usr/bin/env python3
"""Trunk post-build hook (also usable by hand: python3 web/postbuild.py DIR).

Makes the build CSP-clean: Trunk's loader fetches the .wasm (forbidden by connect-src 'none') and
uses an inline script (forbidden by script-src 'self'). We drop both, embed the wasm bytes as
base64 in keyhole-wasm.js, and load classic scripts from 'self' in a fixed order.
The workers' source (wasm-bindgen glue + worker.js) is embedded as text in keyhole-worker.js:
boot.js starts every worker from it as a blob:, so a worker makes no request at all (a worker's
importScripts of the glue could fail under load, and a served build and the single file differed).
Python 3 standard library only: serving the page needs no Node.js.
"""
import base64
import json
import os
import re
import sys

d = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TRUNK_STAGING_DIR")
if not d:
    sys.exit("postbuild: no directory")
html_path = os.path.join(d, "index.html")
with open(html_path, encoding="utf-8") as f:
    html = f.read()

wasm_name = next((f for f in sorted(os.listdir(d)) if f.endswith("_bg.wasm")), None)
glue_name = wasm_name and re.sub(r"_bg\.wasm$", ".js", wasm_name)
if not wasm_name or not os.path.exists(os.path.join(d, glue_name)):
    sys.exit("postbuild: no wasm-bindgen output in " + d)
if glue_name != "keyhole-web.js":
    os.replace(os.path.join(d, glue_name), os.path.join(d, "keyhole-web.js"))
with open(os.path.join(d, wasm_name), "rb") as f:
    wasm = f.read()
with open(os.path.join(d, "keyhole-wasm.js"), "w", encoding="utf-8") as f:
    f.write("// Keyhole's WebAssembly, embedded so that the page never fetches it.\n")
    f.write('self.KEYHOLE_WASM_B64="' + base64.b64encode(wasm).decode("ascii") + '";\n')
os.unlink(os.path.join(d, wasm_name))

with open(os.path.join(d, "keyhole-web.js"), encoding="utf-8") as f:
    glue = f.read()
with open(os.path.join(d, "worker.js"), encoding="utf-8") as f:
    worker_src = glue + "\n" + f.read()
# A JS string literal (JSON); "<" escaped so that the single file can inline it ("</script"), and
# U+2028/2029 escaped (line terminators in older JS string literals).
lit = json.dumps(worker_src, ensure_ascii=False).replace("<", "\\u003c")
lit = lit.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
with open(os.path.join(d, "keyhole-worker.js"), "w", encoding="utf-8") as f:
    f.write("self.KEYHOLE_WORKER_SRC = " + lit + ";\n")
os.unlink(os.path.join(d, "worker.js"))

# Remove whatever Trunk injected to load the wasm: preloads and scripts (inline or not).
html = re.sub(r'<link\b[^>]*rel="(?:modulepreload|preload)"[^>]*>\s*', "", html)
html = re.sub(r"<script\b[^>]*>[\s\S]*?</script>\s*", "", html)
tags = "\n".join(
    f'<script src="{s}"></script>'
    for s in ["keyhole-wasm.js", "keyhole-web.js", "drop.js", "keyhole-worker.js", "boot.js"]
)
html = html.replace("</body>", tags + "\n</body>")
if re.search(r"<script\b(?![^>]*\bsrc=)[^>]*>", html):
    sys.exit("postbuild: inline script left")
with open(html_path, "w", encoding="utf-8") as f:
    f.write(html)
print(f"postbuild: {wasm_name} ({len(wasm)} bytes) embedded; index.html has no inline script and no fetch")
