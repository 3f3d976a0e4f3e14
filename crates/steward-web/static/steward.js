// Steward's progressive enhancement: keyboard shortcuts, clickable rows, the theme switch.
// Every action also works without this file.
(function () {
  "use strict";

  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  // ---- theme ----
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-theme-toggle]");
    if (!b) return;
    var root = document.documentElement;
    var current = root.getAttribute("data-theme") ||
      (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    var next = current === "dark" ? "light" : "dark";
    root.setAttribute("data-theme", next);
    try { localStorage.setItem("steward-theme", next); } catch (err) { /* ignore */ }
  });

  // ---- lists: j/k to move, Enter to open, click a row ----
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-list] tbody tr[data-href]"));
  }
  function selected() {
    return document.querySelector("[data-list] tbody tr.selected");
  }
  function select(row) {
    var old = selected();
    if (old) { old.classList.remove("selected"); old.removeAttribute("aria-selected"); }
    if (!row) return;
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    var link = row.querySelector("a");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }
  function move(delta) {
    var all = rows();
    if (!all.length) return;
    var i = all.indexOf(selected());
    var next = i < 0 ? (delta > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, i + delta));
    select(all[next]);
  }
  document.addEventListener("click", function (e) {
    var row = e.target.closest && e.target.closest("tr[data-href]");
    if (!row || e.target.closest("a, input, button, label, select")) return;
    window.location.href = row.getAttribute("data-href");
  });

  // ---- compose: r reply, n note ----
  function compose(kind) {
    var box = document.querySelector("#compose textarea");
    if (!box) return false;
    var radio = document.querySelector('#compose [data-kind="' + kind + '"]');
    if (radio) { radio.checked = true; radio.dispatchEvent(new Event("change", { bubbles: true })); }
    box.focus();
    return true;
  }
  document.addEventListener("change", function (e) {
    if (!e.target.matches || !e.target.matches("#compose [data-kind]")) return;
    var form = document.getElementById("compose");
    form.classList.toggle("is-internal", e.target.value === "internal");
  });

  // ---- canned responses: insert at the cursor instead of reloading ----
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-canned]")) return;
    var box = document.querySelector("#compose textarea");
    if (!box || !window.fetch) return;
    e.preventDefault();
    var id = form.querySelector("select").value;
    fetch(form.getAttribute("data-canned") + encodeURIComponent(id), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (text) {
        var start = box.selectionStart || 0, end = box.selectionEnd || 0;
        box.value = box.value.slice(0, start) + text + box.value.slice(end);
        box.focus();
        box.selectionStart = box.selectionEnd = start + text.length;
      })
      .catch(function () { form.submit(); });
  });

  // ---- live updates (agent pages): refresh what changed, without a reload ----
  function swap(doc, selector, keepIfFocused) {
    var now = document.querySelector(selector);
    var next = doc.querySelector(selector);
    if (!now || !next) return false;
    if (keepIfFocused && now.contains(document.activeElement)) return false;
    if (now.innerHTML !== next.innerHTML) now.innerHTML = next.innerHTML;
    return true;
  }
  function refresh() {
    return fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        if (document.querySelector("[data-ticket]")) {
          var before = {};
          document.querySelectorAll(".messages > li[id]").forEach(function (li) { before[li.id] = true; });
          swap(doc, ".messages");
          swap(doc, ".ticket-head .meta");
          swap(doc, ".history ol");
          swap(doc, ".side form.fields", true);
          document.querySelectorAll(".messages > li[id]").forEach(function (li) {
            if (!before[li.id]) li.classList.add("fresh");
          });
        } else if (document.querySelector(".queue")) {
          var picked = document.querySelector("#bulk input[type=checkbox]:checked");
          var sel = selected();
          var selHref = sel && sel.getAttribute("data-href");
          if (!picked) swap(doc, "#bulk", true);
          swap(doc, ".views ul");
          swap(doc, ".queue-head .total");
          if (selHref) select(document.querySelector('tr[data-href="' + selHref + '"]'));
        }
        document.documentElement.setAttribute("data-live-refreshed", String(Date.now()));
      })
      .catch(function () { /* the next event or a reload will catch up */ });
  }
  var pending = null;
  function soon() {
    if (pending) return;
    pending = setTimeout(function () { pending = null; refresh(); }, 250);
  }
  if (window.EventSource && document.querySelector("[data-live]")) {
    var here = document.querySelector("[data-ticket]");
    var number = here && here.getAttribute("data-ticket");
    var source = new EventSource("/agent/events");
    ["created", "changed", "message", "resync"].forEach(function (kind) {
      source.addEventListener(kind, function (e) {
        if (!number || kind === "resync" || e.data === number) soon();
      });
    });
    source.addEventListener("open", function () {
      document.documentElement.setAttribute("data-live", "connected");
    });
  }

  // ---- the shortcuts ----
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape" && typing(e)) { e.target.blur(); return; }
    if (typing(e)) return;
    var handled = true;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter": {
        var row = selected();
        if (row) window.location.href = row.getAttribute("data-href"); else handled = false;
        break;
      }
      case "r": handled = compose("public"); break;
      case "n": handled = compose("internal"); break;
      case "a": {
        var f = document.getElementById("assign-me");
        if (f) f.requestSubmit(); else handled = false;
        break;
      }
      case "/": {
        var s = document.querySelector("[data-search]");
        if (s) {
          var d = s.closest("details");
          if (d) d.open = true;
          s.focus();
        } else handled = false;
        break;
      }
      case "?": {
        var dlg = document.getElementById("shortcuts");
        if (dlg && dlg.showModal) dlg.showModal(); else handled = false;
        break;
      }
      default: handled = false;
    }
    if (handled) e.preventDefault();
  });
})();
