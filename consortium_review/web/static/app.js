// 评审工作台 — drop zone, live progress, side panel, highlight boxes. No framework, no build.
(function () {
  "use strict";
  var token = (document.querySelector('meta[name="cr-token"]') || {}).content || "";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;   // never innerHTML for data
    return e;
  }

  function post(url, body, headers) {
    var h = {"X-CR-Token": token, "Accept": "application/json"};
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(url, {method: "POST", body: body, headers: h, credentials: "same-origin"})
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.status); return j; }); });
  }

  // ------------------------------------------------------------------ jobs (live progress)
  var jobsBox = document.getElementById("jobs");
  var watching = jobsBox && jobsBox.getAttribute("data-watch");
  var seenActive = false, polling = false;

  function renderJobs(list) {
    if (!jobsBox) return;
    jobsBox.textContent = "";
    list.forEach(function (j) {
      if (watching && j.names.indexOf(watching) < 0) return;
      if (j.finished_ago != null && j.finished_ago > 300) return;     // old news
      var box = el("div", "job " + j.state);
      box.setAttribute("data-state", j.state);
      var title = el("div", null, j.what + "：" + (j.names.join("、") || "（无）") + " — " + j.state_label +
        (j.seconds != null ? "（" + j.seconds + " 秒）" : ""));
      box.appendChild(title);
      if (j.lines.length) box.appendChild(el("pre", null, j.lines.slice(-30).join("\n")));
      if (j.problems.length) {
        var ul = el("ul", "problems");
        j.problems.forEach(function (p) { ul.appendChild(el("li", null, p)); });
        box.appendChild(ul);
      }
      jobsBox.appendChild(box);
    });
  }

  function poll() {
    if (polling) return;
    polling = true;
    (function tick() {
      fetch("/api/jobs", {headers: {"Accept": "application/json"}}).then(function (r) { return r.json(); }).then(function (d) {
        var mine = d.jobs.filter(function (j) { return !watching || j.names.indexOf(watching) >= 0; });
        var active = mine.some(function (j) { return j.state === "queued" || j.state === "running"; });
        renderJobs(mine.slice(0, 5));
        if (active) { seenActive = true; setTimeout(tick, 1000); return; }
        polling = false;
        if (seenActive) { seenActive = false; setTimeout(function () { location.reload(); }, 600); }
      }).catch(function () { polling = false; setTimeout(poll, 2000); });
    })();
  }
  if (jobsBox) poll();

  // ------------------------------------------------------------------ uploads
  function showError(msg) {
    if (!jobsBox) { alert(msg); return; }
    var box = el("div", "job failed", msg);
    box.setAttribute("data-state", "failed");
    jobsBox.prepend(box);
  }

  function uploadZip(file) {
    return post("/upload", file, {"X-Filename": encodeURIComponent(file.name), "Content-Type": "application/zip"})
      .then(function () { seenActive = true; poll(); })
      .catch(function (e) { showError(file.name + "：" + e.message); });
  }

  function uploadFiles(name, files) {   // files: [{path, file}]
    var staging = Math.random().toString(16).slice(2) + Date.now().toString(16);
    var chain = Promise.resolve();
    files.forEach(function (f) {
      chain = chain.then(function () {
        return post("/upload/file?staging=" + staging + "&path=" + encodeURIComponent(f.path), f.file,
                    {"Content-Type": "application/octet-stream"});
      });
    });
    return chain.then(function () {
      return post("/upload/finish?staging=" + staging + "&name=" + encodeURIComponent(name), "");
    }).then(function () { seenActive = true; poll(); })
      .catch(function (e) { showError(name + "：" + e.message); });
  }

  function walk(entry, prefix, out) {
    return new Promise(function (resolve) {
      if (entry.isFile) {
        entry.file(function (f) { out.push({path: prefix + entry.name, file: f}); resolve(); }, function () { resolve(); });
      } else if (entry.isDirectory) {
        var reader = entry.createReader(), all = [];
        (function more() {
          reader.readEntries(function (batch) {
            if (!batch.length) {
              Promise.all(all.map(function (e) { return walk(e, prefix + entry.name + "/", out); })).then(resolve);
            } else { all = all.concat(Array.prototype.slice.call(batch)); more(); }
          }, function () { resolve(); });
        })();
      } else resolve();
    });
  }

  var drop = document.getElementById("drop");
  if (drop) {
    ["dragenter", "dragover"].forEach(function (t) {
      drop.addEventListener(t, function (ev) { ev.preventDefault(); drop.classList.add("over"); });
    });
    drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
    drop.addEventListener("drop", function (ev) {
      ev.preventDefault();
      drop.classList.remove("over");
      var items = ev.dataTransfer.items ? Array.prototype.slice.call(ev.dataTransfer.items) : [];
      var entries = items.map(function (i) { return i.webkitGetAsEntry ? i.webkitGetAsEntry() : null; });
      if (entries.length && entries.every(function (e) { return e; })) {
        entries.forEach(function (entry) {
          if (entry.isDirectory) {
            var files = [];
            walk(entry, "", files).then(function () {
              // strip the dropped folder's own name: it becomes the consortium name
              uploadFiles(entry.name, files.map(function (f) { return {path: f.path.slice(entry.name.length + 1), file: f.file}; }));
            });
          } else {
            entry.file(function (f) { if (/\.zip$/i.test(f.name)) uploadZip(f); else showError(f.name + "：请拖入文件夹或 .zip 压缩包"); });
          }
        });
      } else {
        Array.prototype.forEach.call(ev.dataTransfer.files, function (f) { uploadZip(f); });
      }
    });
    var pickZip = document.getElementById("pick-zip");
    pickZip.addEventListener("change", function () { Array.prototype.forEach.call(pickZip.files, uploadZip); pickZip.value = ""; });
    var pickDir = document.getElementById("pick-dir");
    pickDir.addEventListener("change", function () {
      var groups = {};
      Array.prototype.forEach.call(pickDir.files, function (f) {
        var parts = (f.webkitRelativePath || f.name).split("/");
        var top = parts.length > 1 ? parts.shift() : "联合体";
        (groups[top] = groups[top] || []).push({path: parts.join("/"), file: f});
      });
      Object.keys(groups).forEach(function (k) { uploadFiles(k, groups[k]); });
      pickDir.value = "";
    });
  }

  // forms that start a review: submit in the background, show progress
  document.querySelectorAll("form[data-job]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var btn = form.querySelector("button");
      if (btn) { btn.disabled = true; btn.textContent = "评审中…"; }
      post(form.action, new URLSearchParams(new FormData(form)), {"Content-Type": "application/x-www-form-urlencoded"})
        .then(function () { seenActive = true; poll(); })
        .catch(function (e) { showError(e.message); if (btn) btn.disabled = false; });
    });
  });

  // ------------------------------------------------------------------ highlight boxes on page images
  function placeBoxes(root) {
    (root || document).querySelectorAll(".page-view[data-boxes-src]").forEach(function (view) {
      if (view.getAttribute("data-boxed")) return;
      view.setAttribute("data-boxed", "1");
      fetch(view.getAttribute("data-boxes-src"), {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (d) {
          (d.boxes || []).forEach(function (b) {
            var hl = el("div", "hl");
            hl.style.left = (b.x * 100) + "%";
            hl.style.top = (b.y * 100) + "%";
            hl.style.width = (b.w * 100) + "%";
            hl.style.height = (b.h * 100) + "%";
            view.appendChild(hl);
          });
          view.setAttribute("data-highlights", String((d.boxes || []).length));
          if (!(d.boxes || []).length) {
            view.parentNode.insertBefore(el("p", "muted small", "该页没有可定位的文字层（扫描件或文字已变更），请对照上方摘录查看。"), view);
          }
          var box = view.closest(".panel");
          if (d.boxes && d.boxes.length && box) {
            // centre the first highlight inside the panel (never scroll the page itself)
            var first = view.querySelector(".hl"), img = view.querySelector("img");
            var centre = function () {
              var delta = first.getBoundingClientRect().top - box.getBoundingClientRect().top;
              box.scrollTop += delta - box.clientHeight / 2;
            };
            if (img.complete) centre(); else img.addEventListener("load", centre);
          }
        });
    });
  }
  placeBoxes(document);

  // ------------------------------------------------------------------ side panel on the consortium page
  var panel = document.getElementById("panel");
  function openPanel(href) {
    var url = href.split("#")[0], hash = href.split("#")[1];
    fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "partial=1", {headers: {"Accept": "text/html"}})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        panel.hidden = false;
        panel.innerHTML = html;         // our own server-rendered, autoescaped fragment
        placeBoxes(panel);
        bindDecision(panel, url);
        document.querySelectorAll("tr.pt.active").forEach(function (r) { r.classList.remove("active"); });
        var code = (panel.querySelector("#point") || {dataset: {}}).dataset.code;
        var row = code && document.getElementById("p-" + code);
        if (row) row.classList.add("active");
        var target = hash && panel.querySelector("#" + hash);
        panel.scrollTop = 0;
        if (target) panel.scrollTop += target.getBoundingClientRect().top - panel.getBoundingClientRect().top - 8;
      });
  }
  function bindDecision(root, url) {
    var form = root.querySelector("form.decision");
    if (!form) return;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      post(form.action, new URLSearchParams(new FormData(form)), {"Content-Type": "application/x-www-form-urlencoded"})
        .then(function () {
          return fetch(location.pathname, {headers: {"Accept": "text/html"}}).then(function (r) { return r.text(); });
        })
        .then(function (html) {
          // refresh the point's row from the page, then the panel
          var doc = new DOMParser().parseFromString(html, "text/html");
          var code = form.closest("#point").dataset.code;
          var fresh = doc.getElementById("p-" + code), old = document.getElementById("p-" + code);
          if (fresh && old) { old.replaceWith(document.importNode(fresh, true)); bindOpeners(document.getElementById("p-" + code)); }
          openPanel(url + "?saved=1");
        })
        .catch(function (e) { alert(e.message); });
    });
  }
  function bindOpeners(root) {
    if (!panel) return;
    root.querySelectorAll("a.open-point").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
        ev.preventDefault();
        openPanel(a.getAttribute("href"));
      });
    });
  }
  if (panel) bindOpeners(document);

  // slow plain forms (annual report): show that something is happening
  document.querySelectorAll("form[data-wait]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var btn = form.querySelector("button");
      if (btn) { btn.textContent = form.getAttribute("data-wait"); setTimeout(function () { btn.disabled = true; }, 0); }
    });
  });

  // filters apply on change
  document.querySelectorAll("form.filters select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
})();
