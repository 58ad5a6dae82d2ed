// Active time on the item: it runs while the tab is visible and the reviewer is not idle.

const IDLE_MS = 60000;

export function createTimer(show) {
  const timer = {
    ms: 0, last: performance.now(), lastInput: performance.now(),
    tick: function () {
      const now = performance.now();
      const dt = Math.min(now - timer.last, 2000);
      timer.last = now;
      if (document.visibilityState === "visible" && now - timer.lastInput < IDLE_MS) { timer.ms += dt; }
      const s = Math.floor(timer.ms / 1000);
      show(Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"));
    },
    reset: function (ms) { timer.ms = ms || 0; timer.last = performance.now(); timer.tick(); },
    take: function () { timer.tick(); return Math.round(timer.ms); },
    markActive: function () { timer.lastInput = performance.now(); },
    idleFor: function () { return performance.now() - timer.lastInput; },
  };
  setInterval(timer.tick, 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { timer.last = performance.now(); } else { timer.tick(); }
  });
  ["pointerdown", "pointermove", "wheel", "touchstart", "input"].forEach(function (type) {
    document.addEventListener(type, timer.markActive, { passive: true });
  });
  document.addEventListener("scroll", timer.markActive, { passive: true, capture: true });
  return timer;
}
