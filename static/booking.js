// The booking and reschedule pickers without round trips; every day and time is also a plain
// link, so the pages work without this script.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);

  function go(changes) {
    var next = new URLSearchParams(window.location.search);
    Object.keys(changes).forEach(function (key) {
      if (changes[key] === null) {
        next.delete(key);
      } else {
        next.set(key, changes[key]);
      }
    });
    window.location.assign(window.location.pathname + "?" + next.toString());
  }

  // The zone: the browser's on a first visit, then whatever the prospect picks or searches.
  var page = document.getElementById("booking");
  var select = document.getElementById("tz");
  if (select) {
    var hasZone = function (name) {
      return Array.prototype.some.call(select.options, function (option) {
        return option.value === name;
      });
    };
    var browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (page && page.hasAttribute("data-zone-guessed") && !params.has("tz") &&
        browserZone && browserZone !== select.value && hasZone(browserZone)) {
      params.set("tz", browserZone);
      window.location.replace(window.location.pathname + "?" + params.toString() + window.location.hash);
      return;
    }
    var choose = function () {
      go({ tz: select.value, day: null, start: null });
    };
    var submit = document.getElementById("zone-submit");
    if (submit) {
      submit.hidden = true;
    }
    var search = document.getElementById("tz-search");
    var listing = false;
    select.addEventListener("change", function () {
      if (!listing) {
        choose();
      }
    });
    select.addEventListener("click", function (event) {
      if (listing && event.target.tagName === "OPTION") {
        choose();
      }
    });
    select.addEventListener("keydown", function (event) {
      if (listing && event.key === "Enter") {
        event.preventDefault();
        choose();
      }
    });
    if (search) {
      search.hidden = false;
      var words = function (text) {
        return text.toLowerCase().replace(/[_/]/g, " ");
      };
      search.addEventListener("input", function () {
        var wanted = words(search.value.trim());
        var first = null;
        Array.prototype.forEach.call(select.options, function (option) {
          var match = !wanted || words(option.text).indexOf(wanted) !== -1;
          option.hidden = !match;
          if (match && !first) {
            first = option;
          }
        });
        listing = wanted.length > 0;
        select.size = listing ? 6 : 0;
        if (first && listing) {
          select.value = first.value;
        }
      });
      search.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          if (listing) {
            choose();
          }
        } else if (event.key === "ArrowDown" && listing) {
          event.preventDefault();
          select.focus();
        }
      });
    }
  }

  var calendar = document.getElementById("calendar");
  if (!calendar) {
    return;
  }
  var cells = Array.prototype.slice.call(calendar.querySelectorAll("[data-day], [data-date]"));
  var dayOf = function (cell) {
    return cell.getAttribute("data-day") || cell.getAttribute("data-date");
  };
  var chosenDay = calendar.querySelector("a.day.selected");
  var current = chosenDay || calendar.querySelector("[data-day]") || cells[0];
  cells.forEach(function (cell) {
    cell.tabIndex = cell === current ? 0 : -1;
  });

  function showDay(link) {
    var day = link.getAttribute("data-day");
    Array.prototype.forEach.call(calendar.querySelectorAll("a.day.selected"), function (other) {
      other.classList.remove("selected");
      other.parentNode.setAttribute("aria-selected", "false");
    });
    link.classList.add("selected");
    link.parentNode.setAttribute("aria-selected", "true");
    Array.prototype.forEach.call(document.querySelectorAll("[data-times-for]"), function (list) {
      list.hidden = list.getAttribute("data-times-for") !== day;
    });
    var address = new URLSearchParams(window.location.search);
    address.set("day", day);
    window.history.replaceState(null, "", window.location.pathname + "?" + address.toString());
  }

  calendar.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-day]");
    if (link) {
      event.preventDefault();
      showDay(link);
      focusCell(link);
    }
  });

  function focusCell(cell) {
    if (current) {
      current.tabIndex = -1;
    }
    current = cell;
    cell.tabIndex = 0;
    cell.focus();
  }

  function follow(id) {
    var link = document.getElementById(id);
    if (link) {
      window.location.assign(link.href);
    }
  }

  // The WAI-ARIA grid pattern: arrows move by a day or a week, Home and End to the week's
  // ends, Page Up and Page Down by a month; Enter or Space picks a day with times.
  calendar.addEventListener("keydown", function (event) {
    var index = cells.indexOf(event.target);
    if (index === -1) {
      return;
    }
    var weekday = (new Date(dayOf(event.target) + "T12:00:00Z").getUTCDay() + 6) % 7;
    var moves = {
      ArrowLeft: -1,
      ArrowRight: 1,
      ArrowUp: -7,
      ArrowDown: 7,
      Home: -weekday,
      End: 6 - weekday
    };
    if (event.key in moves) {
      event.preventDefault();
      var target = index + moves[event.key];
      if (target < 0) {
        follow("month-previous");
      } else if (target >= cells.length) {
        follow("month-next");
      } else {
        focusCell(cells[target]);
      }
    } else if (event.key === "PageUp" || event.key === "PageDown") {
      event.preventDefault();
      follow(event.key === "PageUp" ? "month-previous" : "month-next");
    } else if ((event.key === " " || event.key === "Enter") && event.target.hasAttribute("data-day")) {
      event.preventDefault();
      showDay(event.target);
    }
  });

  // A time: recapped beside the form, which opens with the first empty field focused.
  var form = document.getElementById("booking-details");
  var start = document.getElementById("start");
  var chosen = document.getElementById("chosen");
  var summary = document.getElementById("chosen-summary");
  var hint = document.getElementById("pick-first");
  document.addEventListener("click", function (event) {
    var time = event.target.closest("a.time");
    if (!time || !form || !start) {
      return;
    }
    event.preventDefault();
    Array.prototype.forEach.call(document.querySelectorAll("a.time.chosen"), function (other) {
      other.classList.remove("chosen");
      other.removeAttribute("aria-current");
    });
    time.classList.add("chosen");
    time.setAttribute("aria-current", "true");
    start.value = time.getAttribute("data-start");
    summary.textContent = time.getAttribute("data-summary");
    chosen.setAttribute("data-chosen-start-utc", time.getAttribute("data-start-utc"));
    chosen.hidden = false;
    form.hidden = false;
    if (hint) {
      hint.hidden = true;
    }
    var error = document.getElementById("slot-error");
    if (error) {
      error.hidden = true;
    }
    var empty = null;
    Array.prototype.some.call(form.querySelectorAll("input[required]"), function (input) {
      if (!input.value) {
        empty = input;
        return true;
      }
      return false;
    });
    chosen.scrollIntoView({ block: "nearest" });
    (empty || form.querySelector("button[type=submit]")).focus({ preventScroll: false });
  });
})();
