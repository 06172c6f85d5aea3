#pragma once
// GET / on the gateway: a small self-contained status page (no external assets) that renders
// /api/status and the machine's port map (/api/portmap.svg, inlined) and refreshes itself every
// two seconds.

namespace openclaw::gateway {

inline constexpr const char* kStatusPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>openclaw-host gateway</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1d2430; padding: 0 1rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .2rem; }
  .sub { color: #5b6575; margin-bottom: 1.2rem; }
  table { border-collapse: collapse; width: 100%; margin: .3rem 0 1.4rem; }
  th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #e3e7ee; }
  th { font-weight: 600; color: #5b6575; font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; }
  .state { padding: .05rem .45rem; border-radius: .6rem; font-size: .8rem; }
  .running, .ok, .leased { background: #dff5e3; color: #17692b; }
  .failed, .down { background: #fde2e1; color: #9b1c1c; }
  .disabled, .stopped { background: #eceff3; color: #4b5563; }
  #error { color: #9b1c1c; }
  code { font-size: .85rem; }
  #portmap svg { max-width: 100%; height: auto; border: 1px solid #e3e7ee; border-radius: .4rem; }
</style>
</head>
<body>
<h1>openclaw-host gateway <span id="profile">…</span></h1>
<div class="sub"><span id="summary">loading…</span> <span id="error"></span></div>
<h2>This machine</h2>
<div class="sub">Every instance's ports along the port axis: its derived span, its ports, the kernel's ephemeral range shaded, shared ports in red. Also as a file: <code>openclaw-host ports --all --svg FILE</code>.</div>
<div id="portmap">loading…</div>
<h2>Ports</h2>
<table><thead><tr><th>name</th><th>port</th><th>bind</th><th>source</th></tr></thead><tbody id="ports"></tbody></table>
<h2>Plugins</h2>
<table><thead><tr><th>id</th><th>kind</th><th>version</th><th>state</th><th>reason</th></tr></thead><tbody id="plugins"></tbody></table>
<h2>Channels</h2>
<table><thead><tr><th>channel</th><th>state</th></tr></thead><tbody id="channels"></tbody></table>
<noscript>This page needs JavaScript; the same data is at <a href="/api/status">/api/status</a>.</noscript>
<script>
"use strict";
function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) { const s = document.createElement("span"); s.className = "state " + cls; s.textContent = text; td.appendChild(s); }
  else td.textContent = text;
  return td;
}
function rows(id, items, build) {
  const body = document.getElementById(id);
  body.replaceChildren(...items.map(item => { const tr = document.createElement("tr"); build(item).forEach(td => tr.appendChild(td)); return tr; }));
  if (!items.length) { const tr = document.createElement("tr"); tr.appendChild(cell("none")); body.replaceChildren(tr); }
}
async function refresh() {
  try {
    const res = await fetch("/api/status", {cache: "no-store"});
    const s = await res.json();
    document.getElementById("profile").textContent = s.profile ? "— profile " + s.profile : "— default profile";
    document.getElementById("summary").textContent =
      "pid " + s.pid + " · up " + Math.round(s.uptimeMs / 1000) + " s · version " + s.version + " · " + s.stateDir;
    document.getElementById("error").textContent = "";
    rows("ports", s.leases, p => [cell(p.name), cell(String(p.port)), cell(p.bind), cell(p.source)]);
    rows("plugins", s.plugins, p => [cell(p.id), cell(p.kind), cell(p.version), cell(p.state, p.state), cell(p.reason)]);
    rows("channels", Object.keys(s.channels), c => [cell(c), cell(s.channels[c].state, s.channels[c].state)]);
    const map = await fetch("/api/portmap.svg", {cache: "no-store"});
    if (map.ok) document.getElementById("portmap").innerHTML = await map.text();
    document.body.dataset.loaded = "true";
  } catch (e) {
    document.getElementById("error").textContent = "gateway unreachable: " + e;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
)HTML";

}  // namespace openclaw::gateway
