/* Siaga Kru service worker: keeps the crew page's shell, script, styles, Leaflet and icons so the page opens
   with no signal. Served by /dispatch/kru/sw.js, which puts `self.SIAGA_KRU = {version, shell, assets}` above
   this file. API calls and the live stream are never touched: the page keeps its own last dispatch and
   route (localStorage) and its own queue of status changes. */
/* global self, caches, clients, fetch, URL, Promise */
(function () {
  "use strict";

  var CFG = self.SIAGA_KRU || {version: "0", shell: "/dispatch/kru/", assets: []};
  var PREFIX = "siaga-kru-";
  var CACHE = PREFIX + CFG.version;

  function keep(cache, url, response) {
    // Only a real page or file: never a login redirect or an error page in place of the shell.
    if (response && response.ok && response.type === "basic" && !response.redirected) {
      return cache.put(url, response.clone()).then(function () { return response; });
    }
    return Promise.resolve(response);
  }

  self.addEventListener("install", function (event) {
    event.waitUntil(caches.open(CACHE).then(function (cache) {
      return Promise.all(CFG.assets.map(function (url) {
        return fetch(url, {credentials: "same-origin", cache: "no-cache"})
          .then(function (res) { return keep(cache, url, res); })
          .catch(function () { return null; });
      }));
    }).then(function () { return self.skipWaiting(); }));
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf(PREFIX) === 0 && n !== CACHE; })
        .map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); }));
  });

  self.addEventListener("fetch", function (event) {
    var req = event.request;
    if (req.method !== "GET") return;
    var url = new URL(req.url);
    if (url.origin !== self.location.origin) return;

    if (req.mode === "navigate" && url.pathname === CFG.shell) {
      // The page: the network first (fresh session and CSRF cookie), the kept shell without signal.
      event.respondWith(caches.open(CACHE).then(function (cache) {
        return fetch(req).then(function (res) { return keep(cache, CFG.shell, res); })
          .catch(function () {
            return cache.match(CFG.shell, {ignoreVary: true}).then(function (hit) { return hit || Response.error(); });
          });
      }));
      return;
    }

    if (CFG.assets.indexOf(url.pathname) >= 0) {
      // Scripts, styles, Leaflet, icons: from the cache at once, refreshed behind the scenes.
      event.respondWith(caches.open(CACHE).then(function (cache) {
        return cache.match(url.pathname, {ignoreVary: true}).then(function (hit) {
          var fresh = fetch(req).then(function (res) { return keep(cache, url.pathname, res); });
          if (hit) {
            fresh.catch(function () { return null; });
            return hit;
          }
          return fresh;
        });
      }));
    }
  });

  // A tap on the dispatch notification brings the crew page to the front.
  self.addEventListener("notificationclick", function (event) {
    event.notification.close();
    event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (list) {
      for (var i = 0; i < list.length; i++) {
        if (new URL(list[i].url).pathname.indexOf(CFG.shell) === 0 && list[i].focus) return list[i].focus();
      }
      return self.clients.openWindow ? self.clients.openWindow(CFG.shell) : null;
    }));
  });
})();
