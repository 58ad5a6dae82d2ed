// The outbox: submissions and skips wait here (and in localStorage, across reloads) until the
// server has them. Each carries its client token, so sending one twice stores it once.

import { fillUrl, sleep } from "./api.js";

// hooks: send(address, body) -> data; accept(data); trouble(); refused(entry, error); done()
export function createOutbox(key, urls, hooks) {
  const entries = load();
  let flushing = null;

  function load() {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }

  function save() {
    const plain = entries.map(function (e) { return { kind: e.kind, item: e.item, body: e.body }; });
    try { localStorage.setItem(key, JSON.stringify(plain)); } catch (e) { /* private mode */ }
  }

  function push(entry) {
    entries.push(entry);
    save();
    flush();
  }

  // The last entry, taken back if it has not been sent yet; null otherwise.
  function takeBackLast() {
    const last = entries[entries.length - 1];
    if (!last || last.sending || !last.payload) { return null; }
    entries.pop();
    save();
    return last;
  }

  function flush() {
    if (!flushing) {
      flushing = sendAll().finally(function () { flushing = null; });
    }
    return flushing;
  }

  async function sendAll() {
    let delay = 500;
    while (entries.length) {
      const entry = entries[0];
      const address = fillUrl(entry.kind === "skip" ? urls.skip : urls.submit, entry.item);
      entry.sending = true;
      try {
        const data = await hooks.send(address, entry.body);
        entries.shift();
        save();
        hooks.accept(data);
        delay = 500;
      } catch (error) {
        entry.sending = false;
        if (!error.status || error.status >= 500 || error.status === 429) {
          hooks.trouble();
          await sleep(delay);
          delay = Math.min(delay * 2, 30000);
          continue;
        }
        entries.shift();
        save();
        hooks.refused(entry, error);
      }
    }
    await hooks.done();
  }

  return { push: push, flush: flush, takeBackLast: takeBackLast };
}
