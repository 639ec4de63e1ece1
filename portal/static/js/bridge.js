// The APP bridge (embed mode only): tells the APP what happened, through whichever bridge the webview has.
// Events come from server-rendered markers (<div data-bridge-event data-bridge-payload>), from the close
// button, and from taps on links that leave the portal. No inline script anywhere (CSP).
//
// Transports, first one present wins; every native bridge receives the same JSON string:
//   React Native      window.ReactNativeWebView.postMessage(json)
//   Android WebView   window.RefundBridge.postMessage(json)   (addJavascriptInterface(obj, "RefundBridge"))
//   iOS WKWebView     window.webkit.messageHandlers.refundBridge.postMessage(json)
//   iframe            window.parent.postMessage(message, origin) for each configured partner origin
// Message: {"source": "refund-center", "version": 1, "id": "...", "event": "...", "payload": {...}}
(function () {
  "use strict";

  var SOURCE = "refund-center";
  var sent = {};

  function nativeBridge() {
    var w = window;
    if (w.ReactNativeWebView && typeof w.ReactNativeWebView.postMessage === "function") {
      return function (json) { w.ReactNativeWebView.postMessage(json); };
    }
    if (w.RefundBridge && typeof w.RefundBridge.postMessage === "function") {
      return function (json) { w.RefundBridge.postMessage(json); };
    }
    var handlers = w.webkit && w.webkit.messageHandlers;
    if (handlers && handlers.refundBridge && typeof handlers.refundBridge.postMessage === "function") {
      return function (json) { handlers.refundBridge.postMessage(json); };
    }
    return null;
  }

  function parentOrigins() {
    if (window.parent === window) return [];
    var holder = document.querySelector("[data-bridge-parent-origins]");
    var value = holder ? holder.getAttribute("data-bridge-parent-origins") : "";
    return value.split(/\s+/).filter(Boolean);
  }

  // Whether anything outside the page will hear us (else links and the close button work as plain links).
  function hasTransport() {
    return nativeBridge() !== null || parentOrigins().length > 0;
  }

  function newId() {
    return "client-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }

  function emit(event, payload, id) {
    var message = { source: SOURCE, version: 1, id: id || newId(), event: event, payload: payload || {} };
    if (sent[message.id]) return false;
    var native = nativeBridge();
    var delivered = false;
    try {
      if (native) {
        native(JSON.stringify(message));
        delivered = true;
      } else {
        parentOrigins().forEach(function (origin) {
          // A message for an origin that is not the parent's is dropped by the browser, so this is safe.
          window.parent.postMessage(message, origin);
          delivered = true;
        });
      }
    } catch (err) {
      delivered = false;
    }
    if (delivered) sent[message.id] = true;
    return delivered;
  }

  function readPayload(el) {
    try {
      return JSON.parse(el.getAttribute("data-bridge-payload") || "{}");
    } catch (err) {
      return {};
    }
  }

  // Markers rendered by the server, in the page or in an htmx fragment swapped in later.
  function scan(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var markers = Array.prototype.slice.call(scope.querySelectorAll("[data-bridge-event]"));
    if (scope.matches && scope.matches("[data-bridge-event]")) markers.unshift(scope);
    markers.forEach(function (el) {
      if (el.getAttribute("data-bridge-sent")) return;
      if (emit(el.getAttribute("data-bridge-event"), readPayload(el), el.getAttribute("data-bridge-id"))) {
        el.setAttribute("data-bridge-sent", "1");
      }
    });
  }

  function isExternal(link) {
    var url;
    try {
      url = new URL(link.getAttribute("href"), window.location.href);
    } catch (err) {
      return null;
    }
    if (url.protocol === "javascript:") return null;
    return url.origin !== window.location.origin || !/^https?:$/.test(url.protocol) ? url : null;
  }

  document.addEventListener("click", function (evt) {
    if (evt.defaultPrevented || evt.button !== 0) return;
    var link = evt.target.closest ? evt.target.closest("a[href]") : null;
    if (!link) return;
    if (link.hasAttribute("data-bridge-close")) {
      if (hasTransport() && emit("close", { from: window.location.pathname })) evt.preventDefault();
      return;  // no APP listening: the link leads to the close page
    }
    var external = isExternal(link);
    if (!external) return;
    if (nativeBridge() && emit("open_external", { url: external.href })) {
      evt.preventDefault();  // the APP opens it in the system browser
      return;
    }
    // No native bridge: never navigate the webview (or frame) away from the portal.
    link.setAttribute("target", "_blank");
    link.setAttribute("rel", "noopener noreferrer");
  });

  document.addEventListener("htmx:load", function (evt) { scan(evt.target); });

  function start() {
    scan(document);
    // iOS may inject its message handler late; markers not yet delivered are tried again once.
    window.setTimeout(function () { scan(document); }, 500);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  window.RefundCenterBridge = { emit: emit, hasTransport: hasTransport };
})();
