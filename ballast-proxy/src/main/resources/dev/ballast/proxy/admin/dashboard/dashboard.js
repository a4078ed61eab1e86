// Ballast dashboard: polls the admin API and draws what it says. No framework, no build step: the
// charts are drawn on <canvas> by drawChart below.
(function () {
  "use strict";

  var POLL_MS = 2000;
  // A poll that takes longer is given up (a tunnel whose far end died, a laptop back from sleep): the
  // page says its data is stale instead of showing it as live, and the next poll goes out as usual.
  var TIMEOUT_MS = 5000;
  var lastUpdate = null;
  var COLORS = { rate: "#2563eb", err: "#dc2626", p50: "#0891b2", p99: "#c026d3", grid: "#e5e7eb", text: "#6b7280" };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined || isNaN(value)) { return "–"; }
    return Number(value).toFixed(digits);
  }

  // The last non-null value of a series, or null.
  function last(values) {
    for (var i = values.length - 1; i >= 0; i--) { if (values[i] !== null) { return values[i]; } }
    return null;
  }

  // The newest sample, null included: a latency of the last second, not of the last busy one, which
  // for an endpoint drained or idle since may be minutes old.
  function newest(values) {
    return values.length > 0 ? values[values.length - 1] : null;
  }

  // Requests and errors per second, and the error share, from per-second counts.
  function rates(series) {
    var requests = series.requests || [], errors = series.errors || [];
    var errorRate = requests.map(function (n, i) {
      return n === null ? null : (n > 0 ? 100 * (errors[i] || 0) / n : 0);
    });
    return { rps: requests, eps: errors, errorRate: errorRate };
  }

  // Line chart of several series sharing a y axis that starts at 0. Nulls break the line.
  function drawChart(canvas, lines, unit) {
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth || 300, height = canvas.clientHeight || 100;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    var ctx = canvas.getContext("2d");
    if (!ctx) { return; }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    var spark = canvas.classList.contains("spark");
    var left = spark ? 1 : 42, right = 4, top = 4, bottom = spark ? 2 : 14;
    var max = 0, points = 0;
    lines.forEach(function (line) {
      points = Math.max(points, line.values.length);
      line.values.forEach(function (v) { if (v !== null && v > max) { max = v; } });
    });
    max = max > 0 ? max * 1.1 : 1;
    var plotW = width - left - right, plotH = height - top - bottom;
    if (!spark) {
      ctx.strokeStyle = COLORS.grid;
      ctx.fillStyle = COLORS.text;
      ctx.font = "10px system-ui, sans-serif";
      ctx.lineWidth = 1;
      [0, 0.5, 1].forEach(function (f) {
        var y = top + plotH * (1 - f);
        ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(width - right, y); ctx.stroke();
        ctx.fillText(fmt(max * f, max * f >= 10 ? 0 : 2) + unit, 2, y + 3);
      });
      ctx.fillText(points > 1 ? points + " s ago" : "", left, height - 2);
      ctx.fillText("now", width - right - 20, height - 2);
    }
    lines.forEach(function (line) {
      ctx.strokeStyle = line.color;
      ctx.lineWidth = spark ? 1.2 : 1.6;
      ctx.beginPath();
      var drawing = false;
      line.values.forEach(function (v, i) {
        if (v === null) { drawing = false; return; }
        var x = left + (points > 1 ? plotW * i / (points - 1) : plotW);
        var y = top + plotH * (1 - v / max);
        if (drawing) { ctx.lineTo(x, y); } else { ctx.moveTo(x, y); drawing = true; }
      });
      ctx.stroke();
    });
  }

  function chart(title, lines, unit) {
    var canvas = el("canvas");
    var legend = el("div", { "class": "legend" }, lines.map(function (line) {
      var swatch = el("i");
      swatch.style.background = line.color;
      return el("span", {}, [swatch, document.createTextNode(line.label)]);
    }));
    var box = el("div", { "class": "chart" }, [el("h3", { text: title }), canvas, legend]);
    return { box: box, draw: function () { drawChart(canvas, lines, unit); } };
  }

  function spark(values, color) {
    var canvas = el("canvas", { "class": "spark" });
    return { node: canvas, draw: function () { drawChart(canvas, [{ values: values, color: color }], ""); } };
  }

  function renderListeners(status) {
    var body = document.querySelector("#listeners tbody");
    body.replaceChildren.apply(body, status.listeners.map(function (l) {
      return el("tr", {}, [el("td", { text: l.name }), el("td", { text: l.address }),
        el("td", { "class": "num", text: String(l.connections) })]);
    }));
  }

  function renderUpstreams(status, stats) {
    var container = document.getElementById("upstreams");
    var draws = [];
    var panels = status.upstreams.map(function (upstream) {
      var history = (stats.upstreams || {})[upstream.name] || { requests: [], errors: [], p50_ms: [], p99_ms: [], endpoints: {} };
      var r = rates(history);
      var traffic = chart("Requests / s", [
        { label: "requests", color: COLORS.rate, values: r.rps },
        { label: "5xx", color: COLORS.err, values: r.eps }], "");
      var errorShare = chart("Error rate (% 5xx)", [{ label: "errors", color: COLORS.err, values: r.errorRate }], "%");
      var latency = chart("Latency (ms)", [
        { label: "p50", color: COLORS.p50, values: history.p50_ms || [] },
        { label: "p99", color: COLORS.p99, values: history.p99_ms || [] }], "");
      draws.push(traffic.draw, errorShare.draw, latency.draw);

      var rows = upstream.endpoints.map(function (endpoint) {
        var eh = (history.endpoints || {})[endpoint.address] || { requests: [], errors: [], p50_ms: [], p99_ms: [] };
        var er = rates(eh);
        var rateSpark = spark(er.rps, COLORS.rate), p99Spark = spark(eh.p99_ms || [], COLORS.p99);
        draws.push(rateSpark.draw, p99Spark.draw);
        var row = el("tr", { "data-endpoint": endpoint.address, "data-state": endpoint.state }, [
          el("td", { text: endpoint.address }),
          el("td", {}, [el("span", { "class": "state " + endpoint.state, text: endpoint.state })]),
          el("td", { "class": "num", text: String(endpoint.weight) }),
          el("td", { "class": "num", text: String(endpoint.active_requests) }),
          el("td", { "class": "num", text: fmt(last(er.rps), 0) }),
          el("td", { "class": "num", text: fmt(last(er.errorRate), 1) + "%" }),
          el("td", { "class": "num", text: fmt(newest(eh.p50_ms || []), 1) }),
          el("td", { "class": "num", text: fmt(newest(eh.p99_ms || []), 1) }),
          el("td", { "class": "num", text: fmt(endpoint.latency_ewma_ms, 1) }),
          el("td", { "class": "num", text: String(endpoint.recent_errors) }),
          el("td", {}, [rateSpark.node]),
          el("td", {}, [p99Spark.node])
        ]);
        return row;
      });
      var head = el("tr", {}, ["endpoint", "state", "weight", "active", "req/s", "errors", "p50 ms", "p99 ms",
        "ewma ms", "5xx (60 s)", "req/s", "p99"].map(function (h) { return el("th", { text: h }); }));
      var title = el("h2", { text: upstream.name }, [el("span", { "class": "meta",
        text: upstream.balancer + " · " + upstream.eligible_endpoints + " of " + upstream.endpoints.length + " eligible"
          + (upstream.health_checked ? " · health checked" : "") })]);
      return el("section", { "class": "panel upstream", "data-upstream": upstream.name }, [
        title,
        el("div", { "class": "charts" }, [traffic.box, errorShare.box, latency.box]),
        el("table", {}, [el("thead", {}, [head]), el("tbody", {}, rows)])
      ]);
    });
    container.replaceChildren.apply(container, panels);
    draws.forEach(function (draw) { draw(); });
  }

  function renderEvents(status) {
    var list = document.querySelector("#events ol");
    var items = status.events.slice().reverse().map(function (event) {
      var where = [event.upstream, event.endpoint].filter(function (x) { return x; }).join(" ");
      return el("li", { "data-kind": event.kind }, [
        el("time", { text: new Date(event.time).toLocaleTimeString() }),
        el("span", { "class": "kind", text: event.kind }),
        el("span", { text: (where ? where + ": " : "") + event.message })
      ]);
    });
    list.replaceChildren.apply(list, items);
  }

  function render(status, stats) {
    var endpoints = 0, healthy = 0;
    status.upstreams.forEach(function (u) {
      endpoints += u.endpoints.length;
      u.endpoints.forEach(function (e) { if (e.state === "healthy") { healthy++; } });
    });
    document.getElementById("summary").textContent = (status.ready ? "ready" : "not ready")
      + " · configuration " + status.generation + " loaded " + new Date(status.config_loaded_at).toLocaleString()
      + " · " + status.upstreams.length + " upstream(s), " + healthy + "/" + endpoints + " endpoints healthy";
    renderListeners(status);
    renderUpstreams(status, stats);
    renderEvents(status);
    document.body.setAttribute("data-rendered", String(Date.now()));
  }

  function getJson(path, signal) {
    return fetch(path, { cache: "no-store", signal: signal }).then(function (response) {
      if (!response.ok) { throw new Error("/" + path + " answered HTTP " + response.status); }
      return response.json();
    });
  }

  // What went wrong, and since when what the page shows is old.
  function showStale(message) {
    document.body.setAttribute("data-stale", "true");
    var box = document.getElementById("error");
    box.textContent = message + (lastUpdate ? " · showing data from " + lastUpdate.toLocaleTimeString() : "");
    box.hidden = false;
  }

  // One poll at a time; the next is scheduled whatever happened to this one, so that an error of any
  // kind (a refused connection, a timeout, an answer the page cannot draw) never stops the page.
  function poll() {
    var abort = typeof AbortController === "function" ? new AbortController() : null;
    var timer = setTimeout(function () { if (abort) { abort.abort(); } }, TIMEOUT_MS);
    var signal = abort ? abort.signal : undefined;
    Promise.all([getJson("status", signal), getJson("stats", signal)]).then(function (results) {
      try {
        render(results[0], results[1]);
      } catch (e) {
        throw new Error("cannot draw what the admin API answered: " + e.message);
      }
      lastUpdate = new Date();
      document.body.removeAttribute("data-stale");
      document.getElementById("error").hidden = true;
    }).catch(function (error) {
      if (error && error.name === "AbortError") {
        showStale("the admin API did not answer within " + TIMEOUT_MS / 1000 + " s");
      } else if (error instanceof TypeError) { // what fetch throws when there is no answer at all
        showStale("cannot reach the admin API: " + error.message);
      } else {
        showStale(String(error && error.message ? error.message : error));
      }
    }).then(function () {
      clearTimeout(timer);
      setTimeout(poll, POLL_MS);
    });
  }

  poll();
})();
