"""What the HTML report carries inline: its policy, style sheet and script.

Nothing is fetched: the policy allows inline style and script only, so a stray external
reference would fail to load instead of leaking the report's content.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


def content_security_policy(media: Iterable[str] = ()) -> str:
    """The policy, letting audio load from exactly the places the report plays: the
    recordings' origins, and the report's own folder for relative paths."""
    sources = sorted({_media_source(src) for src in media})
    if not sources:
        return CONTENT_SECURITY_POLICY
    return f"{CONTENT_SECURITY_POLICY}; media-src {' '.join(sources)}"


def _media_source(src: str) -> str:
    parts = urlsplit(src)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    if parts.scheme == "file":
        return "file:"
    # A path relative to the report: its own origin (a report opened from disk is file:).
    return "'self'" if parts.scheme == "" else f"{parts.scheme}:"


STYLE_SHEET = """
:root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg-soft: #f6f8fa;
  --add-bg: #dafbe1; --add-fg: #116329; --del-bg: #ffebe9; --del-fg: #a40e26;
  --chg-bg: #fff8c5; --chg-fg: #7d4e00; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  color: var(--fg); margin: 0 auto; padding: 24px; max-width: 1280px; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 19px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 8px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
.muted { color: var(--muted); }
.verdict { font-weight: 600; padding: 6px 10px; border-radius: 6px; display: inline-block; }
.verdict.identical { background: var(--add-bg); color: var(--add-fg); }
.verdict.different { background: var(--chg-bg); color: var(--chg-fg); }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 1px solid var(--line); padding: 4px 8px; vertical-align: top;
  overflow-wrap: anywhere; text-align: left; }
th { background: var(--bg-soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.metrics { width: auto; min-width: 50%; }
table.metrics td, table.metrics th { padding: 3px 10px; }
col.turn { width: 5.5em; }
col.user { width: 22%; }
col.delta { width: 6.5em; }
ul.tools { list-style: none; padding: 0; margin: 0 0 6px; }
ul.tools li { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; padding: 1px 4px; border-radius: 4px; margin-bottom: 2px; }
li.tool.same { background: var(--bg-soft); }
li.tool.removed, li.tool.changed.original { background: var(--del-bg); color: var(--del-fg);
  font-weight: 600; }
li.tool.added, li.tool.changed.replay { background: var(--add-bg); color: var(--add-fg);
  font-weight: 600; }
.tool-change code { background: var(--chg-bg); color: var(--chg-fg); padding: 2px 6px;
  border-radius: 4px; font-weight: 600; }
del { background: var(--del-bg); color: var(--del-fg); }
ins { background: var(--add-bg); color: var(--add-fg); text-decoration: none; }
tr.turn.changed > td:first-child, tr.turn.added > td:first-child,
tr.turn.removed > td:first-child { border-left: 4px solid #d4a72c; }
.badge { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 10px;
  background: var(--chg-bg); color: var(--chg-fg); }
.note { font-size: 12.5px; color: var(--chg-fg); margin: 4px 0 0; }
.error { color: var(--del-fg); }
.pass { color: var(--add-fg); font-weight: 600; }
.fail { color: var(--del-fg); font-weight: 600; }
table.spans td { padding: 2px 8px; font-family: ui-monospace, SFMono-Regular, Menlo,
  Consolas, monospace; font-size: 12.5px; }
table.spans td.side { padding-left: calc(8px + var(--depth, 0) * 18px); }
table.spans td.side:empty { background: repeating-linear-gradient(45deg, #fff, #fff 4px,
  var(--bg-soft) 4px, var(--bg-soft) 8px); }
tr.span.added td.replay { background: var(--add-bg); color: var(--add-fg); }
tr.span.removed td.original { background: var(--del-bg); color: var(--del-fg); }
tr.span.changed td.side { background: var(--chg-bg); color: var(--chg-fg); }
tr.span .mark { display: inline-block; width: 1.2em; font-weight: 700; }
tr.changes td { background: #fff; font-family: inherit; }
tr.changes summary { cursor: pointer; color: var(--muted); }
table.attrs { margin: 4px 0; }
table.attrs td, table.attrs th { font-size: 12px; }
section.only-diff tr.span.same, section.only-diff tr.turn.same { display: none; }
label.toggle { font-size: 13px; user-select: none; }
nav ul { margin: 4px 0 16px; }
"""

# Only in reports that play audio (so reports without audio stay as they were).
AUDIO_STYLE_SHEET = """
table.audio td { vertical-align: middle; }
table.audio audio { width: 100%; height: 36px; display: block; }
.audio-length { font-size: 12px; }
"""

# Only in reports whose replay had a simulated user (so other reports stay as they were): a
# simulated turn's mark stands apart from the diff's colours (purple, dashed), and so does its
# row's edge; a recorded turn's mark is quiet.
SIMULATION_STYLE_SHEET = """
:root { --sim-bg: #fbefff; --sim-fg: #6639ba; }
.badge.recorded { background: var(--bg-soft); color: var(--muted); }
.badge.simulated { background: var(--sim-bg); color: var(--sim-fg); font-weight: 600;
  outline: 1px dashed var(--sim-fg); }
tr.turn:has(.badge.simulated) > td:first-child { border-left: 4px dashed var(--sim-fg); }
"""

# The "show only differences" checkbox needs this script: it starts hidden, the script shows it.
SCRIPT = """
document.querySelectorAll("label.toggle").forEach(function (label) {
  var box = label.querySelector("input");
  var section = label.closest("section");
  box.addEventListener("change", function () {
    section.classList.toggle("only-diff", box.checked);
  });
  label.hidden = false;
});
"""

AUDIO_SCRIPT = """
// Each player says its clip's length once the audio loads, or that it could not load.
document.querySelectorAll("audio").forEach(function (audio) {
  var note = audio.parentElement.querySelector(".audio-length");
  function ready() {
    var start = Number(audio.dataset.start || 0);
    var end = audio.dataset.end ? Number(audio.dataset.end) : audio.duration;
    audio.dataset.state = "ready";
    audio.dataset.duration = String(audio.duration);
    if (note) { note.textContent = (Math.max(0, end - start)).toFixed(1) + " s"; }
  }
  function failed() {
    audio.dataset.state = "error";
    if (note) { note.textContent = "audio unavailable"; }
  }
  audio.addEventListener("loadedmetadata", ready);
  audio.addEventListener("error", failed);
  if (audio.readyState >= 1) { ready(); }
  if (audio.error) { failed(); }
});
"""
