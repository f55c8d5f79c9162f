/* audioprobe report: trial browser.
 * Data: data/trials.js (AP_META, AP_REFS, AP_TRIALS) is loaded once; long texts come from
 * data/detail/NNNNN.js, added as <script> tags on demand (works from file:// where fetch does not).
 * Only one page of the filtered list is in the DOM at a time, so large runs stay quick.
 * Hash routes: #trial=<id> opens a trial (and scrolls to it), #item=<tier>/<item> the item view
 * (every system's clips of one item side by side, with their scripts diffed).
 * Keys: j / ArrowDown next trial, k / ArrowUp previous, p or Space play/pause, i item view.
 */
"use strict";

const AP = (window.AP = {});
const PAGE = 100;
const META = window.AP_META;
const REFS = window.AP_REFS || {};
const COL = Object.fromEntries(META.columns.map((name, i) => [name, i]));
const ROWS = window.AP_TRIALS;
const state = { filtered: [], page: 0, current: null, sort: "", desc: false };

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

/* Sort keys: the list's own columns, then every metric some row holds a number for (generic
 * over whatever metric columns the rows carry). */
const SORT_COLUMNS = { id: "trial id", status: "outcome", model: "model", tier: "tier",
  item: "item", dur: "duration (s)" };

function metricValue(row, name) {
  const cell = (row[COL.metrics] || {})[name];
  return cell && typeof cell.v === "number" ? cell.v : null;
}

function numericMetrics() {
  const names = new Set();
  for (const row of ROWS) {
    for (const [name, cell] of Object.entries(row[COL.metrics] || {})) {
      if (cell && typeof cell.v === "number") names.add(name);
    }
  }
  return [...names].sort();
}

function sortValue(row, key) {
  if (key.startsWith("m:")) return metricValue(row, key.slice(2));
  if (key === "status") return row[COL.status];
  return row[COL[key]];
}

function setupFilters() {
  fillSelect("f-model", distinct("model").sort());
  fillSelect("f-tier", META.tiers);
  fillSelect("f-item", distinct("item").sort());
  fillSelect("f-status", distinct("status").sort());
  const form = document.getElementById("filters");
  const sort = el("select", { id: "f-sort" }, el("option", { value: "", text: "run order" }));
  for (const [key, label] of Object.entries(SORT_COLUMNS)) {
    sort.append(el("option", { value: key, text: label }));
  }
  for (const name of numericMetrics()) sort.append(el("option", { value: "m:" + name, text: name }));
  const dir = el("button", { type: "button", id: "f-dir", title: "sort direction", text: "↑" });
  const range = el("span", { id: "f-range" }, "from ",
    el("input", { id: "f-min", type: "number", step: "any", size: "6", placeholder: "min" }),
    " to ", el("input", { id: "f-max", type: "number", step: "any", size: "6", placeholder: "max" }));
  form.insertBefore(el("label", {}, "sort ", sort, " ", dir, " ", range),
    document.getElementById("trial-count"));
  dir.addEventListener("click", () => {
    state.desc = !state.desc;
    dir.textContent = state.desc ? "↓" : "↑";
    applyFilters();
  });
  for (const id of ["f-model", "f-tier", "f-item", "f-status", "f-sort"]) {
    document.getElementById(id).addEventListener("change", applyFilters);
  }
  let timer = null;
  for (const id of ["f-text", "f-min", "f-max"]) {
    document.getElementById(id).addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(applyFilters, 150);
    });
  }
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
  state.sort = document.getElementById("f-sort").value;
  const numeric = state.sort === "dur" || state.sort.startsWith("m:");
  document.getElementById("f-range").hidden = !numeric;
  const low = numeric ? parseFloat(document.getElementById("f-min").value) : NaN;
  const high = numeric ? parseFloat(document.getElementById("f-max").value) : NaN;
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
    if (keep && (!isNaN(low) || !isNaN(high))) {
      const value = sortValue(row, state.sort);
      keep = value !== null && value !== undefined &&
        (isNaN(low) || value >= low) && (isNaN(high) || value <= high);
    }
    if (keep) state.filtered.push(i);
  }
  if (state.sort) {
    const sign = state.desc ? -1 : 1;
    state.filtered.sort((a, b) => {
      const x = sortValue(ROWS[a], state.sort);
      const y = sortValue(ROWS[b], state.sort);
      if (x === y) return a - b;
      if (x === null || x === undefined) return 1; /* no value: last either way */
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * sign;
    });
  } else if (state.desc) {
    state.filtered.reverse();
  }
  showPage(0);
}

function showPage(page) {
  const pages = Math.max(1, Math.ceil(state.filtered.length / PAGE));
  state.page = Math.min(Math.max(0, page), pages - 1);
  const body = document.querySelector("#trial-list tbody");
  const start = state.page * PAGE;
  const byMetric = state.sort.startsWith("m:");
  document.querySelector("#trial-list thead th:nth-child(3)").textContent =
    byMetric ? state.sort.slice(2) : "s";
  const frag = document.createDocumentFragment();
  for (const index of state.filtered.slice(start, start + PAGE)) {
    const row = ROWS[index];
    const value = byMetric ? metricValue(row, state.sort.slice(2)) : row[COL.dur];
    const shown = value === null || value === undefined ? ""
      : byMetric ? fmtNumber(value) : value.toFixed(2);
    const tr = el("tr", { class: "trial-row", "data-index": index, tabindex: "0" },
      el("td", { class: "tid", text: row[COL.id], title: row[COL.id] }),
      el("td", {}, el("span", { class: `chip st-${row[COL.status]}`, text: row[COL.status] })),
      el("td", { class: "num", text: shown }),
      el("td", { class: "err", text: row[COL.error] || "", title: row[COL.error] || null }));
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
/* Long data comes as JS files that call back with their number; one loader for each kind. */
function loader(prefix) {
  const done = {};
  const waiting = {};
  const loaded = (n, data) => {
    done[n] = data;
    for (const resolve of waiting[n] || []) resolve(data);
    delete waiting[n];
  };
  const load = (n) => {
    if (done[n]) return Promise.resolve(done[n]);
    return new Promise((resolve, reject) => {
      const first = !waiting[n];
      (waiting[n] = waiting[n] || []).push(resolve);
      if (!first) return;
      const script = el("script", {
        src: `${prefix}/${String(n).padStart(5, "0")}.js`, charset: "utf-8",
      });
      script.onerror = () => reject(new Error(`could not load ${script.src}`));
      document.head.append(script);
    });
  };
  return [loaded, load];
}

const [detailLoaded, loadShard] = loader("data/detail");
const [itemLoaded, loadItem] = loader("data/item");
AP.detailLoaded = detailLoaded;
AP.itemLoaded = itemLoaded;

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
    const why = row[COL.status] === "ok" && row[COL.error];  // an ok trial's clip unreadable
    box.append(el("p", { class: "hint",
      text: why || "No audio: only ok trials have a usable clip." }));
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

/* Show the list page holding the trial, mark its row and scroll both it and the detail into
 * view (a deep link lands on the trial, not at the top of the page). */
function revealRow(index) {
  const at = state.filtered.indexOf(index);
  if (at >= 0 && Math.floor(at / PAGE) !== state.page) showPage(Math.floor(at / PAGE));
  for (const tr of document.querySelectorAll("#trial-list tr.selected")) {
    tr.classList.remove("selected");
  }
  const tr = document.querySelector(`#trial-list tr[data-index="${index}"]`);
  if (tr) tr.classList.add("selected");
  document.getElementById("trials-section").scrollIntoView({ block: "start" });
  if (tr) tr.scrollIntoView({ block: "nearest" });
}

async function openTrial(index) {
  const row = ROWS[index];
  if (!row) return;
  state.current = index;
  revealRow(index);
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
  const itemKey = `${row[COL.tier]}/${row[COL.item]}`;
  const head = el("div", { class: "detail-head" },
    el("h3", { text: row[COL.id] }),
    el("span", { class: `chip st-${row[COL.status]}`, text: row[COL.status] }),
    el("a", { href: "#item=" + encodeURIComponent(itemKey), class: "item-link",
      text: "all systems on this item" }));
  const parts = [head];
  if (row[COL.error]) parts.push(el("pre", { class: "error", text: info.record.error || "" }));
  const side = el("div", { class: "side-by-side" }, mediaBlock(row), referencesBlock(row));
  parts.push(side, metricsBlock(row));
  parts.push(textBlock("Prompt", info.prompt, false));
  parts.push(textBlock("Model's answer", info.response, false));
  const code = el("details", { class: "text-block", open: "" },
    el("summary", { text: info.script_name ? `Extracted code (${info.script_name})` : "Extracted code" }));
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

/* ---- item view: every system's clips of one item side by side ---- */
const KEY_METRICS = 6;

function keyMetrics(row) {
  const table = el("table", { class: "key-metrics" });
  const cells = Object.entries(row[COL.metrics] || {}).filter(([, c]) => c && c.v !== undefined);
  for (const [name, cell] of cells.slice(0, KEY_METRICS)) {
    table.append(el("tr", {}, el("th", { text: name }), el("td", {}, cellNode(cell))));
  }
  return cells.length ? table : el("p", { class: "hint", text: "no metric values" });
}

function itemCard(index) {
  const row = ROWS[index];
  const card = el("div", { class: "item-card", "data-trial": row[COL.id] },
    el("h4", {},
      el("a", { href: "#trial=" + encodeURIComponent(row[COL.id]), text: row[COL.model] }),
      ` · sample ${row[COL.sample]} `,
      el("span", { class: `chip st-${row[COL.status]}`, text: row[COL.status] })));
  const spec = row[COL.spec];
  if (row[COL.audio]) {
    card.append(el("audio", { controls: "", preload: "metadata", src: row[COL.audio] }));
    if (spec) card.append(el("img", { class: "spec-small", src: spec.src, loading: "lazy",
      alt: `spectrogram, 0–${spec.dur.toFixed(2)} s, 0–${(spec.maxhz / 1000).toFixed(1)} kHz` }));
  } else {
    card.append(el("p", { class: "hint", text: row[COL.error] || "no audio" }));
  }
  card.append(keyMetrics(row));
  return card;
}

async function openItem(key) {
  let section = document.getElementById("item-section");
  if (!section) {
    section = el("section", { id: "item-section" });
    document.getElementById("trials-section").before(section);
  }
  section.hidden = false;
  const indices = [];
  ROWS.forEach((row, i) => {
    if (`${row[COL.tier]}/${row[COL.item]}` === key) indices.push(i);
  });
  const head = el("div", { class: "detail-head" }, el("h2", { text: `Item ${key}` }),
    el("a", { href: "#", class: "close-item", text: "close" }));
  if (!indices.length) {
    section.replaceChildren(head, el("p", { class: "notice", text: `No trials of ${key} here.` }));
    return;
  }
  const models = new Set(indices.map((i) => ROWS[i][COL.model]));
  const grid = el("div", { class: "item-grid" }, ...indices.map(itemCard));
  const firstOk = indices.find((i) => ROWS[i][COL.audio]);
  const refs = firstOk === undefined ? el("p", { class: "hint", text: "No clip to compare." })
    : referencesBlock(ROWS[firstOk]);
  const diffs = el("div", { class: "diffs" }, el("h3", { text: "Scripts" }),
    el("p", { class: "hint", text: "loading…" }));
  section.replaceChildren(head,
    el("p", { class: "hint", text: `${indices.length} trials from ${models.size} systems` }),
    grid, refs, diffs);
  section.scrollIntoView({ block: "start" });
  let list = [];
  try {
    list = await loadItem(META.items[key]);
  } catch (err) {
    diffs.replaceChildren(el("p", { class: "notice", text: String(err) }));
    return;
  }
  const parts = [el("h3", { text: "Scripts" })];
  if (!list.length) parts.push(el("p", { class: "hint", text: "Fewer than two scripts to compare." }));
  for (const diff of list) {
    const block = el("details", { class: "text-block diff", open: "" },
      el("summary", { text: `${diff.b} against ${diff.a}` }));
    const body = el("div", { class: "diff-table" });
    if (diff.same) body.textContent = "identical scripts";
    else body.innerHTML = diff.html; /* difflib.HtmlDiff output: the scripts' text is escaped */
    block.append(body);
    parts.push(block);
  }
  diffs.replaceChildren(...parts);
}

function fromHash() {
  const item = /item=([^&]+)/.exec(location.hash);
  const section = document.getElementById("item-section");
  if (item) {
    openItem(decodeURIComponent(item[1]));
    return;
  }
  if (section) section.hidden = true;
  const match = /trial=([^&]+)/.exec(location.hash);
  if (!match) return;
  const id = decodeURIComponent(match[1]);
  const index = ROWS.findIndex((r) => r[COL.id] === id);
  if (index >= 0) openTrial(index);
}

/* ---- keyboard: next / previous trial in the list's order, play / pause ---- */
function step(by) {
  if (!state.filtered.length) return;
  const at = state.filtered.indexOf(state.current);
  const next = at < 0 ? 0 : Math.min(Math.max(0, at + by), state.filtered.length - 1);
  location.hash = "trial=" + encodeURIComponent(ROWS[state.filtered[next]][COL.id]);
}

function onKey(event) {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.target.closest("input, select, textarea, button, audio, a, summary")) return;
  const audio = document.getElementById("trial-audio");
  if (event.key === "j" || event.key === "ArrowDown") step(1);
  else if (event.key === "k" || event.key === "ArrowUp") step(-1);
  else if ((event.key === "p" || event.key === " ") && audio) {
    if (audio.paused) audio.play(); else audio.pause();
  } else if (event.key === "i" && state.current !== null) {
    const row = ROWS[state.current];
    location.hash = "item=" + encodeURIComponent(`${row[COL.tier]}/${row[COL.item]}`);
  } else return;
  event.preventDefault();
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
  document.addEventListener("keydown", onKey);
  applyFilters();
  fromHash();
}

setup();

// A metric card linked from an overview heading opens where it lands: one click away.
(function () {
  function openCard() {
    const id = decodeURIComponent(location.hash.slice(1));
    const el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") el.open = true;
  }
  window.addEventListener("hashchange", openCard);
  openCard();
})();
