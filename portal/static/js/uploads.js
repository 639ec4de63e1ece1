// Evidence uploads (申请退款's 凭证 step and 退款进度's 待补充材料): one request per file, each file a row with
// its state (waiting, a percentage, failed) and a cancel button; a warning before leaving the page while
// files are still going. The checklist item is redrawn from the server's answer (thumbnails, ticks,
// errors); where the server answers with HX-Redirect instead (退款进度), the page moves on once all are done.
// Without this file every form still works as a plain multipart POST.
(function () {
  "use strict";

  document.documentElement.classList.add("js-wizard");

  // One upload at a time: each answer redraws the whole item, so answers must arrive in order.
  var queue = [];
  var active = null;
  var moveTo = null;

  // Everything a job needs is read when the file is chosen: the form itself may be redrawn meanwhile.
  function describe(form) {
    var section = form.closest(".evidence-item, .case-action");
    var main = section ? section.querySelector("form[data-max-bytes]") || form : form;
    var fields = [];
    form.querySelectorAll("input[type=hidden], select").forEach(function (input) {
      fields.push([input.name, input.value]);
    });
    function msg(name, fallback) {
      return main.getAttribute("data-msg-" + name) || fallback;
    }
    return {
      action: form.action,
      fields: fields,
      target: form.getAttribute("data-target"),
      list: section ? section.querySelector(".upload-progress") : null,
      maxBytes: parseInt(main.getAttribute("data-max-bytes") || "0", 10),
      tooLarge: msg("too-large", ""),
      failed: msg("failed", ""),
      retry: msg("retry", "↻"),
      dismiss: msg("dismiss", "×"),
      waiting: msg("waiting", "…"),
      cancel: msg("cancel", "×"),
    };
  }

  function rowButton(row, label, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button upload-action";
    button.textContent = label;
    button.addEventListener("click", onClick);
    row.append(button);
    return button;
  }

  function newRow(job) {
    var where = job.where;
    var row = document.createElement("li");
    row.className = "upload-row waiting";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = job.file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.setAttribute("aria-label", job.file.name);
    var status = document.createElement("span");
    status.className = "upload-status";
    status.setAttribute("role", "status");
    status.textContent = where.waiting;
    row.append(name, bar, status);
    var cancel = rowButton(row, where.cancel, function () {
      cancelJob(job);
    });
    if (where.list) {
      where.list.append(row);
    }
    return { row: row, bar: bar, status: status, cancel: cancel };
  }

  function cancelJob(job) {
    job.cancelled = true;
    job.view.row.remove();
    var index = queue.indexOf(job);
    if (index >= 0) {
      queue.splice(index, 1);
    }
    if (active === job && job.xhr) {
      job.xhr.abort(); // its abort handler moves on to the next file
    }
  }

  // Swap in the item as the server drew it; its error lines are returned (they go in the file's row,
  // which stays until dismissed, instead of vanishing with the next upload's redraw).
  function redraw(where, html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var fresh = template.content.querySelector(".item-body");
    var target = where.target ? document.querySelector(where.target) : null;
    var errors = Array.prototype.map.call(template.content.querySelectorAll(".error"), function (el) {
      el.remove();
      return el.textContent.trim();
    });
    if (fresh && target) {
      target.replaceWith(fresh);
      if (window.htmx) {
        window.htmx.process(fresh);
      }
    }
    return errors;
  }

  // A refused file (wrong type, too large) can only be dismissed; a lost connection can be retried.
  function fail(job, message, retryable) {
    var view = job.view;
    view.row.classList.remove("waiting", "sending");
    view.row.classList.add("failed");
    view.bar.remove();
    view.cancel.remove();
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
    var redirect = xhr.getResponseHeader("HX-Redirect");
    if (xhr.status === 200 && redirect) {
      moveTo = redirect;
      job.view.row.remove();
    } else if (xhr.status === 200 || xhr.status === 422) {
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
    job.xhr = xhr;
    xhr.open("POST", job.where.action);
    // The server answers the checklist item's fragment (or HX-Redirect), as it does for htmx.
    xhr.setRequestHeader("HX-Request", "true");
    if (token) {
      xhr.setRequestHeader("X-CSRFToken", token);
    }
    job.view.row.classList.remove("waiting");
    job.view.row.classList.add("sending");
    job.view.status.textContent = "0%";
    job.view.bar.value = 0;
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        var pct = Math.round((event.loaded / event.total) * 100);
        job.view.bar.value = pct;
        job.view.status.textContent = pct + "%";
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
    xhr.addEventListener("abort", next);
    xhr.send(data);
  }

  function next() {
    active = queue.shift() || null;
    if (active) {
      send(active);
    } else if (moveTo) {
      window.location.assign(moveTo);
    }
  }

  function enqueue(where, file) {
    var job = { where: where, file: file, cancelled: false, xhr: null };
    job.view = newRow(job);
    if (where.maxBytes && file.size > where.maxBytes) {
      // Refused here, so the phone does not spend minutes sending a file the server would refuse.
      fail(job, where.tooLarge, false);
      return;
    }
    queue.push(job);
    if (!active) {
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

  // Leaving while files are still going would drop them: the browser asks first.
  window.addEventListener("beforeunload", function (event) {
    if (active || queue.length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
