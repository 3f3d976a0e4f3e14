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
    b.setAttribute("aria-pressed", String(next === "dark"));
    try { localStorage.setItem("steward-theme", next); } catch (err) { /* ignore */ }
  });
  var toggle = document.querySelector("[data-theme-toggle]");
  if (toggle) {
    var t0 = document.documentElement.getAttribute("data-theme") ||
      (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    toggle.setAttribute("aria-pressed", String(t0 === "dark"));
  }

  // ---- reports: print ----
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-print]");
    if (b) window.print();
  });

  // ---- lists: j/k to move, Enter to open, click a row ----
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-list] tbody tr[data-href], [data-list] > li[data-href]"));
  }
  function selected() {
    return document.querySelector("[data-list] tbody tr.selected, [data-list] > li.selected");
  }
  function select(row, quiet) {
    var old = selected();
    if (old) old.classList.remove("selected");
    if (!row) return;
    row.classList.add("selected");
    if (quiet) return; // a live refresh keeps the selection but never moves focus
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
      .then(function (r) {
        var type = r.headers.get("content-type") || "";
        // A redirect (to sign in) or anything but text is not the response's text.
        return r.ok && !r.redirected && type.indexOf("text/plain") === 0 ? r.text() : Promise.reject(r.status);
      })
      .then(function (text) {
        var start = box.selectionStart || 0, end = box.selectionEnd || 0;
        box.value = box.value.slice(0, start) + text + box.value.slice(end);
        box.focus();
        box.selectionStart = box.selectionEnd = start + text.length;
      })
      .catch(function () {
        var note = form.querySelector(".canned-error");
        if (!note) {
          note = document.createElement("span");
          note.className = "canned-error error";
          note.setAttribute("role", "alert");
          form.appendChild(note);
        }
        note.textContent = "Could not insert it (signed out?). Your text is unchanged.";
      });
  });

  // ---- live updates (agent pages): refresh what changed, without a reload ----
  // Whether a region holds input the person is working on: focus in a control, or a control
  // changed and not yet submitted.
  function busy(region) {
    var a = document.activeElement;
    if (a && region.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)) return true;
    var controls = region.querySelectorAll("input, textarea, select");
    for (var i = 0; i < controls.length; i++) {
      var c = controls[i];
      if (c.type === "hidden") continue;
      if (c.tagName === "SELECT") {
        // Without a default, a select starts on its first option.
        var initial = 0;
        for (var j = 0; j < c.options.length; j++) {
          if (c.options[j].defaultSelected) { initial = j; break; }
        }
        if (c.selectedIndex !== initial) return true;
      } else if (c.type === "checkbox" || c.type === "radio") {
        if (c.checked !== c.defaultChecked) return true;
      } else if (c.value !== c.defaultValue) {
        return true;
      }
    }
    return false;
  }
  function swap(doc, selector, keepIfBusy) {
    var now = document.querySelector(selector);
    var next = doc.querySelector(selector);
    if (!now || !next) return false;
    if (keepIfBusy && busy(now)) return false;
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
          swap(doc, ".ticket-head");
          swap(doc, ".history ol");
          swap(doc, ".side form.fields", true);
          document.querySelectorAll(".messages > li[id]").forEach(function (li) {
            if (!before[li.id]) li.classList.add("fresh");
          });
        } else if (document.querySelector(".queue")) {
          var sel = selected();
          var selHref = sel && sel.getAttribute("data-href");
          var hadFocus = sel && sel.contains(document.activeElement);
          swap(doc, "#bulk", true);
          swap(doc, ".views ul");
          swap(doc, ".queue-head .total");
          if (selHref) select(document.querySelector('tr[data-href="' + selHref + '"]'), !hadFocus);
        }
        document.documentElement.setAttribute("data-live-refreshed", String(Date.now()));
      })
      .catch(function (status) {
        // A page that answered a form (POST) cannot be fetched again: stop following changes.
        if (status === 405 && source) source.close();
        /* otherwise the next event or a reload will catch up */
      });
  }
  var source = null;
  var pending = null;
  function soon() {
    if (pending) return;
    pending = setTimeout(function () { pending = null; refresh(); }, 250);
  }
  // Only queues and ticket pages follow changes (and only pages that a GET can fetch again).
  if (window.EventSource && document.querySelector("[data-live]") &&
      (document.querySelector("[data-ticket]") || document.querySelector(".queue"))) {
    var here = document.querySelector("[data-ticket]");
    var number = here && here.getAttribute("data-ticket");
    source = new EventSource("/agent/events");
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
    var dlg0 = document.getElementById("shortcuts");
    if (dlg0 && dlg0.open) return;
    if (e.key === "Escape" && typing(e)) { e.target.blur(); return; }
    if (typing(e)) return;
    var handled = true;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter": {
        // Only when nothing else would take the Enter (a button, a link outside the row).
        var row = selected();
        var a = document.activeElement;
        if (row && (!a || a === document.body || row.contains(a))) {
          window.location.href = row.getAttribute("data-href");
        } else handled = false;
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
        var s = document.querySelector("main [data-search]") || document.querySelector("[data-top-search]");
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

// Buttons that ask first (deleting), and buttons that put text into the reply box (articles).
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target.closest("[data-confirm], [data-insert]") : null;
    if (!t) return;
    if (t.hasAttribute("data-confirm")) {
      if (!window.confirm(t.getAttribute("data-confirm"))) e.preventDefault();
      return;
    }
    var box = document.getElementById("body");
    if (!box) return;
    var text = t.getAttribute("data-insert");
    var at = box.selectionStart || box.value.length;
    var before = box.value.slice(0, at), after = box.value.slice(box.selectionEnd || at);
    var sep = before && !/\s$/.test(before) ? "\n" : "";
    box.value = before + sep + text + after;
    box.focus();
    var end = (before + sep + text).length;
    box.setSelectionRange(end, end);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();

// The new-request form suggests help articles while the summary is typed.
(function () {
  "use strict";
  var input = document.querySelector("[data-suggest]");
  var list = document.getElementById("suggestions");
  if (!input || !list) return;
  var timer = null, last = "";
  function show(items) {
    list.innerHTML = "";
    var region = list.closest("[data-suggest-region]");
    if (region) region.hidden = items.length === 0;
    items.forEach(function (a) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = a.href;
      link.textContent = a.title;
      li.appendChild(link);
      list.appendChild(li);
    });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q === last) return;
      last = q;
      if (q.length < 3) { show([]); return; }
      fetch("/portal/kb/suggest?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(show)
        .catch(function () { show([]); });
    }, 250);
  });
})();

// Files added to an article: sent one by one to the API, then the page shows them.
(function () {
  "use strict";
  var input = document.querySelector("[data-upload]");
  if (!input) return;
  var status = document.querySelector("[data-upload-status]");
  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files);
    var url = input.getAttribute("data-upload");
    var sent = 0;
    function next() {
      if (sent === files.length) { window.location.hash = "files"; window.location.reload(); return; }
      var f = files[sent];
      if (status) status.textContent = "Sending " + f.name + "…";
      fetch(url + "?filename=" + encodeURIComponent(f.name), {
        method: "POST", credentials: "same-origin", body: f,
        headers: { "content-type": f.type || "application/octet-stream" }
      }).then(function (r) {
        if (!r.ok) return r.json().then(function (e) { throw new Error(e.error ? e.error.message : r.status); });
        sent += 1;
        next();
      }).catch(function (e) {
        if (status) status.textContent = f.name + ": " + e.message;
      });
    }
    next();
  });
})();

