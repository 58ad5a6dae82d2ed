// Requests of the rating page: JSON in and out, with the CSRF token, and a chain that runs the
// requests changing the reviewer's leases one after another, in order.

export function fillUrl(template, id) { return template.replace("{id}", String(id)); }

export function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

export function uuid() {
  if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" +
    h.slice(16, 20) + "-" + h.slice(20);
}

export function createApi(csrf) {
  let chain = Promise.resolve();

  async function request(method, address, body) {
    const response = await fetch(address, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.detail) || "The server answered " + response.status);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function serial(task) {
    const run = chain.then(task);
    chain = run.catch(function () {});
    return run;
  }

  return { request: request, serial: serial };
}
