// Upload progress for the import form. Without this script the form posts as usual; with
// it, the same multipart request is sent by XMLHttpRequest so that upload progress can be
// shown, and the result page the server returns replaces this one.
(function () {
  "use strict";

  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  var box = document.getElementById("upload-progress");
  var bar = document.getElementById("upload-bar");
  var status = document.getElementById("upload-status");
  var button = form.querySelector("button[type=submit]");

  function show(text, percent) {
    box.hidden = false;
    status.textContent = text;
    if (percent === null) {
      bar.removeAttribute("value"); // indeterminate: the server is importing
    } else {
      bar.value = percent;
    }
  }

  function replacePage(doc, url) {
    document.replaceChild(document.adoptNode(doc.documentElement), document.documentElement);
    if (url && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", url);
    }
  }

  form.addEventListener("submit", function (event) {
    var limit = parseInt(form.getAttribute("data-max-upload"), 10);
    var files = form.querySelector("input[type=file]").files;
    var total = 0;
    for (var i = 0; i < files.length; i += 1) {
      total += files[i].size;
    }
    if (limit && total > limit) {
      event.preventDefault();
      show("These files total " + total.toLocaleString() + " bytes; one upload may be at most " +
        limit.toLocaleString() + " bytes. Upload them in parts.", 0);
      return;
    }
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.responseType = "document";
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.round((e.loaded / e.total) * 100);
        show("Uploading… " + percent + "%", percent);
      }
    });
    request.upload.addEventListener("load", function () {
      show("Uploaded; importing… this can take a while for many files.", null);
    });
    request.addEventListener("load", function () {
      if (request.response && request.response.documentElement) {
        replacePage(request.response, request.responseURL);
      } else {
        show("The server answered with status " + request.status + ".", 0);
        button.disabled = false;
      }
    });
    request.addEventListener("error", function () {
      show("The upload failed (network error). Try again.", 0);
      button.disabled = false;
    });
    button.disabled = true;
    show("Uploading… 0%", 0);
    request.send(new FormData(form));
  });
})();
