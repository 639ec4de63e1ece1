// Evidence uploads in the refund wizard: one request per file with a progress bar, the checklist item
// redrawn from the server's answer (thumbnails, ticks, errors), remove/replace without a reload.
// Without this file every form still works as a plain multipart POST.
(function () {
  "use strict";

  document.documentElement.classList.add("js-wizard");

  // One upload at a time: each answer redraws the whole item, so answers must arrive in order.
  var queue = [];
  var busy = false;

  // Everything a job needs is read when the file is chosen: the form itself may be redrawn meanwhile.
  function describe(form) {
    var section = form.closest(".evidence-item");
    var main = section ? section.querySelector("form.evidence-upload") : form;
    var fields = [];
    form.querySelectorAll("input[type=hidden]").forEach(function (input) {
      fields.push([input.name, input.value]);
    });
    return {
      action: form.action,
      fields: fields,
      target: form.getAttribute("data-target"),
      list: section ? section.querySelector(".upload-progress") : null,
      maxBytes: parseInt(main.getAttribute("data-max-bytes") || "0", 10),
      tooLarge: main.getAttribute("data-msg-too-large") || "",
      failed: main.getAttribute("data-msg-failed") || "",
      retry: main.getAttribute("data-msg-retry") || "↻",
      dismiss: main.getAttribute("data-msg-dismiss") || "×",
    };
  }

  function newRow(where, file) {
    var row = document.createElement("li");
    row.className = "upload-row";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var status = document.createElement("span");
    status.className = "upload-status";
    status.setAttribute("role", "status");
    row.append(name, bar, status);
    if (where.list) {
      where.list.append(row);
    }
    return { row: row, bar: bar, status: status };
  }

  // Swap in the item as the server drew it; its error lines are returned (they go in the file's row,
  // which stays until dismissed, instead of vanishing with the next upload's redraw).
  function redraw(where, html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var fresh = template.content.querySelector(".item-body");
    var target = where.target ? document.querySelector(where.target) : null;
    if (!fresh || !target) {
      return [];
    }
    var errors = Array.prototype.map.call(fresh.querySelectorAll(".error"), function (el) {
      el.remove();
      return el.textContent.trim();
    });
    target.replaceWith(fresh);
    if (window.htmx) {
      window.htmx.process(fresh);
    }
    return errors;
  }

  function rowButton(row, label, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = label;
    button.addEventListener("click", onClick);
    row.append(button);
  }

  // A refused file (wrong type, too large) can only be dismissed; a lost connection can be retried.
  function fail(job, message, retryable) {
    var view = job.view;
    view.row.classList.add("failed");
    view.bar.remove();
    view.status.textContent = message;
    if (retryable) {
      rowButton(view.row, job.where.retry, function () {
        view.row.remove();
        enqueue(job.where, job.file);
      });
    }
    rowButton(view.row, job.where.dismiss, function () {
      view.row.remove();
    });
  }

  function finish(job, xhr) {
    if (xhr.status === 200 || xhr.status === 422) {
      var errors = redraw(job.where, xhr.responseText);
      if (xhr.status === 200) {
        job.view.row.remove();
      } else {
        fail(job, errors.join(" ") || job.where.failed, false);
      }
    } else if (xhr.status === 413) {
      fail(job, job.where.tooLarge || job.where.failed, false);
    } else {
      fail(job, job.where.failed, true);
    }
  }

  function send(job) {
    var data = new FormData();
    var token = "";
    job.where.fields.forEach(function (pair) {
      data.append(pair[0], pair[1]);
      if (pair[0] === "csrf_token") {
        token = pair[1];
      }
    });
    data.append("file", job.file, job.file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", job.where.action);
    // The server answers the checklist item's fragment, as it does for htmx.
    xhr.setRequestHeader("HX-Request", "true");
    if (token) {
      xhr.setRequestHeader("X-CSRFToken", token);
    }
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        job.view.bar.value = Math.round((event.loaded / event.total) * 100);
      }
    });
    xhr.addEventListener("load", function () {
      finish(job, xhr);
      next();
    });
    xhr.addEventListener("error", function () {
      fail(job, job.where.failed, true);
      next();
    });
    xhr.send(data);
  }

  function next() {
    busy = false;
    var job = queue.shift();
    if (job) {
      busy = true;
      send(job);
    }
  }

  function enqueue(where, file) {
    var job = { where: where, file: file, view: newRow(where, file) };
    if (where.maxBytes && file.size > where.maxBytes) {
      // Refused here, so the phone does not spend minutes sending a file the server would refuse.
      fail(job, where.tooLarge, false);
      return;
    }
    queue.push(job);
    if (!busy) {
      next();
    }
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.files || !input.files.length) {
      return;
    }
    var form = input.closest("form[data-upload]");
    if (!form) {
      return;
    }
    var where = describe(form);
    Array.prototype.forEach.call(input.files, function (file) {
      enqueue(where, file);
    });
    input.value = "";
  });
})();
