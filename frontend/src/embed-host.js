// citemap's resize script for pages that embed a map (MIT, no
// dependencies). Built to /assets/embed.js; the embed snippet loads it with
//   <script src="https://MAPHOST/assets/embed.js" async></script>
//
// An embedded map posts {type: 'citemap:resize', height: N} to its parent
// whenever its content height changes. This script finds the iframe that
// sent it (iframe.contentWindow === event.source), checks that the message
// comes from the origin of that iframe's src, and sets the iframe's height.
// Loading it twice is harmless.
(function () {
  'use strict';
  if (window.citemapResize) return;
  var MIN = 100;
  var MAX = 10000;

  function originOf(src) {
    try {
      return new URL(src, document.baseURI).origin;
    } catch (e) {
      return null;
    }
  }

  function onMessage(event) {
    var data = event.data;
    if (!data || typeof data !== 'object' || data.type !== 'citemap:resize') return;
    var height = Math.ceil(Number(data.height));
    if (!isFinite(height) || height < MIN) return;
    if (height > MAX) height = MAX;
    var frames = document.getElementsByTagName('iframe');
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow !== event.source) continue;
      if (originOf(frame.src) !== event.origin) return;
      frame.style.height = height + 'px';
      frame.setAttribute('height', String(height));
      frame.setAttribute('data-citemap-height', String(height));
      return;
    }
  }

  window.citemapResize = { version: 1 };
  window.addEventListener('message', onMessage, false);
})();
