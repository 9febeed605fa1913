// Convene on any website, served as /embed.js and /route.js:
//   <div data-convene-link="SLUG"></div>              the booking page inline, sized to fit
//   <button data-convene-popup="SLUG">Book</button>   the booking page in a dialog
//   <form data-convene-router="SLUG">…</form>         routes the submission, then offers times
// The page's own URL parameters (prefill and UTMs) are passed on, with the page's address
// and referrer for attribution. When a booking is made,
// window receives `convene:booked` with detail {meeting_request_id, status, start_utc}; a
// routed form's decision arrives as `convene:routed` with the routing's answer.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.URL || !window.fetch) {
    return;
  }
  var base = new URL(script.src, window.location.href).origin;
  var PASSED_ON = /^(name|email|company|phone|title|lang|tz|utm_(source|medium|campaign|term|content)|a_[A-Za-z0-9_]{1,64})$/;
  var frames = [];

  function embeddedUrl(url) {
    var target = new URL(url, base);
    new URLSearchParams(window.location.search).forEach(function (value, key) {
      if (PASSED_ON.test(key) && !target.searchParams.has(key)) {
        target.searchParams.set(key, value);
      }
    });
    // Inside the frame the booking page's referrer is this page, so the visit's own referrer
    // and this page's address travel as parameters (Convene reads them only with embed=1).
    if (document.referrer && !target.searchParams.has("referrer")) {
      target.searchParams.set("referrer", document.referrer);
    }
    if (!target.searchParams.has("landing_page")) {
      target.searchParams.set("landing_page", window.location.href);
    }
    if (!target.searchParams.has("tz") && window.Intl) {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone) {
        target.searchParams.set("tz", zone);
      }
    }
    target.searchParams.set("embed", "1");
    return target.toString();
  }

  function bookingUrl(slug) {
    return embeddedUrl("/book/" + encodeURIComponent(slug));
  }

  function frame(src, autoHeight) {
    var iframe = document.createElement("iframe");
    iframe.src = src;
    iframe.title = "Book a meeting";
    iframe.style.cssText = "display:block;width:100%;border:0;min-height:420px;";
    if (autoHeight) {
      iframe.setAttribute("data-convene-auto-height", "");
    }
    frames.push(iframe);
    return iframe;
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== base || !event.data || typeof event.data.type !== "string") {
      return;
    }
    var iframe = frames.filter(function (candidate) {
      return candidate.contentWindow === event.source;
    })[0];
    if (!iframe) {
      return;
    }
    if (event.data.type === "convene:height" && iframe.hasAttribute("data-convene-auto-height")) {
      var height = Number(event.data.height);
      if (height > 0 && height < 20000) {
        iframe.style.height = Math.ceil(height) + "px";
      }
    } else if (event.data.type === "convene:booked") {
      window.dispatchEvent(new CustomEvent("convene:booked", { detail: event.data.detail }));
    }
  });

  function openDialog(content) {
    var previousFocus = document.activeElement;
    var overlay = document.createElement("div");
    overlay.setAttribute("data-convene-dialog", "");
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", "Book a meeting");
    overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;" +
      "justify-content:center;padding:12px;background:rgba(15,23,42,.6);";
    var box = document.createElement("div");
    box.style.cssText = "position:relative;width:min(980px,100%);max-height:calc(100vh - 24px);overflow:auto;" +
      "background:#fff;border-radius:12px;box-shadow:0 20px 60px rgba(0,0,0,.35);";
    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", "Close");
    close.textContent = "\u00d7";
    close.style.cssText = "position:absolute;top:4px;right:4px;z-index:1;width:44px;height:44px;border:0;" +
      "border-radius:22px;background:#fff;color:#0f172a;font:28px/1 system-ui,sans-serif;cursor:pointer;";
    function shut() {
      overlay.remove();
      document.removeEventListener("keydown", onKey);
      if (previousFocus && previousFocus.focus) {
        previousFocus.focus();
      }
    }
    function onKey(event) {
      if (event.key === "Escape") {
        shut();
      }
    }
    close.addEventListener("click", shut);
    overlay.addEventListener("click", function (event) {
      if (event.target === overlay) {
        shut();
      }
    });
    document.addEventListener("keydown", onKey);
    box.appendChild(close);
    box.appendChild(content);
    overlay.appendChild(box);
    document.body.appendChild(overlay);
    close.focus();
  }

  function openBooking(url) {
    var iframe = frame(url, false);
    iframe.style.height = "min(760px, calc(100vh - 24px))";
    openDialog(iframe);
  }

  function openMessage(text, redirectUrl) {
    var panel = document.createElement("div");
    panel.setAttribute("data-convene-message", "");
    panel.style.cssText = "padding:28px 56px 28px 24px;font:17px/1.5 system-ui,sans-serif;color:#0f172a;";
    var paragraph = document.createElement("p");
    paragraph.style.margin = "0";
    paragraph.textContent = text;
    panel.appendChild(paragraph);
    if (redirectUrl && /^https?:\/\//i.test(redirectUrl)) {
      var next = document.createElement("a");
      next.href = redirectUrl;
      next.textContent = "Continue";
      next.style.cssText = "display:inline-block;margin-top:16px;padding:10px 18px;border-radius:8px;" +
        "background:#1d4ed8;color:#fff;text-decoration:none;";
      panel.appendChild(next);
    }
    openDialog(panel);
  }

  function fieldsOf(form) {
    var fields = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string") {
        fields.append(key, value);
      }
    });
    return fields;
  }

  function route(form, slug) {
    var fields = fieldsOf(form);
    new URLSearchParams(window.location.search).forEach(function (value, key) {
      if (/^utm_/.test(key) && PASSED_ON.test(key) && !fields.has(key)) {
        fields.set(key, value);
      }
    });
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () {
      if (controller) {
        controller.abort();
      }
    }, 8000);
    return fetch(base + "/route/" + encodeURIComponent(slug), {
      method: "POST",
      body: fields,
      credentials: "omit",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      clearTimeout(timer);
      if (!response.ok) {
        throw new Error("routing answered " + response.status);
      }
      return response.json();
    });
  }

  // The form's own submission, sent in the background as the browser would have sent it, so
  // the visitor can stay on the page with their times.
  function submitInBackground(form) {
    var action = form.getAttribute("action");
    if (!action) {
      return;
    }
    var method = (form.getAttribute("method") || "get").toUpperCase() === "POST" ? "POST" : "GET";
    var target = new URL(action, window.location.href);
    var request = { method: method, mode: "no-cors", credentials: "include", keepalive: true };
    if (method === "POST") {
      request.body = (form.enctype === "multipart/form-data") ? new FormData(form) : fieldsOf(form);
    } else {
      fieldsOf(form).forEach(function (value, key) {
        target.searchParams.append(key, value);
      });
    }
    fetch(target.toString(), request).catch(function () {
      // The form's own endpoint is the site's concern; the visitor still gets their times.
    });
  }

  function submitNatively(form) {
    HTMLFormElement.prototype.submit.call(form);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-convene-router")) {
      return;
    }
    var handledBySite = event.defaultPrevented;
    event.preventDefault();
    route(form, form.getAttribute("data-convene-router")).then(function (answer) {
      if (!handledBySite) {
        submitInBackground(form);
      }
      form.dispatchEvent(new CustomEvent("convene:routed", { bubbles: true, detail: answer }));
      if (answer.decision === "book" && answer.booking_url) {
        openBooking(embeddedUrl(answer.booking_url));
      } else if (answer.decision === "disqualified") {
        openMessage(answer.message || "Thank you.", answer.redirect_url);
      } else {
        openMessage(form.getAttribute("data-convene-request-message") ||
          "Thank you! We will confirm a time with you by email shortly.");
      }
    }).catch(function () {
      // Convene unreachable: the submission is not lost, the form goes where it always went.
      if (!handledBySite) {
        submitNatively(form);
      }
    });
  });

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-convene-link]"), function (holder) {
      if (holder.querySelector("iframe")) {
        return;
      }
      holder.appendChild(frame(bookingUrl(holder.getAttribute("data-convene-link")), true));
    });
    document.addEventListener("click", function (event) {
      var trigger = event.target.closest ? event.target.closest("[data-convene-popup]") : null;
      if (!trigger) {
        return;
      }
      event.preventDefault();
      openBooking(bookingUrl(trigger.getAttribute("data-convene-popup")));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
