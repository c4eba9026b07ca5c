// fitroom web app: one plain ES module, no build step, no third-party code.
// Talks to the JSON API under /v1 with a bearer token kept in localStorage; every
// image is fetched with that header and shown through a blob: URL.

const API = "/v1";
const STORE = { token: "fitroom.token", user: "fitroom.user", photo: "fitroom.photo" };
const PAGE_SIZE = 24;
const POLL_WAIT_S = 15;

/** Human labels for fitroom's GarmentCategory values (src/fitroom/labels.py). */
const CATEGORY_LABELS = {
  "short-sleeve top": "T-shirts & tops",
  "long-sleeve top": "Long sleeves",
  "sleeveless top": "Sleeveless",
  "dress": "Dresses",
  "trousers": "Trousers",
  "skirt": "Skirts",
};
const CATEGORY_SINGULAR = {
  "short-sleeve top": "Short-sleeve top",
  "long-sleeve top": "Long-sleeve top",
  "sleeveless top": "Sleeveless top",
  "dress": "Dress",
  "trousers": "Trousers",
  "skirt": "Skirt",
};

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

const state = {
  token: localStorage.getItem(STORE.token),
  user: readJSON(STORE.user),
  authMode: "signin",
  photos: [],
  photoId: null,
  garments: [],          // current catalog page(s)
  garmentById: new Map(),
  garmentTotal: 0,
  garmentPage: 1,
  category: "",
  query: "",
  counts: {},
  tryons: [],            // history, newest first
  tryonTotal: 0,
  tryonPage: 1,
  shown: null,           // the try-on shown on the stage (succeeded) or null
  shownReady: false,     // its image has loaded
  preview: null,         // {image_url: blob:, width, height} of a photo being uploaded
  ticket: 0,             // increments per try-on request; only the latest drives the stage
  session: 0,            // increments on sign-out: answers for an earlier session are dropped
  busy: null,            // {garment, job, started, status}
  durations: [],         // seconds of recent try-ons, for the progress estimate
  hasCamera: false,
};

function readJSON(key) {
  try { return JSON.parse(localStorage.getItem(key) || "null"); } catch { return null; }
}

// ---------------------------------------------------------------- API client

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const STATUS_MESSAGES = {
  400: "That request was not quite right. Please try again.",
  401: "Please sign in again.",
  403: "You don't have access to that.",
  404: "We couldn't find that. It may have been deleted.",
  409: "That conflicts with something that already exists.",
  413: "That file is too large.",
  415: "That kind of file isn't supported. Use a JPEG, PNG or WebP photo.",
  422: "Some of the details aren't valid. Please check and try again.",
  429: "You're going a little fast. Please wait a moment and try again.",
  500: "Something went wrong on our side. Please try again.",
  502: "fitroom is restarting. Please try again in a moment.",
  503: "fitroom is busy right now. Please try again in a moment.",
};

async function errorFrom(res) {
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  let code = `http_${res.status}`;
  let message = "";
  if (data && data.error && typeof data.error === "object") {
    code = data.error.code || code;
    message = data.error.message || "";
  } else if (data && typeof data.detail === "string") {
    message = data.detail;
  } else if (data && Array.isArray(data.detail)) {
    message = data.detail.map((d) => d.msg).filter(Boolean).join("; ");
  }
  if (!message) message = STATUS_MESSAGES[res.status] || `Something went wrong (HTTP ${res.status}).`;
  const retry = res.headers.get("Retry-After");
  if (res.status === 429 && retry && !/\d/.test(message)) message += ` Try again in ${retry} s.`;
  return new ApiError(res.status, code, message);
}

function networkError() {
  return new ApiError(0, "network", "Can't reach fitroom. Check your connection and try again.");
}

/** Calls the API; returns parsed JSON (or null for 204); throws ApiError with a readable message. */
async function api(path, { method = "GET", json, body, headers = {}, auth = true, signal } = {}) {
  const h = new Headers(headers);
  if (auth && state.token) h.set("Authorization", `Bearer ${state.token}`);
  if (json !== undefined) {
    h.set("Content-Type", "application/json");
    body = JSON.stringify(json);
  }
  h.set("Accept", "application/json");
  let res;
  try {
    res = await fetch(API + path, { method, headers: h, body, signal });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw networkError();
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 401 && auth && state.token) sessionEnded();
    throw err;
  }
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") || "";
  return type.includes("json") ? res.json() : null;
}

// ------------------------------------------------------ authorised images

const blobCache = new Map(); // url -> Promise<objectURL>
let activeFetches = 0;
const fetchQueue = [];

function limited(task) {
  return new Promise((resolve, reject) => {
    const run = () => {
      activeFetches++;
      task().then(resolve, reject).finally(() => {
        activeFetches--;
        const next = fetchQueue.shift();
        if (next) next();
      });
    };
    if (activeFetches < 6) run(); else fetchQueue.push(run);
  });
}

/** A blob: URL for an image that needs the bearer header (cached per URL). */
function authImage(url) {
  if (!blobCache.has(url)) {
    const p = limited(async () => {
      let res;
      try {
        res = await fetch(url, { headers: { Authorization: `Bearer ${state.token}` } });
      } catch { throw networkError(); }
      if (!res.ok) {
        if (res.status === 401 && state.token) sessionEnded();
        throw await errorFrom(res);
      }
      return URL.createObjectURL(await res.blob());
    });
    p.catch(() => blobCache.delete(url));
    blobCache.set(url, p);
  }
  return blobCache.get(url);
}

// catalog cards show a JPEG thumbnail (the API's ?size=, 320 px: sharp on 2x screens)
function thumbUrl(garment) {
  return `${garment.image_url}?size=320`;
}

function forgetImage(url) {
  const p = blobCache.get(url);
  if (p) p.then((u) => URL.revokeObjectURL(u), () => {});
  blobCache.delete(url);
}

function clearImages() {
  for (const url of [...blobCache.keys()]) forgetImage(url);
}

/** Points an <img> at an authorised URL; resolves once it has decoded (or rejects). */
function setImage(img, url) {
  img.dataset.src = url || "";
  if (!url) { img.removeAttribute("src"); return Promise.resolve(); }
  if (url.startsWith("blob:")) { // a local file (the upload preview): no fetch needed
    img.src = url;
    return img.decode().catch(() => {}).then(() => img.classList.remove("loading"));
  }
  img.classList.add("loading");
  return authImage(url).then((blobUrl) => {
    if (img.dataset.src !== url) return;
    img.src = blobUrl;
    return img.decode().catch(() => {}).then(() => img.classList.remove("loading"));
  });
}

/** Like setImage, but fetches only when the image comes near the viewport (catalog pages
 * can hold many full-size product photos). */
const lazyObserver = "IntersectionObserver" in window
  ? new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      lazyObserver.unobserve(e.target);
      setImage(e.target, e.target.dataset.lazySrc).catch(() => {});
    }
  }, { rootMargin: "600px 0px" })
  : null;

function lazyImage(img, url) {
  img.classList.add("loading");
  if (!lazyObserver) { setImage(img, url).catch(() => {}); return; }
  img.dataset.lazySrc = url;
  lazyObserver.observe(img);
}

// ---------------------------------------------------------------- helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "style") throw new Error("el(): no style attributes (the Content-Security-Policy forbids them); use a class");
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) node.append(c);
  return node;
}

function icon(name, cls = "icon") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", cls);
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
function timeAgo(iso) {
  if (!iso) return "";
  const s = (new Date(iso).getTime() - Date.now()) / 1000;
  const abs = Math.abs(s);
  if (abs < 45) return "just now";
  if (abs < 3600) return rtf.format(Math.round(s / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(s / 3600), "hour");
  if (abs < 86400 * 30) return rtf.format(Math.round(s / 86400), "day");
  return new Date(iso).toLocaleDateString();
}

function categoryName(cat) { return CATEGORY_SINGULAR[cat] || (cat ? cat[0].toUpperCase() + cat.slice(1) : ""); }

function garmentName(id) {
  if (!id) return "A removed garment";
  const g = state.garmentById.get(id);
  return g ? g.name : "Garment";
}

/** What to call a photo: its name without the extension ("Sample photo" for the sample),
 * else "Photo N" by upload order. */
function photoLabel(photo) {
  if (!photo) return "A removed photo";
  const name = (photo.name || "").replace(/\.(jpe?g|png|webp)$/i, "").trim();
  if (name) return name;
  const oldestFirst = [...state.photos].sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  const i = oldestFirst.findIndex((p) => p.id === photo.id);
  return i >= 0 ? `Photo ${i + 1}` : "Your photo";
}

/** The label of one of the loaded photos; null when it isn't (yet) among them. */
function photoLabelById(id) {
  const photo = state.photos.find((p) => p.id === id);
  return photo ? photoLabel(photo) : null;
}

function isSample(photo) { return !!photo && photo.name === SAMPLE_NAME; }

function slug(s) { return (s || "look").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "look"; }

// ---------------------------------------------------------------- toasts

/** The most toasts shown at once; past it the oldest go first (notices before errors). */
const TOAST_MAX = 5;

/** Shows a message in the stack at the bottom right. Toasts stack (newest at the bottom),
 * each with its own dismiss button and timer (errors stay at least 8 s; the timer waits while
 * the pointer or focus is on the toast). The same message again restarts its toast's timer
 * and counts it instead of adding a copy. */
function toast(message, { tone = "info", title = null, action = null, timeout = 5000 } = {}) {
  const box = $("#toasts");
  const live = () => [...box.children].filter((n) => !n.classList.contains("leaving"));
  const key = `${tone}\n${title || ""}\n${message}`;
  const same = action ? null : live().find((n) => n.dataset.key === key);
  if (same) { same.toastRepeat(); return same; }

  const iconName = tone === "error" ? "alert" : tone === "success" ? "check" : "sparkle";
  const count = el("span", { class: "toast-count", hidden: true });
  const node = el("div", { class: `toast ${tone}`, role: tone === "error" ? "alert" : "status", dataset: { key } },
    icon(iconName),
    el("div", { class: "toast-text" }, title ? el("strong", {}, title, count) : null,
      el("span", { class: "toast-message" }, message, title ? null : count)),
    action ? el("button", { type: "button", class: "toast-action", onclick: () => { action.run(); close(); } }, action.label) : null,
    el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", title: "Dismiss", onclick: () => close() }, icon("x")),
  );
  const ms = timeout ? (tone === "error" ? Math.max(timeout, 8000) : timeout) : 0;
  let timer = 0;
  let held = 0; // pointer over it, or focus inside it: its timer waits
  const arm = () => { clearTimeout(timer); if (ms && !held) timer = setTimeout(close, ms); };
  const hold = (d) => { held = Math.max(0, held + d); if (held) clearTimeout(timer); else arm(); };
  function close() {
    if (node.classList.contains("leaving")) return;
    clearTimeout(timer);
    node.classList.add("leaving");
    setTimeout(() => node.remove(), 200);
  }
  let repeats = 1;
  node.toastRepeat = () => {
    repeats++;
    count.textContent = `×${repeats}`;
    count.hidden = false;
    arm();
  };
  node.toastClose = close;
  node.addEventListener("mouseenter", () => hold(1));
  node.addEventListener("mouseleave", () => hold(-1));
  node.addEventListener("focusin", () => hold(1));
  node.addEventListener("focusout", () => hold(-1));
  box.append(node);
  arm();
  const shown = live();
  while (shown.length > TOAST_MAX) {
    const oldest = shown.find((n) => !n.classList.contains("error")) || shown[0];
    shown.splice(shown.indexOf(oldest), 1);
    oldest.toastClose();
  }
  return node;
}

function showError(err, title = null) {
  if (err && err.name === "AbortError") return;
  const message = err instanceof ApiError ? err.message : "Something unexpected went wrong. Please try again.";
  if (!(err instanceof ApiError)) console.error(err);
  toast(message, { tone: "error", title });
}

// ---------------------------------------------------------------- views

function show(view) {
  $("#boot-view").hidden = true;
  $("#auth-view").hidden = view !== "auth";
  $("#app-view").hidden = view !== "app";
  $("#account").hidden = view !== "app";
  document.body.dataset.view = view;
}

// ---------------------------------------------------------------- auth

function setAuthMode(mode) {
  state.authMode = mode;
  $("#tab-signin").setAttribute("aria-selected", String(mode === "signin"));
  $("#tab-signup").setAttribute("aria-selected", String(mode === "signup"));
  $("#auth-title").textContent = mode === "signin" ? "Welcome back" : "Create your fitting room";
  $("#auth-submit").textContent = mode === "signin" ? "Sign in" : "Create account";
  $("#auth-password").autocomplete = mode === "signin" ? "current-password" : "new-password";
  $("#password-hint").hidden = mode !== "signup";
  setAuthError(null);
}

function setAuthError(message) {
  const box = $("#auth-error");
  box.hidden = !message;
  $("span", box).textContent = message || "";
  for (const input of $$("#auth-form input")) input.removeAttribute("aria-invalid");
}

async function submitAuth(event) {
  event.preventDefault();
  const email = $("#auth-email").value.trim();
  const password = $("#auth-password").value;
  if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    setAuthError("Enter your email address.");
    $("#auth-email").setAttribute("aria-invalid", "true");
    $("#auth-email").focus();
    return;
  }
  if (!password) {
    setAuthError("Enter your password.");
    $("#auth-password").setAttribute("aria-invalid", "true");
    $("#auth-password").focus();
    return;
  }
  if (state.authMode === "signup" && password.length < 8) {
    setAuthError("Choose a password of at least 8 characters.");
    $("#auth-password").setAttribute("aria-invalid", "true");
    $("#auth-password").focus();
    return;
  }
  setAuthError(null);
  const button = $("#auth-submit");
  button.setAttribute("aria-busy", "true");
  button.disabled = true;
  try {
    const path = state.authMode === "signin" ? "/auth/signin" : "/auth/signup";
    const data = await api(path, { method: "POST", json: { email, password }, auth: false });
    state.token = data.token;
    state.user = data.user;
    localStorage.setItem(STORE.token, data.token);
    localStorage.setItem(STORE.user, JSON.stringify(data.user));
    $("#auth-password").value = "";
    await enterApp();
  } catch (err) {
    setAuthError(err instanceof ApiError ? err.message : "Something unexpected went wrong. Please try again.");
    if (!(err instanceof ApiError)) console.error(err);
  } finally {
    button.removeAttribute("aria-busy");
    button.disabled = false;
  }
}

function resetState() {
  state.token = null;
  state.user = null;
  state.photos = [];
  state.photoId = null;
  state.garments = [];
  state.garmentById.clear();
  state.tryons = [];
  state.tryonTotal = 0;
  state.shown = null;
  state.shownReady = false;
  state.preview = null;
  state.busy = null;
  state.ticket++;
  state.session++;
  state.category = "";
  state.query = "";
  state.counts = {};
  localStorage.removeItem(STORE.token);
  localStorage.removeItem(STORE.user);
  localStorage.removeItem(STORE.photo);
  clearImages();
  // nothing of this account may stay in the page for the next one to see
  for (const id of ["photo-strip", "garment-grid", "history-grid", "category-chips"]) $(`#${id}`).replaceChildren();
  for (const id of ["before-img", "after-img", "stage-backdrop", "busy-garment-img"]) setImage($(`#${id}`), null);
  $("#search-input").value = "";
  $("#history-count").hidden = true;
  $("#stage-busy").hidden = true;
  for (const d of $$("dialog[open]")) d.close();
  renderStage();
}

function signOut(message = null, tone = "info", { revoke = false } = {}) {
  if (revoke && state.token) api("/me/signout", { method: "POST" }).catch(() => {}); // best effort
  resetState();
  closeMenu();
  setAuthMode("signin");
  show("auth");
  if (message) toast(message, { tone });
}

let endingSession = false;
function sessionEnded() {
  if (endingSession) return;
  endingSession = true;
  signOut("Your session has ended. Please sign in again.");
  setTimeout(() => { endingSession = false; }, 500);
}

// ---------------------------------------------------------------- account menu

function openMenu() {
  $("#account-menu").hidden = false;
  $("#account-button").setAttribute("aria-expanded", "true");
  $("#account-menu .menu-item").focus();
}
function closeMenu() {
  $("#account-menu").hidden = true;
  $("#account-button").setAttribute("aria-expanded", "false");
}

/** A confirmation dialog; resolves true when the user confirms. */
function confirmDialog({ title, html, confirmLabel = "Delete" }) {
  const dialog = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-text").innerHTML = html;
  $("#confirm-ok").textContent = confirmLabel;
  dialog.returnValue = "";
  dialog.showModal();
  $("#confirm-cancel").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
  });
}

async function deleteAccount() {
  closeMenu();
  const ok = await confirmDialog({
    title: "Delete all your data?",
    html: `This permanently deletes your account <strong>${escapeHtml(state.user?.email || "")}</strong> and everything in it:
      <ul><li>every photo you uploaded</li><li>every try-on and shared link</li><li>your sign-in</li></ul>
      This can't be undone.`,
    confirmLabel: "Delete everything",
  });
  if (!ok) return;
  try {
    await api("/me", { method: "DELETE" });
    signOut("Your account and all your photos and try-ons have been deleted.", "success");
  } catch (err) {
    showError(err, "Couldn't delete your data");
  }
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// ---------------------------------------------------------------- app start

async function enterApp() {
  const email = state.user?.email || "";
  $("#account-email").textContent = email;
  $("#menu-email").textContent = email;
  $("#avatar").textContent = (email[0] || "?").toUpperCase();
  show("app");
  selectTab("catalog");
  renderStage();
  await Promise.all([
    loadPhotos().catch((e) => showError(e, "Couldn't load your photos")),
    loadGarments().catch((e) => showError(e, "Couldn't load the catalog")),
    loadCounts().catch(() => {}),
    loadHistory().catch((e) => showError(e, "Couldn't load your try-ons")),
  ]);
  renderStage();
}

async function boot() {
  setAuthMode("signin");
  detectCamera();
  if (!state.token) { show("auth"); return; }
  try {
    state.user = await api("/me");
    localStorage.setItem(STORE.user, JSON.stringify(state.user));
    await enterApp();
  } catch (err) {
    if (err.status === 401) return; // sessionEnded() already showed the sign-in view
    if (state.user) { await enterApp(); showError(err); } else { show("auth"); showError(err); }
  }
}

// ---------------------------------------------------------------- photos

async function loadPhotos() {
  const session = state.session;
  const data = await api(`/photos?page=1&page_size=50`);
  if (session !== state.session) return;
  state.photos = data.items || [];
  const saved = localStorage.getItem(STORE.photo);
  const keep = state.photos.find((p) => p.id === (state.photoId || saved));
  state.photoId = keep ? keep.id : state.photos[0]?.id || null;
  renderPhotos();
  renderHistory(); // the history names the photo of each look
}

function currentPhoto() {
  return state.photos.find((p) => p.id === state.photoId) || null;
}

/** The user looks at something else: a try-on still running finishes into the history
 * (with a toast) instead of taking over the stage. */
function releaseStage() {
  state.ticket++;
  if (state.busy?.garment) stopBusy(state.busy);
}

function selectPhoto(id) {
  if (id !== state.photoId) releaseStage();
  state.photoId = id;
  if (id) localStorage.setItem(STORE.photo, id); else localStorage.removeItem(STORE.photo);
  state.shown = null;
  renderPhotos();
  renderStage();
  renderGarmentMarks();
}

function renderPhotos() {
  const strip = $("#photo-strip");
  strip.replaceChildren(...state.photos.map((p, i) => {
    const img = el("img", { alt: "" });
    setImage(img, p.image_url).catch(() => {});
    const label = photoLabel(p);
    return el("div", { class: "photo-thumb", role: "listitem", "aria-current": String(p.id === state.photoId), dataset: { photoId: p.id } },
      el("button", { type: "button", class: "pick", "aria-label": `Use photo ${i + 1}: ${label}`, title: label, onclick: () => selectPhoto(p.id) }, img),
      el("button", { type: "button", class: "remove", "aria-label": `Delete photo ${i + 1}: ${label}`, title: "Delete photo", onclick: () => deletePhoto(p) }, icon("x")),
    );
  }));
}

async function deletePhoto(photo) {
  const looks = state.tryons.filter((t) => t.photo_id === photo.id).length;
  const ok = await confirmDialog({
    title: "Delete this photo?",
    html: looks
      ? `The photo and the ${looks === 1 ? "look" : `${looks} looks`} made from it are deleted from fitroom for good, along with any links you shared to them.`
      : "The photo is deleted from fitroom for good.",
    confirmLabel: "Delete photo",
  });
  if (!ok) return;
  try {
    await api(`/photos/${photo.id}`, { method: "DELETE" });
    forgetImage(photo.image_url);
    state.photos = state.photos.filter((p) => p.id !== photo.id);
    const gone = state.tryons.filter((t) => t.photo_id === photo.id);
    for (const t of gone) if (t.image_url) forgetImage(t.image_url);
    state.tryons = state.tryons.filter((t) => t.photo_id !== photo.id);
    state.tryonTotal = Math.max(0, state.tryonTotal - gone.length);
    if (state.photoId === photo.id) selectPhoto(state.photos[0]?.id || null);
    else renderPhotos();
    renderHistory();
    renderGarmentMarks();
    toast("Photo deleted.", { tone: "success", timeout: 3000 });
  } catch (err) {
    showError(err, "Couldn't delete the photo");
  }
}

async function uploadPhoto(file, { title = "Uploading your photo" } = {}) {
  if (!file) return;
  const stage = $("#stage");
  stage.classList.remove("dragging");
  // show the chosen picture at once while it uploads (when the browser can read it)
  const localUrl = URL.createObjectURL(file);
  const probe = new Image();
  probe.src = localUrl;
  try {
    await probe.decode();
    state.preview = { id: null, image_url: localUrl, width: probe.naturalWidth, height: probe.naturalHeight };
  } catch {
    state.preview = null;
  }
  state.shown = null;
  state.ticket++;
  const busy = startBusy({ title, step: "Checking that we can see you…", garment: null });
  renderStage();
  const form = new FormData();
  form.append("file", file, file.name || "photo.jpg");
  try {
    const session = state.session;
    const photo = await api("/photos", { method: "POST", body: form });
    if (session !== state.session) return;
    state.photos = [photo, ...state.photos.filter((p) => p.id !== photo.id)];
    // the server's copy replaces the preview once it has loaded (no flash in between)
    await authImage(photo.image_url).catch(() => {});
    state.preview = null;
    stopBusy(busy);
    selectPhoto(photo.id);
  } catch (err) {
    state.preview = null;
    stopBusy(busy);
    renderStage();
    photoError(err);
  } finally {
    URL.revokeObjectURL(localUrl);
  }
}

/** Titles and tips for the photo problems fitroom's API names by code. */
const PHOTO_PROBLEMS = {
  no_person: ["We couldn't find you in that photo", "Use a photo where you face the camera with your upper body in view."],
  multiple_people: ["There's more than one person in that photo", "Use a photo with just you in it."],
  person_error: ["That photo doesn't work for a try-on", "Face the camera with your upper body in view, arms a little away from your sides."],
  unsupported_format: ["That file isn't a photo we can read", null],
  invalid_image: ["That file isn't a photo we can read", null],
  corrupt_image: ["That photo seems to be damaged", "Try saving it again, or use another one."],
  empty_file: ["That file is empty", null],
  image_too_large: ["That photo is too large", null],
  too_large: ["That photo is too large", null],
};

function photoError(err) {
  if (!(err instanceof ApiError)) return showError(err, "Couldn't use that photo");
  const [title, tip] = PHOTO_PROBLEMS[err.code] || ["Couldn't use that photo", null];
  // the server's message may already give the same advice
  const said = tip && err.message.toLowerCase().includes(tip.toLowerCase().replace(/\.$/, ""));
  toast(tip && !said ? `${err.message} ${tip}` : err.message, { tone: "error", title });
}

/** The sample photo (bundled with fitroom), through the same upload as the shopper's own. */
const SAMPLE_NAME = "Sample photo.jpg";
async function useSamplePhoto() {
  const button = $("#sample-button");
  button.setAttribute("aria-busy", "true");
  button.disabled = true;
  try {
    let res;
    try { res = await fetch(`${API}/samples/person`); } catch { throw networkError(); }
    if (!res.ok) throw await errorFrom(res);
    const blob = await res.blob();
    await uploadPhoto(new File([blob], SAMPLE_NAME, { type: blob.type || "image/jpeg" }), { title: "Adding the sample photo" });
  } catch (err) {
    showError(err, "Couldn't load the sample photo");
  } finally {
    button.removeAttribute("aria-busy");
    button.disabled = false;
  }
}

function pickFile() {
  const input = $("#file-input");
  input.value = "";
  input.click();
}

// ---------------------------------------------------------------- webcam

async function detectCamera() {
  let has = false;
  try {
    if (navigator.mediaDevices?.getUserMedia && navigator.mediaDevices.enumerateDevices) {
      const devices = await navigator.mediaDevices.enumerateDevices();
      has = devices.some((d) => d.kind === "videoinput");
    }
  } catch { has = false; }
  state.hasCamera = has;
  for (const b of $$(".camera-only")) b.hidden = !has;
}

const camera = { stream: null, blob: null, timer: false, countdown: null };

async function openCamera() {
  const dialog = $("#camera-dialog");
  const video = $("#camera-video");
  setCameraMode("live");
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 960 } }, audio: false,
    });
  } catch (err) {
    const denied = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
    toast(denied ? "Camera access was blocked. Allow the camera in your browser, or upload a photo instead."
      : "No camera could be started. Upload a photo instead.", { tone: "error", title: "Camera unavailable" });
    return;
  }
  video.srcObject = camera.stream;
  dialog.showModal();
  await video.play().catch(() => {});
}

function setCameraMode(mode) {
  $("#camera-video").hidden = mode !== "live";
  $("#camera-still").hidden = mode !== "still";
  $("#camera-shoot").hidden = mode !== "live";
  $("#camera-timer").hidden = mode !== "live";
  $("#camera-retake").hidden = mode !== "still";
  $("#camera-use").hidden = mode !== "still";
  $("#camera-countdown").hidden = true;
}

async function shoot() {
  if (camera.countdown) return;
  if (camera.timer) {
    const box = $("#camera-countdown");
    box.hidden = false;
    for (let n = 3; n > 0; n--) {
      box.textContent = String(n);
      camera.countdown = sleep(1000);
      await camera.countdown;
      if (!camera.stream) return;
    }
    camera.countdown = null;
    box.hidden = true;
  }
  const video = $("#camera-video");
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth || 1280;
  canvas.height = video.videoHeight || 960;
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  camera.blob = await new Promise((r) => canvas.toBlob(r, "image/jpeg", 0.92));
  const still = $("#camera-still");
  if (still.src) URL.revokeObjectURL(still.src);
  still.src = URL.createObjectURL(camera.blob);
  setCameraMode("still");
}

function closeCamera() {
  if (camera.stream) for (const t of camera.stream.getTracks()) t.stop();
  camera.stream = null;
  camera.countdown = null;
  $("#camera-video").srcObject = null;
  const d = $("#camera-dialog");
  if (d.open) d.close();
}

// ---------------------------------------------------------------- catalog

function garmentQuery(page) {
  const p = new URLSearchParams({ page: String(page), page_size: String(PAGE_SIZE) });
  if (state.category) p.set("category", state.category);
  if (state.query) p.set("q", state.query);
  return `/garments?${p}`;
}

let garmentRequest = 0;
async function loadGarments({ append = false } = {}) {
  const mine = ++garmentRequest;
  const page = append ? state.garmentPage + 1 : 1;
  if (!append) renderGarmentSkeleton();
  const session = state.session;
  const data = await api(garmentQuery(page));
  if (mine !== garmentRequest || session !== state.session) return;
  for (const g of data.items) state.garmentById.set(g.id, g);
  state.garments = append ? [...state.garments, ...data.items] : data.items;
  state.garmentTotal = data.total ?? state.garments.length;
  state.garmentPage = page;
  renderGarments();
  renderHistory(); // names may have arrived
}

async function loadCounts() {
  const session = state.session;
  const cats = Object.keys(CATEGORY_LABELS);
  const results = await Promise.all(cats.map((c) =>
    api(`/garments?category=${encodeURIComponent(c)}&page=1&page_size=1`).then((d) => d.total ?? d.items.length).catch(() => null)));
  const all = await api(`/garments?page=1&page_size=1`).then((d) => d.total).catch(() => null);
  if (session !== state.session) return;
  state.counts = { "": all };
  cats.forEach((c, i) => { state.counts[c] = results[i]; });
  renderChips();
}

function renderChips() {
  const box = $("#category-chips");
  const cats = ["", ...Object.keys(CATEGORY_LABELS)].filter((c) => c === "" || c === state.category || (state.counts[c] ?? 0) > 0);
  box.replaceChildren(...cats.map((c) => {
    const n = state.counts[c];
    return el("button", {
      type: "button", class: "chip", "aria-pressed": String(c === state.category), dataset: { category: c },
      onclick: () => { if (state.category !== c) { state.category = c; renderChips(); loadGarments().catch(showError); } },
    }, c ? CATEGORY_LABELS[c] : "All", n != null ? el("span", { class: "n" }, String(n)) : null);
  }));
}

function renderGarmentSkeleton() {
  const grid = $("#garment-grid");
  if (grid.children.length && !grid.querySelector(".skeleton")) return; // keep old results while filtering
  grid.replaceChildren(...Array.from({ length: 6 }, () =>
    el("div", { class: "garment skeleton", "aria-hidden": "true" },
      el("div", { class: "garment-media" }),
      el("div", { class: "garment-info" }, el("span", { class: "line-long" }), el("span", { class: "line-short" })))));
}

function triedGarments() {
  const set = new Set();
  for (const t of state.tryons) if (t.status === "succeeded" && t.photo_id === state.photoId) set.add(t.garment_id);
  return set;
}

function renderGarments() {
  const grid = $("#garment-grid");
  if (lazyObserver) for (const img of $$("img", grid)) lazyObserver.unobserve(img);
  const what = state.category ? CATEGORY_LABELS[state.category] || state.category : "garments";
  $("#catalog-status").textContent = `${state.garmentTotal} ${state.garmentTotal === 1 && !state.category ? "garment" : what.toLowerCase()}${state.query ? ` matching “${state.query}”` : ""}`;
  if (!state.garments.length) {
    grid.replaceChildren(el("div", { class: "empty-note" },
      el("strong", {}, state.query ? `Nothing matches “${state.query}”` : "Nothing here yet"),
      state.query || state.category ? "Try another search or category." : "The shop hasn't added any garments yet."),
      state.query ? null : addGarmentTile());
    $("#more-garments").hidden = true;
    return;
  }
  const tried = triedGarments();
  const cards = state.garments.map((g) => {
    const img = el("img", { alt: "" });
    lazyImage(img, thumbUrl(g));
    const selected = state.busy?.garment?.id === g.id || state.shown?.garment_id === g.id;
    const mine = g.owner === "me";
    return el("div", { class: "garment-card" },
      el("button", {
        type: "button", class: "garment", dataset: { garmentId: g.id, owner: g.owner || "demo" },
        "aria-pressed": String(!!selected), "aria-label": `Try on ${g.name}`,
        onclick: () => tryOn(g),
      },
        el("div", { class: "garment-media" }, img,
          mine ? el("span", { class: "mine-badge" }, "Yours") : null,
          tried.has(g.id) ? el("span", { class: "tried-badge" }, icon("check"), "Tried") : null,
          el("span", { class: "try-pill" }, icon("sparkle"), "Try it on")),
        el("div", { class: "garment-info", title: g.name },
          el("span", { class: "garment-name" }, g.name),
          el("span", { class: "garment-cat" }, categoryName(g.category)))),
      mine ? el("button", { type: "button", class: "remove", "aria-label": `Delete ${g.name}`, title: "Delete",
        onclick: () => deleteGarment(g) }, icon("trash")) : null);
  });
  const last = state.garments.length >= state.garmentTotal;
  if (last && !state.query) {
    cards.push(addGarmentTile());
  }
  grid.replaceChildren(...cards);
  $("#more-garments").hidden = last;
}

// ---------------------------------------------------------------- your own garments

function addGarmentTile() {
  return el("button", { type: "button", class: "add-garment", id: "add-garment", onclick: pickGarmentFile },
    el("span", { class: "plus" }, icon("plus")),
    el("strong", {}, "Add a garment"),
    el("span", { class: "sub" }, "Try on something of your own from a product photo"));
}

function pickGarmentFile() {
  const input = $("#garment-file-input");
  input.value = "";
  input.click();
}

let newGarmentFile = null;
function openGarmentDialog(file) {
  if (!file) return;
  newGarmentFile = file;
  const preview = $("#garment-preview");
  if (preview.src.startsWith("blob:")) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  const base = (file.name || "").replace(/\.[a-z0-9]+$/i, "").replace(/[_-]+/g, " ").trim();
  $("#garment-name").value = base ? base[0].toUpperCase() + base.slice(1) : "My garment";
  $("#garment-category").value = "";
  $("#garment-kind").value = "product";
  syncGarmentKind();
  setGarmentError(null);
  $("#garment-dialog").showModal();
  $("#garment-name").select();
}

// a photo of someone wearing the garment is laid flat by the server (try-off), which also
// says what it is: no category to choose then
function syncGarmentKind() {
  const worn = $("#garment-kind").value === "worn";
  $("#garment-category-field").hidden = worn;
  $("#garment-kind-hint").hidden = !worn;
}

function setGarmentError(message) {
  const box = $("#garment-error");
  box.hidden = !message;
  $("span", box).textContent = message || "";
}

async function submitGarment(event) {
  event.preventDefault();
  const name = $("#garment-name").value.trim();
  if (!name) { setGarmentError("Give the garment a name."); $("#garment-name").focus(); return; }
  const button = $("#garment-submit");
  button.setAttribute("aria-busy", "true");
  button.disabled = true;
  setGarmentError(null);
  const worn = $("#garment-kind").value === "worn";
  const form = new FormData();
  form.append("file", newGarmentFile, newGarmentFile.name || "garment.png");
  form.append("name", name);
  const category = $("#garment-category").value;
  if (category && !worn) form.append("category", category);
  try {
    const g = await api(worn ? "/garments/from-photo" : "/garments", { method: "POST", body: form });
    state.garmentById.set(g.id, g);
    $("#garment-dialog").close();
    state.category = "";
    state.query = "";
    $("#search-input").value = "";
    await Promise.all([loadGarments(), loadCounts().catch(() => {})]);
    const how = worn ? "Taken off the photo and laid flat" : "Added";
    toast(`${how} as a ${categoryName(g.category).toLowerCase()}. Pick it to try it on.`, { tone: "success", title: `${g.name} is in your catalog` });
  } catch (err) {
    setGarmentError(err instanceof ApiError ? err.message : "Something unexpected went wrong. Please try again.");
  } finally {
    button.removeAttribute("aria-busy");
    button.disabled = false;
  }
}

async function deleteGarment(g) {
  const ok = await confirmDialog({
    title: `Delete “${g.name}”?`,
    html: "It is removed from your catalog. Looks you already made with it stay in your try-ons.",
    confirmLabel: "Delete garment",
  });
  if (!ok) return;
  try {
    await api(`/garments/${g.id}`, { method: "DELETE" });
    forgetImage(g.image_url);
    forgetImage(thumbUrl(g));
    await Promise.all([loadGarments(), loadCounts().catch(() => {})]);
  } catch (err) {
    showError(err, "Couldn't delete the garment");
  }
}

function renderGarmentMarks() {
  const tried = triedGarments();
  for (const card of $$("#garment-grid .garment[data-garment-id]")) {
    const id = card.dataset.garmentId;
    const selected = state.busy?.garment?.id === id || state.shown?.garment_id === id;
    card.setAttribute("aria-pressed", String(!!selected));
    const media = $(".garment-media", card);
    const badge = $(".tried-badge", media);
    if (tried.has(id) && !badge) media.append(el("span", { class: "tried-badge" }, icon("check"), "Tried"));
    if (!tried.has(id) && badge) badge.remove();
  }
}

// ---------------------------------------------------------------- history

async function loadHistory({ append = false } = {}) {
  const page = append ? state.tryonPage + 1 : 1;
  const session = state.session;
  const data = await api(`/tryons?page=${page}&page_size=${PAGE_SIZE}`);
  if (session !== state.session) return;
  const items = data.items || [];
  if (append) {
    const seen = new Set(state.tryons.map((t) => t.id));
    state.tryons = [...state.tryons, ...items.filter((t) => !seen.has(t.id))];
  } else {
    // keep jobs this page already knows about that the server list may not include yet
    const ids = new Set(items.map((t) => t.id));
    state.tryons = [...state.tryons.filter((t) => !ids.has(t.id) && t.status !== "succeeded" && t.status !== "failed"), ...items];
  }
  state.tryonTotal = Math.max(data.total ?? state.tryons.length, state.tryons.length);
  state.tryonPage = page;
  renderHistory();
  renderGarmentMarks();
  // garments in the history that this catalog page doesn't hold: fetch their names
  const missing = [...new Set(state.tryons.map((t) => t.garment_id))].filter((id) => id && !state.garmentById.has(id));
  for (const id of missing.slice(0, 24)) {
    api(`/garments/${id}`).then((g) => {
      if (session !== state.session) return;
      state.garmentById.set(g.id, g);
      renderHistory();
    }).catch(() => {});
  }
}

function upsertTryon(job) {
  const i = state.tryons.findIndex((t) => t.id === job.id);
  if (i >= 0) state.tryons[i] = job;
  else { state.tryons.unshift(job); state.tryonTotal++; }
  renderHistory();
}

function renderHistory() {
  const grid = $("#history-grid");
  const count = $("#history-count");
  count.hidden = state.tryonTotal === 0;
  count.textContent = String(state.tryonTotal);
  if (!state.tryons.length) {
    grid.replaceChildren(el("div", { class: "empty-note" },
      el("strong", {}, "No try-ons yet"), "Pick a garment in the catalog and your looks will appear here."));
    $("#more-history").hidden = true;
    return;
  }
  grid.replaceChildren(...state.tryons.map((t) => {
    const name = garmentName(t.garment_id);
    let media;
    if (t.status === "succeeded" && t.image_url) {
      const img = el("img", { alt: `You wearing ${name}` });
      setImage(img, t.image_url).catch(() => {});
      media = img;
    } else if (t.status === "failed") {
      media = el("div", { class: "state" }, icon("alert"), t.error?.message || "This try-on didn't work.");
    } else {
      media = el("div", { class: "state" }, el("span", { class: "spinner" }), t.status === "queued" ? "Waiting…" : "Fitting…");
    }
    const done = t.status === "succeeded" || t.status === "failed";
    const photo = photoLabelById(t.photo_id);
    const what = photo ? `${name} on ${photo}` : name;
    return el("div", { class: "history-card" },
      el("button", {
        type: "button", class: `history-item ${t.status}`, dataset: { tryonId: t.id, status: t.status },
        "aria-current": String(state.shown?.id === t.id), "aria-label": `${what}, ${t.status}`,
        title: what, onclick: () => openHistory(t),
      },
        el("div", { class: "history-media" }, media),
        el("div", { class: "history-info" },
          el("strong", { class: "history-garment" }, name),
          photo ? el("span", { class: "history-photo" }, icon("user", "icon tiny"), el("span", {}, photo)) : null,
          el("span", { class: "history-time" }, timeAgo(t.created_at)))),
      done ? el("button", { type: "button", class: "remove", "aria-label": `Remove ${name} from your try-ons`, title: "Remove",
        onclick: () => deleteTryon(t) }, icon("trash")) : null);
  }));
  $("#more-history").hidden = state.tryons.length >= state.tryonTotal;
}

async function deleteTryon(t) {
  const ok = await confirmDialog({
    title: "Remove this look?",
    html: "The picture is deleted from fitroom, and any link you shared to it stops working.",
    confirmLabel: "Remove",
  });
  if (!ok) return;
  try {
    await api(`/tryons/${t.id}`, { method: "DELETE" });
    if (t.image_url) forgetImage(t.image_url);
    state.tryons = state.tryons.filter((x) => x.id !== t.id);
    state.tryonTotal = Math.max(0, state.tryonTotal - 1);
    if (state.shown?.id === t.id) { state.shown = null; renderStage(); }
    renderHistory();
    renderGarmentMarks();
  } catch (err) {
    showError(err, "Couldn't remove that look");
  }
}

function openHistory(t) {
  if (t.status === "failed") {
    toast(t.error?.message || "This try-on didn't work.", { tone: "error", title: `${garmentName(t.garment_id)} couldn't be fitted` });
    return;
  }
  if (t.status !== "succeeded") { toast("This look is still being made.", { tone: "info" }); return; }
  releaseStage();
  if (t.photo_id !== state.photoId && state.photos.some((p) => p.id === t.photo_id)) {
    state.photoId = t.photo_id;
    localStorage.setItem(STORE.photo, t.photo_id);
    renderPhotos();
  }
  showTryon(t);
  if (matchMedia("(max-width: 960px)").matches) $("#stage").scrollIntoView({ behavior: "smooth", block: "start" });
}

function selectTab(which) {
  $("#tab-catalog").setAttribute("aria-selected", String(which === "catalog"));
  $("#tab-history").setAttribute("aria-selected", String(which === "history"));
  $("#catalog-panel").hidden = which !== "catalog";
  $("#history-panel").hidden = which !== "history";
}

// ---------------------------------------------------------------- stage

function renderStage() {
  const photo = state.preview || currentPhoto();
  const stage = $("#stage");
  const compare = $("#compare");
  const hasBusy = !!state.busy;
  $("#stage-empty").hidden = !!photo || (hasBusy && !state.busy.garment);
  compare.hidden = !photo && !state.shown;
  if (photo) {
    const ratio = photo.width && photo.height ? photo.width / photo.height : 0.75;
    compare.style.setProperty("--ar", `${photo.width || 3} / ${photo.height || 4}`);
    compare.style.setProperty("--arn", String(ratio));
    setImage($("#before-img"), photo.image_url).catch(() => {});
    setImage($("#stage-backdrop"), photo.image_url).catch(() => {});
    fitCompare();
  } else {
    setImage($("#before-img"), null);
    setImage($("#stage-backdrop"), null);
    $("#stage-backdrop").classList.add("loading");
  }
  const shown = state.shown;
  compare.dataset.state = shown ? (state.shownReady ? "result" : "loading") : "photo";
  if (shown) compare.dataset.tryonId = shown.id;
  else { delete compare.dataset.tryonId; setImage($("#after-img"), null); }
  stage.dataset.state = hasBusy ? "busy" : shown ? "result" : photo ? "photo" : "empty";
  stage.classList.toggle("has-picture", !!photo);
  const col = $(".stage-col");
  col.dataset.photos = String(state.photos.length);
  col.dataset.result = String(!!shown);
  $("#download-button").disabled = !shown;
  $("#share-button").disabled = !shown;
  const title = $("#caption-title");
  const sub = $("#caption-sub");
  if (hasBusy && state.busy.garment) {
    title.textContent = state.busy.garment.name;
    sub.textContent = "Trying it on…";
  } else if (shown) {
    const g = state.garmentById.get(shown.garment_id);
    title.textContent = g ? g.name : "Your look";
    const on = photoLabelById(shown.photo_id);
    sub.textContent = [g && categoryName(g.category), on && `on ${on}`, timeAgo(shown.finished_at || shown.created_at)].filter(Boolean).join(" · ");
  } else if (photo) {
    title.textContent = isSample(photo) ? "The sample photo" : "Your photo";
    sub.textContent = "Pick a garment from the catalog to try it on";
  } else {
    title.textContent = "Your fitting room";
    sub.textContent = "Start with a photo of yourself";
  }
}

async function showTryon(job) {
  state.shown = job;
  state.shownReady = false;
  renderStage();
  renderGarmentMarks();
  renderHistory();
  const compare = $("#compare");
  const after = $("#after-img");
  after.alt = `You wearing ${garmentName(job.garment_id)}`;
  setSlider(50);
  try {
    await setImage(after, job.image_url);
    if (state.shown?.id === job.id) {
      state.shownReady = true;
      compare.dataset.state = "result";
    }
  } catch (err) {
    if (state.shown?.id === job.id) { state.shown = null; renderStage(); }
    showError(err, "Couldn't load the result");
  }
}

// ---------------------------------------------------------------- busy overlay / progress

function startBusy({ title, step, garment }) {
  const token = { title, garment, started: performance.now(), status: "queued", raf: 0 };
  state.busy = token;
  $("#stage-busy").hidden = false;
  $("#busy-title").textContent = title;
  $("#busy-step").textContent = step;
  $("#busy-thumb").classList.toggle("no-image", !garment);
  if (garment) setImage($("#busy-garment-img"), thumbUrl(garment)).catch(() => {});
  $("#stage").dataset.state = "busy";
  if (!currentPhoto()) $("#stage-empty").hidden = true;
  const expected = averageDuration();
  const tick = () => {
    if (state.busy !== token) return;
    const t = (performance.now() - token.started) / 1000;
    const done = token.status === "done";
    const frac = done ? 1 : 0.95 * (1 - Math.exp(-t / expected));
    $("#busy-bar").style.width = `${(frac * 100).toFixed(1)}%`;
    $("#busy-time").textContent = `${Math.floor(t)} s`;
    token.raf = requestAnimationFrame(tick);
  };
  tick();
  return token;
}

function busyStatus(token, status, step) {
  if (state.busy !== token) return;
  token.status = status;
  $("#busy-step").textContent = step;
}

function stopBusy(token) {
  if (state.busy !== token) return;
  cancelAnimationFrame(token.raf);
  state.busy = null;
  $("#stage-busy").hidden = true;
  $("#busy-bar").style.width = "0";
  renderStage();
}

function averageDuration() {
  const d = state.durations.slice(-5);
  return d.length ? Math.max(1, d.reduce((a, b) => a + b, 0) / d.length) : 4;
}

// ---------------------------------------------------------------- try-on

const STEP_TEXT = {
  queued: "Getting the fitting room ready…",
  running: "Fitting it to your pose…",
};

async function tryOn(garment) {
  const photo = currentPhoto();
  if (!photo) {
    toast("Add a photo of yourself first, then pick a garment.", { tone: "info", title: "One step first" });
    const target = $("#stage-empty [data-action=upload]") || $("#upload-button");
    target.focus();
    $("#stage").scrollIntoView({ behavior: "smooth", block: "center" });
    return;
  }
  const done = state.tryons.find((t) => t.photo_id === photo.id && t.garment_id === garment.id && t.status === "succeeded");
  if (done) { releaseStage(); showTryon(done); scrollStageIntoViewOnPhone(); return; }

  const ticket = ++state.ticket;
  state.shown = null;
  if (state.busy) stopBusy(state.busy);
  const busy = startBusy({ title: `Fitting ${garment.name}`, step: "Sending to the fitting room…", garment });
  renderStage();
  renderGarmentMarks();
  scrollStageIntoViewOnPhone();
  const key = uuid();
  const session = state.session;
  try {
    let job = await withRetry(() => api("/tryons", {
      method: "POST", json: { photo_id: photo.id, garment_id: garment.id }, headers: { "Idempotency-Key": key },
    }));
    if (session !== state.session) return;
    upsertTryon(job);
    while (job.status === "queued" || job.status === "running") {
      busyStatus(busy, job.status, STEP_TEXT[job.status]);
      const id = job.id;
      job = await withRetry(() => api(`/tryons/${id}?wait=${POLL_WAIT_S}`));
      if (session !== state.session) return;
      upsertTryon(job);
    }
    if (job.status === "failed") {
      throw new ApiError(422, job.error?.code || "tryon_failed", job.error?.message || "This garment couldn't be fitted to your photo.");
    }
    if (job.created_at && job.finished_at) {
      const secs = (new Date(job.finished_at) - new Date(job.created_at)) / 1000;
      if (secs > 0 && secs < 600) state.durations.push(secs);
    }
    renderGarmentMarks();
    if (ticket === state.ticket) {
      busyStatus(busy, "done", "Done");
      await showTryon(job);
      stopBusy(busy);
    } else {
      stopBusy(busy);
      toast(`${garment.name} is ready.`, { tone: "success", action: { label: "View", run: () => openHistory(job) } });
    }
  } catch (err) {
    stopBusy(busy);
    if (ticket === state.ticket && session === state.session) showError(err, `${garment.name} couldn't be tried on`);
  }
}

/** Retries network failures and 503s a few times (same Idempotency-Key, so a retried POST is safe). */
async function withRetry(fn, tries = 4) {
  for (let i = 0; ; i++) {
    try { return await fn(); } catch (err) {
      const retriable = err instanceof ApiError && (err.status === 0 || err.status === 502 || err.status === 503);
      if (!retriable || i >= tries - 1) throw err;
      await sleep(800 * 2 ** i);
    }
  }
}

function scrollStageIntoViewOnPhone() {
  if (matchMedia("(max-width: 960px)").matches) {
    const r = $("#stage").getBoundingClientRect();
    if (r.top < 0 || r.bottom > innerHeight) $("#stage").scrollIntoView({ behavior: "smooth", block: "start" });
  }
}

// ---------------------------------------------------------------- compare slider

/** Lets the picture fill the stage's width when letterboxing would leave only thin bars. */
function fitCompare() {
  const compare = $("#compare");
  if (compare.hidden) return;
  compare.classList.remove("fill");
  const stageW = $("#stage").clientWidth;
  if (stageW && compare.offsetWidth / stageW > 0.9) compare.classList.add("fill");
}

function setSlider(pct) {
  const v = Math.max(0, Math.min(100, pct));
  const compare = $("#compare");
  compare.style.setProperty("--pos", `${v}%`);
  const handle = $("#compare-handle");
  handle.setAttribute("aria-valuenow", String(Math.round(v)));
  handle.setAttribute("aria-valuetext", `${Math.round(v)}% before, ${100 - Math.round(v)}% after`);
}

function sliderValue() { return Number($("#compare-handle").getAttribute("aria-valuenow")); }

function initSlider() {
  const compare = $("#compare");
  const handle = $("#compare-handle");
  let dragging = false;
  const fromEvent = (e) => {
    const r = compare.getBoundingClientRect();
    setSlider(((e.clientX - r.left) / r.width) * 100);
  };
  compare.addEventListener("pointerdown", (e) => {
    if (compare.dataset.state !== "result" || e.button !== 0) return;
    dragging = true;
    compare.classList.add("dragging");
    compare.setPointerCapture(e.pointerId);
    fromEvent(e);
    handle.focus({ preventScroll: true });
    e.preventDefault();
  });
  compare.addEventListener("pointermove", (e) => { if (dragging) fromEvent(e); });
  const end = () => { dragging = false; compare.classList.remove("dragging"); };
  compare.addEventListener("pointerup", end);
  compare.addEventListener("pointercancel", end);
  handle.addEventListener("keydown", (e) => {
    const step = e.shiftKey ? 10 : 2;
    const v = sliderValue();
    const map = { ArrowLeft: v - step, ArrowDown: v - step, ArrowRight: v + step, ArrowUp: v + step, PageDown: v - 10, PageUp: v + 10, Home: 0, End: 100 };
    if (e.key in map) { setSlider(map[e.key]); e.preventDefault(); }
  });
}

// ---------------------------------------------------------------- download & share

async function downloadShown() {
  const job = state.shown;
  if (!job) return;
  const button = $("#download-button");
  button.setAttribute("aria-busy", "true");
  try {
    const blobUrl = await authImage(job.image_url);
    const blob = await fetch(blobUrl).then((r) => r.blob());
    const ext = blob.type === "image/jpeg" ? "jpg" : blob.type === "image/webp" ? "webp" : "png";
    const a = el("a", { href: blobUrl, download: `fitroom-${slug(garmentName(job.garment_id))}-${job.id.slice(0, 8)}.${ext}` });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    showError(err, "Couldn't download the picture");
  } finally {
    button.removeAttribute("aria-busy");
  }
}

/** The share dialog's link: made on opening, made anew (and the old one revoked) when "hide
 * my face" changes, revoked by "Stop sharing". */
let shareLink = null;

async function makeShareLink(job, hideFace) {
  const data = await api(`/tryons/${job.id}/share`, { method: "POST", json: { expires_in: 7 * 24 * 3600, hide_face: hideFace } });
  if (shareLink) await api(`/shares/${shareLink.id}`, { method: "DELETE" }).catch(() => {});
  shareLink = data;
  const url = new URL(data.url, location.origin).href;
  $("#share-url").value = url;
  $("#share-open").href = url;
  $("#share-expiry").textContent = data.expires_at
    ? `It stops working on ${new Date(data.expires_at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}.` : "";
  $("#share-copy").textContent = "Copy";
  $("#share-copy").disabled = false;
  $("#share-revoke").disabled = false;
}

async function shareShown() {
  const job = state.shown;
  if (!job) return;
  const button = $("#share-button");
  button.setAttribute("aria-busy", "true");
  try {
    shareLink = null;
    $("#share-hide-face").checked = false;
    await makeShareLink(job, false);
    $("#share-dialog").showModal();
    $("#share-url").select();
  } catch (err) {
    showError(err, "Couldn't create a share link");
  } finally {
    button.removeAttribute("aria-busy");
  }
}

async function toggleShareFace() {
  const job = state.shown;
  const box = $("#share-hide-face");
  if (!job) return;
  box.disabled = true;
  try {
    await makeShareLink(job, box.checked);
  } catch (err) {
    box.checked = !box.checked;
    showError(err, "Couldn't change the share link");
  } finally {
    box.disabled = false;
  }
}

async function revokeShare() {
  if (!shareLink) return;
  try {
    await api(`/shares/${shareLink.id}`, { method: "DELETE" });
    shareLink = null;
    $("#share-url").value = "This link no longer works.";
    $("#share-open").removeAttribute("href");
    $("#share-copy").disabled = true;
    $("#share-revoke").disabled = true;
    toast("The link no longer works.");
  } catch (err) {
    showError(err, "Couldn't stop sharing");
  }
}

async function copyShare() {
  const input = $("#share-url");
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand && document.execCommand("copy");
  }
  $("#share-copy").textContent = "Copied";
}

// ---------------------------------------------------------------- about

let infoRequest = null;
/** What the server runs (GET /v1/info, no sign-in): the engine, its weights and their licence. */
function loadInfo() {
  if (!infoRequest) {
    infoRequest = api("/info", { auth: false });
    infoRequest.catch(() => { infoRequest = null; });
  }
  return infoRequest;
}

const ENGINE_NAMES = { learned: "Learned", classical: "Classical" };

function renderInfo(info) {
  const engine = ENGINE_NAMES[info.engine] || info.engine;
  $("#footer-engine").textContent = info.licence
    ? `Try-ons by fitroom's ${info.engine} engine · weights under ${info.licence}`
    : `Try-ons by fitroom's ${info.engine} engine`;
  $("#about-engine").textContent = info.engine_description ? `${engine}. ${info.engine_description}` : engine;
  $("#about-weights").textContent = info.weights || "None: this engine uses no trained networks.";
  $("#about-licence").textContent = info.licence_note || info.licence || "—";
  $("#about-data").textContent = info.training_data || "—";
  for (const id of ["about-weights", "about-licence", "about-data"]) {
    const row = $(`#${id}`);
    row.hidden = !info.weights && id !== "about-weights";
    row.previousElementSibling.hidden = row.hidden;
  }
  $("#about-card-row").hidden = !info.model_card_url;
  if (info.model_card_url) $("#about-card").href = info.model_card_url;
  $("#about-list").dataset.engine = info.engine;
}

async function openAbout() {
  closeMenu();
  $("#about-dialog").showModal();
  try {
    renderInfo(await loadInfo());
  } catch (err) {
    $("#about-engine").textContent = "Couldn't reach fitroom to ask.";
    showError(err, "Couldn't load the details");
  }
}

// ---------------------------------------------------------------- wiring

function wire() {
  $("#tab-signin").addEventListener("click", () => setAuthMode("signin"));
  $("#tab-signup").addEventListener("click", () => setAuthMode("signup"));
  $("#auth-form").addEventListener("submit", submitAuth);

  $("#account-button").addEventListener("click", (e) => {
    e.stopPropagation();
    if ($("#account-menu").hidden) openMenu(); else closeMenu();
  });
  document.addEventListener("click", (e) => { if (!$("#account").contains(e.target)) closeMenu(); });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("#account-menu").hidden) { closeMenu(); $("#account-button").focus(); } });
  $("#signout-button").addEventListener("click", () => signOut("You're signed out.", "info", { revoke: true }));
  $("#delete-account-button").addEventListener("click", deleteAccount);
  $("#menu-about-button").addEventListener("click", openAbout);
  $("#about-button").addEventListener("click", openAbout);

  for (const b of $$("[data-action=upload]")) b.addEventListener("click", pickFile);
  for (const b of $$("[data-action=camera]")) b.addEventListener("click", openCamera);
  for (const b of $$("[data-action=sample]")) b.addEventListener("click", useSamplePhoto);
  $("#file-input").addEventListener("change", (e) => uploadPhoto(e.target.files[0]));

  const stage = $("#stage");
  stage.addEventListener("dragover", (e) => {
    if (![...(e.dataTransfer?.types || [])].includes("Files")) return;
    e.preventDefault();
    stage.classList.add("dragging");
  });
  stage.addEventListener("dragleave", (e) => { if (!stage.contains(e.relatedTarget)) stage.classList.remove("dragging"); });
  stage.addEventListener("drop", (e) => {
    e.preventDefault();
    stage.classList.remove("dragging");
    const file = e.dataTransfer?.files?.[0];
    if (file) uploadPhoto(file);
  });

  $("#tab-catalog").addEventListener("click", () => selectTab("catalog"));
  $("#tab-history").addEventListener("click", () => selectTab("history"));
  for (const tab of $$(".tabs .tab")) {
    tab.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        const other = tab.id === "tab-catalog" ? $("#tab-history") : $("#tab-catalog");
        other.click(); other.focus();
      }
    });
  }
  let searchTimer = 0;
  $("#search-input").addEventListener("input", (e) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.query = e.target.value.trim();
      loadGarments().catch(showError);
    }, 250);
  });
  $("#garment-file-input").addEventListener("change", (e) => openGarmentDialog(e.target.files[0]));
  $("#garment-form").addEventListener("submit", submitGarment);
  $("#garment-kind").addEventListener("change", syncGarmentKind);
  $("#garment-cancel").addEventListener("click", () => $("#garment-dialog").close());
  $("#more-garments").addEventListener("click", () => loadGarments({ append: true }).catch(showError));
  $("#more-history").addEventListener("click", () => loadHistory({ append: true }).catch(showError));

  initSlider();
  new ResizeObserver(() => fitCompare()).observe($("#stage"));
  $("#download-button").addEventListener("click", downloadShown);
  $("#share-button").addEventListener("click", shareShown);
  $("#share-copy").addEventListener("click", copyShare);
  $("#share-hide-face").addEventListener("change", toggleShareFace);
  $("#share-revoke").addEventListener("click", revokeShare);

  $("#camera-cancel").addEventListener("click", closeCamera);
  $("#camera-dialog").addEventListener("close", closeCamera);
  $("#camera-shoot").addEventListener("click", shoot);
  $("#camera-retake").addEventListener("click", () => setCameraMode("live"));
  $("#camera-timer").addEventListener("click", () => {
    camera.timer = !camera.timer;
    $("#camera-timer").setAttribute("aria-pressed", String(camera.timer));
  });
  $("#camera-use").addEventListener("click", () => {
    const blob = camera.blob;
    closeCamera();
    if (blob) uploadPhoto(new File([blob], "camera.jpg", { type: "image/jpeg" }));
  });
  navigator.mediaDevices?.addEventListener?.("devicechange", detectCamera);

  // other tabs signing in or out
  window.addEventListener("storage", (e) => {
    if (e.key !== STORE.token) return;
    if (!e.newValue && state.token) signOut("You signed out in another window.");
    else if (e.newValue && e.newValue !== state.token) location.reload();
  });
}

wire();
boot();
loadInfo().then(renderInfo).catch(() => {});
