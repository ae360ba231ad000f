#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""`make docs`, the site half: renders README.md, docs/*.md and the exercises' READMEs
into one local HTML site beside the kernel's rustdoc, with an index, and checks it.

    docs-site.py build SITE RUSTDOC     render into SITE (RUSTDOC: the rustdoc output dir,
                                        linked as SITE/rustdoc)
    docs-site.py check SITE [BROWSER]   every page: each local link and image points at a
                                        file that exists (and each #anchor at an id on its
                                        page); with BROWSER (a headless Chromium), each page
                                        is loaded and must render its heading

Links between the Markdown pages become links between the HTML pages; links to the
repository's files (rust/..., samples/..., qemu/...) become file:// links to this
checkout, so the site is read where it was built. Prints "ok"/"not ok" lines and a
summary; exit status 1 on any failure.
"""

import html
import html.parser
import os
import re
import shutil
import subprocess
import sys
import urllib.parse

import markdown

import ktap

PROJ = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CSS = """body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.45}
table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top}
pre{background:#f4f4f4;padding:.6em;overflow-x:auto}code{background:#f4f4f4}
nav{margin-bottom:1em;padding-bottom:.5em;border-bottom:1px solid #ddd}img{max-width:100%}"""


def pages():
    out = [("README.md", "index-readme.html")]
    for name in sorted(os.listdir(os.path.join(PROJ, "docs"))):
        if name.endswith(".md"):
            out.append((f"docs/{name}", name[:-3] + ".html"))
    # The exercises: their overview and each one's README.
    out.append(("exercises/README.md", "exercises.html"))
    for name in sorted(os.listdir(os.path.join(PROJ, "exercises"))):
        if re.match(r"\d\d-", name) and os.path.exists(os.path.join(PROJ, "exercises", name, "README.md")):
            out.append((f"exercises/{name}/README.md", f"exercise-{name}.html"))
    return out


def rewrite_links(text, src, names):
    """Markdown links: to another page -> its HTML; to a repository file -> file://."""
    base = os.path.dirname(os.path.join(PROJ, src))

    def fix(m):
        label, target = m.group(1), m.group(2)
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            return m.group(0)
        path, _, frag = target.partition("#")
        full = os.path.normpath(os.path.join(base, path))
        rel = os.path.relpath(full, PROJ)
        if rel in names:
            return f"[{label}]({names[rel]}{'#' + frag if frag else ''})"
        if rel.startswith("docs/img/"):
            return f"[{label}](img/{os.path.basename(rel)})"
        return f"[{label}](file://{urllib.parse.quote(full)})"
    return re.sub(r"\[([^\]]*)\]\(([^)\s]+)\)", fix, text)


def build(site, rustdoc):
    if os.path.isdir(site):
        shutil.rmtree(site)
    os.makedirs(os.path.join(site, "img"))
    img = os.path.join(PROJ, "docs", "img")
    if os.path.isdir(img):
        for f in os.listdir(img):
            shutil.copy(os.path.join(img, f), os.path.join(site, "img", f))
    if rustdoc:
        os.symlink(os.path.abspath(rustdoc), os.path.join(site, "rustdoc"))
    names = dict(pages())
    nav = ('<nav><a href="index.html">netdive</a> · <a href="architecture.html">architecture</a>'
           ' · <a href="reference.html">reference</a> · <a href="tracing.html">tracing</a>'
           ' · <a href="rustdoc/kernel/net/index.html">kernel::net (rustdoc)</a></nav>')
    md = markdown.Markdown(extensions=["tables", "fenced_code", "toc"])
    titles = []
    for src, dst in pages():
        with open(os.path.join(PROJ, src)) as f:
            text = rewrite_links(f.read(), src, names)
        md.reset()
        body = md.convert(text)
        m = re.search(r"<h1[^>]*>(.*?)</h1>", body)
        title = re.sub("<[^>]+>", "", m.group(1)) if m else src
        titles.append((dst, title))
        with open(os.path.join(site, dst), "w") as f:
            f.write(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
                    f"</title><style>{CSS}</style></head><body>{nav}{body}</body></html>\n")
    index = ["<h1>netdive: the site</h1>", "<p>Built by <code>make docs</code>.</p>",
             "<h2>Pages</h2><ul>"]
    index += [f'<li><a href="{d}">{html.escape(t)}</a></li>' for d, t in titles]
    index += ["</ul><h2>The Rust API (rustdoc)</h2><ul>",
              '<li><a href="rustdoc/kernel/net/index.html">kernel::net</a>: our networking '
              'abstractions, their examples and safety sections</li>',
              '<li><a href="rustdoc/kernel/index.html">the kernel crate</a></li></ul>',
              "<h2>Pictures</h2><ul>"]
    index += [f'<li><a href="img/{f}">{f}</a></li>'
              for f in sorted(os.listdir(os.path.join(site, "img")))]
    index.append("</ul>")
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>netdive</title>"
                f"<style>{CSS}</style></head><body>{nav}{''.join(index)}</body></html>\n")
    print(f"site: {os.path.join(site, 'index.html')}")


class Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.refs.append(("link", a["href"]))
        if tag == "img" and a.get("src"):
            self.refs.append(("image", a["src"]))


def parse(path):
    r = Refs()
    with open(path, errors="replace") as f:
        r.feed(f.read())
    return r


def check(site, browser=None):
    ok = bad = 0
    cache = {}

    def report(good, what):
        nonlocal ok, bad
        if good:
            ok += 1
        else:
            bad += 1
        ktap.result(good, ok + bad, what)

    pages = sorted(p for p in os.listdir(site) if p.endswith(".html"))
    ktap.plan(len(pages) * (2 if browser else 1))
    for page in pages:
        path = os.path.join(site, page)
        refs = parse(path)
        missing = []
        for kind, ref in refs.refs:
            u = urllib.parse.urlparse(ref)
            if u.scheme in ("http", "https", "mailto"):
                continue
            target = urllib.parse.unquote(u.path) if u.scheme == "file" else (
                os.path.normpath(os.path.join(site, urllib.parse.unquote(u.path))) if u.path else path)
            if not os.path.exists(target):
                missing.append(f"{kind} {ref}")
                continue
            if u.fragment and target.endswith(".html"):
                ids = cache.setdefault(target, parse(target).ids)
                if u.fragment not in ids:
                    missing.append(f"{kind} {ref} (no id {u.fragment!r} there)")
        report(not missing, f"{page}: {len(refs.refs)} links and images"
               + (": broken: " + "; ".join(missing[:5]) if missing else ""))
        if browser:
            r = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                                "--allow-file-access-from-files", "--dump-dom",
                                "file://" + os.path.abspath(path)],
                               capture_output=True, text=True, timeout=120)
            rendered = r.returncode == 0 and "<h1" in r.stdout and "</body>" in r.stdout
            report(rendered, f"{page}: rendered by {os.path.basename(browser)}"
                   + ("" if rendered else f" (exit {r.returncode}: {r.stderr.strip()[-200:]})"))
    print(f"# docs site check: {ok} ok, {bad} not ok")
    return bad == 0 and ok > 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    elif len(sys.argv) >= 3 and sys.argv[1] == "check":
        sys.exit(0 if check(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None) else 1)
    else:
        sys.exit(__doc__)
