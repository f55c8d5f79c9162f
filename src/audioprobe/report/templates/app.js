/* audioprobe report: trial browser.
 * Data: data/trials.js (AP_META, AP_REFS, AP_TRIALS) is loaded once; long texts come from
 * data/detail/NNNNN.js, added as <script> tags on demand (works from file:// where fetch does not).
 * Only one page of the filtered list is in the DOM at a time, so large runs stay quick.
 */
"use strict";

const AP = (window.AP = { shards: {}, waiting: {} });
const PAGE = 100;
const META = window.AP_META;
const REFS = window.AP_REFS || {};
const COL = Object.fromEntries(META.columns.map((name, i) => [name, i]));
const ROWS = window.AP_TRIALS;
const state = { filtered: [], page: 0, current: null };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fmtNumber(x) {
  const mag = Math.abs(x);
  if (mag >= 1000) return Math.round(x).toLocaleString("en-US");
  if (mag >= 0.01 || x === 0) return String(Number(x.toPrecision(3)));
  return x.toExponential(2);
}

/* A metric cell: {v, lo, hi, n} or {u: reason} (unavailable) or {t: text}. */
function cellNode(cell) {
  if (!cell) return el("span", { class: "missing", text: "—" });
  if (cell.u !== undefined) {
    return el("span", {}, el("span", { class: "unavail", text: cell.l || "unavailable" }), " ",
      cell.u ? el("small", { class: "reason", text: cell.u }) : null);
  }
  if (cell.t !== undefined) return el("span", { text: cell.t });
  let text = fmtNumber(cell.v);
  if (cell.lo !== undefined && cell.hi !== undefined) {
    text += ` [${fmtNumber(cell.lo)}, ${fmtNumber(cell.hi)}]`;
  }
  if (cell.n !== undefined) text += ` (n=${cell.n})`;
  return el("span", { text });
}

/* ---- filters ---- */
function fillSelect(id, values) {
  const select = document.getElementById(id);
  for (const value of values) select.append(el("option", { value, text: value }));
}

function distinct(col) {
  return [...new Set(ROWS.map((r) => r[COL[col]]))];
}

function setupFilters() {
  fillSelect("f-model", distinct("model").sort());
  fillSelect("f-tier", META.tiers);
  fillSelect("f-item", distinct("item").sort());
  fillSelect("f-status", distinct("status").sort());
  for (const id of ["f-model", "f-tier", "f-item", "f-status"]) {
    document.getElementById(id).addEventListener("change", applyFilters);
  }
  let timer = null;
  document.getElementById("f-text").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(applyFilters, 150);
  });
  document.getElementById("prev-page").addEventListener("click", () => showPage(state.page - 1));
  document.getElementById("next-page").addEventListener("click", () => showPage(state.page + 1));
}

function applyFilters() {
  const want = {
    model: document.getElementById("f-model").value,
    tier: document.getElementById("f-tier").value,
    item: document.getElementById("f-item").value,
    status: document.getElementById("f-status").value,
  };
  const text = document.getElementById("f-text").value.trim().toLowerCase();
  state.filtered = [];
  for (let i = 0; i < ROWS.length; i++) {
    const row = ROWS[i];
    let keep = true;
    for (const [col, value] of Object.entries(want)) {
      if (value && row[COL[col]] !== value) { keep = false; break; }
    }
    if (keep && text) {
      const hay = (row[COL.id] + " " + (row[COL.error] || "")).toLowerCase();
      keep = hay.includes(text);
    }
    if (keep) state.filtered.push(i);
  }
  showPage(0);
}

function showPage(page) {
  const pages = Math.max(1, Math.ceil(state.filtered.length / PAGE));
  state.page = Math.min(Math.max(0, page), pages - 1);
  const body = document.querySelector("#trial-list tbody");
  const start = state.page * PAGE;
  const frag = document.createDocumentFragment();
  for (const index of state.filtered.slice(start, start + PAGE)) {
    const row = ROWS[index];
    const tr = el("tr", { class: "trial-row", "data-index": index, tabindex: "0" },
      el("td", { class: "tid", text: row[COL.id] }),
      el("td", {}, el("span", { class: `chip st-${row[COL.status]}`, text: row[COL.status] })),
      el("td", { class: "num", text: row[COL.dur] == null ? "" : row[COL.dur].toFixed(2) }),
      el("td", { class: "err", text: row[COL.error] || "" }));
    if (index === state.current) tr.classList.add("selected");
    frag.append(tr);
  }
  body.replaceChildren(frag);
  const total = ROWS.length;
  document.getElementById("trial-count").textContent =
    `${state.filtered.length} of ${total} trials`;
  document.getElementById("page-info").textContent = `page ${state.page + 1} of ${pages}`;
  document.getElementById("prev-page").disabled = state.page === 0;
  document.getElementById("next-page").disabled = state.page >= pages - 1;
}

/* ---- detail ---- */
AP.detailLoaded = function (shard, details) {
  AP.shards[shard] = details;
  for (const resolve of AP.waiting[shard] || []) resolve(details);
  delete AP.waiting[shard];
};

function loadShard(shard) {
  if (AP.shards[shard]) return Promise.resolve(AP.shards[shard]);
  return new Promise((resolve, reject) => {
    const first = !AP.waiting[shard];
    (AP.waiting[shard] = AP.waiting[shard] || []).push(resolve);
    if (!first) return;
    const script = el("script", {
      src: `data/detail/${String(shard).padStart(5, "0")}.js`, charset: "utf-8",
    });
    script.onerror = () => reject(new Error(`could not load ${script.src}`));
    document.head.append(script);
  });
}

function textBlock(title, text, open) {
  const details = el("details", { class: "text-block" }, el("summary", { text: title }));
  if (open) details.open = true;
  details.append(el("pre", { text: text === null || text === undefined ? "(none)" : text }));
  return details;
}

function mediaBlock(row) {
  const box = el("div", { class: "media" });
  const audio = row[COL.audio];
  const spec = row[COL.spec];
  if (!audio) {
    box.append(el("p", { class: "hint", text: "No audio: only ok trials have a usable clip." }));
    return box;
  }
  box.append(el("audio", { controls: "", preload: "metadata", src: audio, id: "trial-audio" }));
  const orig = row[COL.orig];
  if (orig) {
    box.append(el("p", { class: "hint" }, "Plays a 16-bit FLAC copy; ",
      el("a", { href: orig, download: "", class: "orig-link", text: "download the original" }),
      " (the file that was scored)."));
  }
  if (spec) {
    const figure = el("figure", { class: "spec" },
      el("img", { src: spec.src, alt: "spectrogram", loading: "lazy" }),
      el("figcaption", {
        text: `spectrogram: 0–${spec.dur.toFixed(2)} s across, 0–${(spec.maxhz / 1000)
          .toFixed(1)} kHz up, 80 dB range`,
      }));
    box.append(figure);
  }
  return box;
}

function referencesBlock(row) {
  const key = row[COL.class];
  const box = el("div", { class: "refs" }, el("h4", { text: `Reference clips (${key || "?"})` }));
  const refs = REFS[`trial:${row[COL.id]}`] || (key ? REFS[`${row[COL.tier]}/${key}`] : null);
  if (!refs) {
    box.append(el("p", { class: "hint", text: "No reference class for this trial." }));
    return box;
  }
  if (refs.how.startsWith("unavailable")) {
    box.append(el("p", {}, el("span", { class: "unavail", text: "unavailable" }), " ",
      el("small", { class: "reason", text: refs.how.replace(/^unavailable:\s*/, "") })));
    return box;
  }
  box.append(el("p", { class: "hint", text: refs.how }));
  for (const clip of refs.clips) {
    box.append(el("div", { class: "ref" }, el("span", { text: clip.name }),
      el("audio", { controls: "", preload: "none", src: clip.src })));
  }
  return box;
}

function metricsBlock(row) {
  const metrics = row[COL.metrics];
  const box = el("div", { class: "trial-metrics" }, el("h4", { text: "Metrics" }));
  if (!metrics) {
    box.append(el("p", { class: "hint", text: META.metrics.length
      ? "No per-trial metrics for this trial." : "This run is not scored yet." }));
    return box;
  }
  const table = el("table", {});
  for (const [name, cell] of Object.entries(metrics)) {
    table.append(el("tr", {}, el("th", { text: name }), el("td", {}, cellNode(cell))));
  }
  box.append(table);
  return box;
}

async function openTrial(index) {
  const row = ROWS[index];
  if (!row) return;
  state.current = index;
  for (const tr of document.querySelectorAll("#trial-list tr.selected")) {
    tr.classList.remove("selected");
  }
  const tr = document.querySelector(`#trial-list tr[data-index="${index}"]`);
  if (tr) tr.classList.add("selected");
  const pane = document.getElementById("detail");
  pane.replaceChildren(el("p", { class: "hint", text: "loading…" }));
  const shard = Math.floor(index / META.shard);
  let info;
  try {
    info = (await loadShard(shard))[index % META.shard];
  } catch (err) {
    pane.replaceChildren(el("p", { class: "notice", text: String(err) }));
    return;
  }
  if (state.current !== index) return;
  const head = el("div", { class: "detail-head" },
    el("h3", { text: row[COL.id] }),
    el("span", { class: `chip st-${row[COL.status]}`, text: row[COL.status] }));
  const parts = [head];
  if (row[COL.error]) parts.push(el("pre", { class: "error", text: info.record.error || "" }));
  const side = el("div", { class: "side-by-side" }, mediaBlock(row), referencesBlock(row));
  parts.push(side, metricsBlock(row));
  parts.push(textBlock("Prompt", info.prompt, false));
  parts.push(textBlock("Model's answer", info.response, false));
  const code = el("details", { class: "text-block", open: "" },
    el("summary", { text: "Extracted script" }));
  const holder = el("div", { class: "code" });
  if (info.script_html) holder.innerHTML = info.script_html; /* pygments output, escaped */
  else holder.textContent = "(no script was extracted)";
  code.append(holder);
  parts.push(code);
  parts.push(textBlock("stdout", info.stdout, !!info.stdout));
  parts.push(textBlock("stderr", info.stderr, !!info.stderr));
  if (info.cut.length) {
    parts.push(el("p", { class: "hint",
      text: `Cut to 64 KB here: ${info.cut.join(", ")}; full files in ${info.dir}/` }));
  }
  parts.push(textBlock("Trial record (trial.json)", JSON.stringify(info.record, null, 2), false));
  pane.replaceChildren(...parts);
}

function fromHash() {
  const match = /trial=([^&]+)/.exec(location.hash);
  if (!match) return;
  const id = decodeURIComponent(match[1]);
  const index = ROWS.findIndex((r) => r[COL.id] === id);
  if (index >= 0 && index !== state.current) openTrial(index);
}

function setup() {
  setupFilters();
  document.querySelector("#trial-list tbody").addEventListener("click", (event) => {
    const tr = event.target.closest("tr.trial-row");
    if (!tr) return;
    const index = Number(tr.dataset.index);
    location.hash = "trial=" + encodeURIComponent(ROWS[index][COL.id]);
  });
  document.querySelector("#trial-list tbody").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("tr.trial-row")) event.target.click();
  });
  window.addEventListener("hashchange", fromHash);
  applyFilters();
  fromHash();
}

setup();
