// Live progress of a broadcast. The page's #progress panel names a JSON endpoint in
// data-progress-url (present only while messages are still waiting); every element with
// data-field="<name>" shows that figure. Once delivery has finished the page reloads to
// show the final state (failures, no cancel button) and polling stops.
(function () {
  "use strict";

  var panel = document.querySelector("[data-progress-url]");
  if (!panel) {
    return;
  }
  var url = panel.getAttribute("data-progress-url");
  var interval = (parseFloat(panel.getAttribute("data-poll-seconds")) || 3) * 1000;

  function show(figures) {
    panel.querySelectorAll("[data-field]").forEach(function (element) {
      var name = element.getAttribute("data-field");
      if (!(name in figures)) {
        return;
      }
      if (element.tagName === "PROGRESS") {
        element.max = figures.total;
        element.value = figures[name];
      } else {
        element.textContent = figures[name];
      }
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (figures) {
        show(figures);
        if (figures.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, interval);
        }
      })
      .catch(function () {
        // Offline, or the session ended (a login page is not JSON): try again, less often.
        window.setTimeout(poll, interval * 5);
      });
  }

  window.setTimeout(poll, interval);
})();
