// nemo_nb widgets: one ES module (no build step) for the studio, the timeline and the compare grid.
// The Python side picks the view with the `_kind` trait; all state is in the model's traits and
// actions go to Python as custom messages ({type: ...}).

const SVG = "http://www.w3.org/2000/svg";
const LABEL_W = 96, LANE_H = 24, GAP = 6, AXIS_H = 22, PAD = 6, RIGHT = 14;
const STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function s(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function secs(t) {
  return t >= 60 ? `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, "0")}` : `${+t.toFixed(2)}s`;
}

function fit(label, width) {
  const room = Math.floor((width - 8) / 6.4);
  if (room < 2) return "";
  return label.length <= room ? label : label.slice(0, room - 1) + "…";
}

function bar(cls) {
  const fill = h("div", { class: "nemo-bar-fill" });
  const label = h("span", { class: "nemo-bar-label" });
  const node = h("div", { class: `nemo-bar ${cls}` }, h("div", { class: "nemo-bar-track" }, fill), label);
  return {
    node, set(fraction, text) {
      node.style.display = fraction < 0 && !text ? "none" : "";
      fill.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
      fill.parentNode.style.display = fraction < 0 ? "none" : "";
      node.dataset.progress = fraction < 0 ? "" : String(fraction);
      label.textContent = text || "";
    },
  };
}

// -- the timeline: lanes, segments, hover details, click for a row, playhead, click-to-seek ----------
function timeline(get, onSelect, onSeek) {
  const host = h("div", { class: "nemo-tl" });
  const summary = h("div", { class: "nemo-tl-summary" });
  const tip = h("div", { class: "nemo-tl-tip" });
  const details = h("div", { class: "nemo-tl-details" });
  const wrap = h("div", { class: "nemo-tl-wrap" }, summary, host, tip, details);
  let scale = 1, playhead = null, height = 0;

  function showDetails() {
    const n = get("selected"), row = (get("rows") || [])[n];
    details.replaceChildren();
    if (n < 0 || !row) return;
    const cells = Object.entries(row).filter(([, v]) => v !== null && v !== "");
    details.append(h("table", { class: "nemo-tl-row" },
      h("tr", {}, cells.map(([k]) => h("th", {}, k))), h("tr", {}, cells.map(([, v]) => h("td", {}, String(v))))));
  }

  function draw() {
    const lanes = get("lanes") || [], total = Math.max(get("duration") || 1, 0.001);
    const width = Math.max(320, Math.min(host.clientWidth || 720, 1200));
    const plotW = width - LABEL_W - RIGHT;
    scale = plotW / total;
    height = PAD + Math.max(1, lanes.length) * (LANE_H + GAP) + AXIS_H;
    const axisY = height - AXIS_H;
    const svg = s("svg", { class: "nemo-timeline", width, height, viewBox: `0 0 ${width} ${height}` });
    const step = STEPS.find((x) => total / x <= 8) || STEPS[STEPS.length - 1];
    for (let t = 0; t <= total + 1e-6; t = +(t + step).toFixed(6)) {
      const x = LABEL_W + t * scale;
      svg.append(s("line", { x1: x, y1: PAD, x2: x, y2: axisY, stroke: "#e3e3e3" }));
      const label = s("text", { x, y: axisY + 15, "text-anchor": "middle", fill: "#666" });
      label.textContent = secs(t);
      svg.append(label);
    }
    const axis = s("rect", { class: "nemo-tl-axis", x: LABEL_W, y: axisY, width: plotW, height: AXIS_H, fill: "transparent" });
    svg.append(axis);
    if (!lanes.length) {
      const note = s("text", { x: LABEL_W + 6, y: PAD + 16, fill: "#888" });
      note.textContent = "empty timeline: upload a video and ask for it to be added";
      svg.append(note);
    }
    lanes.forEach((lane, i) => {
      const y = PAD + i * (LANE_H + GAP);
      svg.append(s("rect", { class: "nemo-tl-lane", x: 0, y, width, height: LANE_H, fill: "#f6f6f6" }));
      const name = s("text", { x: 6, y: y + 16, fill: "#333", "font-weight": "bold" });
      name.textContent = fit(lane.label, LABEL_W);
      svg.append(name);
      for (const seg of lane.segments) {
        const x = LABEL_W + seg.start * scale, w = Math.max(1.5, (seg.end - seg.start) * scale);
        const g = s("g", { class: "nemo-seg", "data-n": seg.n });
        if (seg.n === get("selected")) g.classList.add("nemo-seg-selected");
        g.append(s("rect", { x, y: y + 2, width: w, height: LANE_H - 4, rx: 3, fill: seg.colour }));
        const shown = fit(seg.label, w);
        if (shown) {
          const text = s("text", { x: x + 4, y: y + 16, fill: "#fff" });
          text.textContent = shown;
          g.append(text);
        }
        g.addEventListener("mouseenter", (e) => {
          tip.textContent = `${seg.label} · ${secs(seg.start)}–${secs(seg.end)}`;
          tip.style.display = "block";
          tip.style.left = `${Math.min(x, width - 200)}px`;
          tip.style.top = `${y + LANE_H + 24}px`;
        });
        g.addEventListener("mouseleave", () => { tip.style.display = "none"; });
        g.addEventListener("click", (e) => { e.stopPropagation(); onSelect(seg.n); });
        svg.append(g);
      }
    });
    playhead = s("line", { class: "nemo-playhead", x1: LABEL_W, y1: 0, x2: LABEL_W, y2: axisY, stroke: "#d62828",
      "stroke-width": 2 });
    svg.append(playhead);
    svg.addEventListener("click", (e) => {
      const box = svg.getBoundingClientRect();
      const x = (e.clientX - box.left) * (width / box.width);
      if (x >= LABEL_W) onSeek(Math.max(0, Math.min(total, (x - LABEL_W) / scale)));
    });
    host.replaceChildren(svg);
    summary.textContent = get("summary") || "";
    position(get("position") || 0);
    showDetails();
  }

  function position(t) {
    if (!playhead) return;
    const x = LABEL_W + Math.max(0, t) * scale;
    playhead.setAttribute("x1", x);
    playhead.setAttribute("x2", x);
    playhead.dataset.t = String(t);
  }

  return { node: wrap, draw, position, showDetails };
}

function bindTimeline(model, onSeek) {
  const tl = timeline((k) => model.get(k), (n) => {
    model.set("selected", n);
    model.save_changes();
  }, (t) => {
    model.set("position", t);
    model.save_changes();
    if (onSeek) onSeek(t);
  });
  for (const k of ["lanes", "duration", "summary"]) model.on(`change:${k}`, tl.draw);
  model.on("change:selected", () => tl.draw());
  model.on("change:position", () => tl.position(model.get("position")));
  requestAnimationFrame(tl.draw);
  return tl;
}

function blobURL(view, type) {
  if (!view || !view.byteLength) return "";
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return URL.createObjectURL(new Blob([bytes], { type }));
}

function follow(video, tl) {
  // the playhead follows the player, every frame while it plays
  let raf = 0;
  const tick = () => { tl.position(video.currentTime); if (!video.paused && !video.ended) raf = requestAnimationFrame(tick); };
  video.addEventListener("play", () => { cancelAnimationFrame(raf); raf = requestAnimationFrame(tick); });
  video.addEventListener("seeked", () => tl.position(video.currentTime));
  video.addEventListener("timeupdate", () => tl.position(video.currentTime));
}

// -- the studio ------------------------------------------------------------------------------------
function renderStudio({ model, el }) {
  const send = (msg, buffers) => model.send(msg, undefined, buffers);
  const picker = h("select", { class: "nemo-sessions", title: "the session in use",
    onchange: () => send({ type: "use", id: picker.value }) });
  const credits = h("span", { class: "nemo-credits" });
  const header = h("div", { class: "nemo-studio-head" }, h("b", {}, "Nemo studio"), picker,
    h("button", { class: "nemo-new", title: "a new session", onclick: () => send({ type: "new" }) }, "+ New"), credits);
  const history = h("div", { class: "nemo-history" });
  const promptLine = h("div", { class: "nemo-turn-prompt" });
  const chips = h("div", { class: "nemo-chips" });
  const reply = h("div", { class: "nemo-reply-text" });
  const status = h("div", { class: "nemo-status" });
  const error = h("div", { class: "nemo-error" });
  const box = h("textarea", { class: "nemo-prompt", rows: 2,
    placeholder: "Ask for an edit — Enter sends, Shift+Enter for a new line" });
  const go = () => { const text = box.value.trim(); if (text && !model.get("busy")) { send({ type: "send", text }); box.value = ""; } };
  box.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); go(); } });
  const sendBtn = h("button", { class: "nemo-send", onclick: go }, "Send");
  const undo = h("button", { class: "nemo-undo", onclick: () => send({ type: "undo" }) }, "Undo");
  const file = h("input", { type: "file", class: "nemo-file", accept: "video/*,audio/*,image/*,.txt,.md,.srt,.pdf,.docx" });
  const pick = h("button", { class: "nemo-upload", onclick: () => file.click() }, "Upload…");
  const upBar = bar("nemo-upload-bar");
  const exportBtn = h("button", { class: "nemo-export-btn", onclick: () => send({ type: "export" }) }, "Export");
  const lookBtn = h("button", { class: "nemo-preview-btn", title: "a quick small render to look at (at most 540p), not the final export",
    onclick: () => send({ type: "preview" }) }, "Quick look");
  const cancel = h("button", { class: "nemo-cancel", onclick: () => send({ type: "cancel" }) }, "Cancel");
  const exBar = bar("nemo-export-bar");
  const video = h("video", { class: "nemo-studio-video", controls: true, playsinline: true, preload: "auto" });
  const badge = h("div", { class: "nemo-preview-badge" }, "PREVIEW · a quick look, not the final export");
  const player = h("div", { class: "nemo-player" }, badge, video);
  const tl = bindTimeline(model, (t) => { if (video.src) video.currentTime = t; });
  follow(video, tl);
  el.classList.add("nemo-studio");
  el.append(header, h("div", { class: "nemo-convo" }, history, promptLine, chips, reply, status), error,
    h("div", { class: "nemo-input" }, box, h("div", { class: "nemo-buttons" }, sendBtn, undo, pick, file)), upBar.node,
    tl.node, h("div", { class: "nemo-export-row" }, exportBtn, lookBtn, cancel, exBar.node), player);

  // uploads: chunks go one at a time, each acknowledged, so the bar shows bytes the kernel has
  const acks = [];
  model.on("msg:custom", (msg) => { if (msg && msg.type === "upload_ack" && acks.length) acks.shift()(msg); });
  const ack = () => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the kernel did not answer")), 60000);
    acks.push((m) => { clearTimeout(timer); resolve(m); });
  });
  async function upload(f) {
    try {
      const size = model.get("chunk_bytes");
      let next = ack();
      send({ type: "upload_begin", name: f.name, size: f.size });
      await next;
      for (let off = 0; off < f.size; off += size) {
        const buf = await f.slice(off, off + size).arrayBuffer();
        next = ack();
        send({ type: "upload_chunk", offset: off }, [buf]);
        await next;
      }
    } catch (err) {
      acks.length = 0;
      send({ type: "upload_abort" });
    }
  }
  file.addEventListener("change", () => { if (file.files.length) upload(file.files[0]); file.value = ""; });
  el.addEventListener("dragover", (e) => { e.preventDefault(); el.classList.add("nemo-drop"); });
  el.addEventListener("dragleave", () => el.classList.remove("nemo-drop"));
  el.addEventListener("drop", (e) => {
    e.preventDefault();
    el.classList.remove("nemo-drop");
    if (e.dataTransfer && e.dataTransfer.files.length) upload(e.dataTransfer.files[0]);
  });

  function sessions() {
    picker.replaceChildren(...(model.get("sessions") || []).map((r) => h("option", { value: r.id }, r.label)));
    picker.value = model.get("session_id");
  }
  function convo() {
    history.replaceChildren(...(model.get("history") || []).map((t) => h("div", { class: "nemo-past" },
      h("div", { class: "nemo-turn-prompt" }, t.prompt), h("div", { class: "nemo-past-reply" }, t.reply))));
    promptLine.textContent = model.get("prompt") || "";
    reply.textContent = model.get("reply") || "";
    chips.replaceChildren(...(model.get("tools") || []).map((t) => h("span", { class: `nemo-chip nemo-chip-${t.state}` },
      `${t.name}${t.args || ""} ${t.state === "done" ? "✓" : t.state === "failed" ? "✗" : "…"}`)));
  }
  function state() {
    const busy = model.get("busy");
    box.disabled = busy; sendBtn.disabled = busy; undo.disabled = busy;
    status.textContent = model.get("status") || "";
    status.classList.toggle("nemo-busy", busy);
    error.textContent = model.get("error") ? `✗ ${model.get("error")}` : "";
    credits.textContent = model.get("credits") || "";
    const p = model.get("export_progress");
    exBar.set(p, model.get("export_label"));
    exportBtn.disabled = p >= 0; lookBtn.disabled = p >= 0; cancel.style.display = p >= 0 ? "" : "none";
    upBar.set(model.get("upload_progress"), model.get("upload_label"));
    pick.disabled = model.get("upload_progress") >= 0;
  }
  function showVideo() {
    const url = blobURL(model.get("video"), "video/mp4");
    if (video.src && video.src.startsWith("blob:")) URL.revokeObjectURL(video.src);
    video.style.display = url ? "" : "none";
    if (url) { video.src = url; video.dataset.name = model.get("video_name"); }
    const preview = Boolean(url && model.get("video_preview"));
    player.classList.toggle("nemo-is-preview", preview);
    badge.style.display = preview ? "block" : "none";
    video.title = preview ? "preview: a quick look, not the final export" : "";
  }
  model.on("change:sessions", sessions); model.on("change:session_id", sessions);
  for (const k of ["history", "prompt", "reply", "tools"]) model.on(`change:${k}`, convo);
  for (const k of ["busy", "status", "error", "credits", "export_progress", "export_label", "upload_progress", "upload_label"])
    model.on(`change:${k}`, state);
  model.on("change:video", showVideo); model.on("change:video_preview", showVideo);
  sessions(); convo(); state(); showVideo();
  return () => { if (video.src && video.src.startsWith("blob:")) URL.revokeObjectURL(video.src); };
}

// -- the timeline on its own ---------------------------------------------------------------------------
function renderTimeline({ model, el }) {
  el.classList.add("nemo-timeline-widget");
  el.append(bindTimeline(model).node);
}

// -- compare: the variants side by side, one synced Play ------------------------------------------------
function renderCompare({ model, el }) {
  const send = (msg) => model.send(msg);
  const grid = h("div", { class: "nemo-compare-grid" });
  const playAll = h("button", { class: "nemo-play-all" }, "▶ Play all in sync");
  const note = h("span", { class: "nemo-status" });
  el.classList.add("nemo-compare-widget");
  el.append(h("div", { class: "nemo-compare-head" }, h("b", {}, model.get("title")), playAll, note), grid);
  const videos = [];
  let urls = [];

  function draw() {
    urls.forEach((u) => u && URL.revokeObjectURL(u));
    videos.length = 0;
    const clips = model.get("videos") || [];
    urls = clips.map((c) => blobURL(c, "video/mp4"));
    grid.style.gridTemplateColumns = `repeat(${Math.max(1, (model.get("variants") || []).length)}, minmax(220px, 1fr))`;
    grid.replaceChildren(...(model.get("variants") || []).map((v, i) => {
      const video = h("video", { class: "nemo-compare-video", controls: true, playsinline: true, preload: "auto",
        "data-index": i });
      video.addEventListener("playing", () => { video.dataset.playingAt = String(performance.now()); });
      if (urls[i]) { video.src = urls[i]; videos.push(video); }
      const tl = timeline((k) => ({ lanes: v.lanes, duration: v.duration, summary: v.summary, rows: [],
        selected: -1, position: 0 })[k], () => {}, (t) => { if (video.src) video.currentTime = t; });
      follow(video, tl);
      requestAnimationFrame(tl.draw);
      return h("div", { class: "nemo-variant", "data-session": v.session_id || "" },
        h("div", { class: "nemo-muted" }, `Variant ${i + 1} · session ${v.session_id || "–"}`),
        h("div", { class: "nemo-turn-prompt" }, v.prompt),
        v.error ? h("div", { class: "nemo-error" }, `✗ ${v.error}`) : null,
        h("div", { class: "nemo-past-reply" }, v.reply || ""), tl.node, urls[i] ? video : null,
        h("div", { class: "nemo-muted" }, v.facts || ""),
        v.session_id ? h("button", { class: "nemo-continue", onclick: () => send({ type: "continue", index: i }) },
          "Continue with this one") : null);
    }));
    playAll.disabled = !videos.length;
    markCurrent();
  }

  function markCurrent() {  // which variant is the notebook's current session (the videos keep playing)
    for (const card of grid.querySelectorAll(".nemo-variant")) {
      const current = !!card.dataset.session && card.dataset.session === model.get("current");
      card.classList.toggle("nemo-variant-current", current);
      const button = card.querySelector(".nemo-continue");
      if (button) button.textContent = current ? "✓ in use" : "Continue with this one";
    }
  }

  const once = (v, name) => new Promise((resolve) => v.addEventListener(name, resolve, { once: true }));
  async function ready(v) { if (v.readyState < 3) await once(v, "canplay"); }
  async function seek(v, t) { if (Math.abs(v.currentTime - t) > 0.01) { const p = once(v, "seeked"); v.currentTime = t; await p; } }
  let syncTimer = 0;
  playAll.addEventListener("click", async () => {
    if (!videos.length) return;
    const lead = videos[0];
    const t = lead.ended ? 0 : lead.currentTime;
    videos.forEach((v) => { v.pause(); delete v.dataset.playingAt; });
    note.textContent = "starting…";
    await Promise.all(videos.map((v) => seek(v, Math.min(t, (v.duration || t) - 0.05)).then(() => ready(v))));
    await Promise.all(videos.map((v) => v.play().catch(() => { v.muted = true; return v.play(); })));
    note.textContent = "playing in sync";
    clearInterval(syncTimer);
    syncTimer = setInterval(() => {  // keep the followers on the lead's clock
      if (lead.paused) { clearInterval(syncTimer); note.textContent = ""; return; }
      for (const v of videos.slice(1)) if (!v.ended && Math.abs(v.currentTime - lead.currentTime) > 0.15) v.currentTime = lead.currentTime;
    }, 250);
  });
  model.on("change:variants", draw); model.on("change:videos", draw); model.on("change:current", markCurrent);
  draw();
  return () => { clearInterval(syncTimer); urls.forEach((u) => u && URL.revokeObjectURL(u)); };
}

export default {
  render(ctx) {
    const kind = ctx.model.get("_kind");
    if (kind === "studio") return renderStudio(ctx);
    if (kind === "compare") return renderCompare(ctx);
    return renderTimeline(ctx);
  },
};
