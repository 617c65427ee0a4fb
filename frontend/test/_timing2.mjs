import { startServer, launch, newPage } from './helpers.mjs';
const srv = await startServer();
const b = await launch();
for (let i = 0; i < 2; i++) {
const { page, context } = await newPage(b, srv.base);
await page.addInitScript(() => {
  window.__t = [];
  const iv = setInterval(() => {
    const m = window.citemap && window.citemap.map;
    if (!m) return;
    clearInterval(iv);
    let renders = 0;
    m.on('render', () => { renders++; if (renders < 4 || renders % 10 == 0) window.__t.push(['render' + renders, Math.round(performance.now())]); });
    m.on('sourcedata', (e) => { if (e.isSourceLoaded && e.sourceDataType !== 'metadata') window.__t.push(['src:' + e.sourceId, Math.round(performance.now())]); });
    m.on('idle', () => window.__t.push(['idle', Math.round(performance.now())]));
  }, 1);
});
await page.goto(srv.base + '/');
await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
console.log(await page.evaluate(() => JSON.stringify([window.citemap.marks, window.__t])));
await context.close();
}
await b.close(); await srv.stop();
