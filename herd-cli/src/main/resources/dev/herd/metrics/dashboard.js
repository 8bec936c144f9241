"use strict";
// Polls the daemon's /api/samples: the first answer brings the history it keeps (a few minutes),
// later ones only the frames after the last one seen. A frame's point is
// [id, app, index, cpuPercent, memoryBytes, requestsPerSecond, p99Millis].
(function () {
  const MAX_FRAMES = 600;
  const CHARTS = [
    { el: "chart-rps", title: "Requests/s", column: 5, scale: 1 },
    { el: "chart-p99", title: "p99 latency (ms)", column: 6, scale: 1 },
    { el: "chart-cpu", title: "CPU (% of a core)", column: 3, scale: 1 },
    { el: "chart-memory", title: "Memory (MiB)", column: 4, scale: 1 / 1048576 },
  ];
  const COLOURS = ["#2f6fde", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#0b7285", "#e67700", "#5c940d"];
  const frames = [];
  const status = document.getElementById("status");
  const tbody = document.querySelector("#instances tbody");
  let after = 0;
  let plots = [];
  let seriesKey = "";
  // For tests and the curious: the charts and how many answers the page has shown.
  window.herd = { plots: () => plots, polls: 0 };

  function seriesOf() {
    const labels = new Map();
    for (const f of frames) {
      for (const p of f.points) labels.set(p[0], p[1] + " #" + p[2] + " (id " + p[0] + ")");
    }
    return [...labels.entries()].sort((a, b) => a[0] - b[0]);
  }

  function dataFor(series, chart) {
    const x = frames.map(f => f.t / 1000);
    const ys = series.map(([id]) => frames.map(f => {
      const p = f.points.find(q => q[0] === id);
      return p && p[chart.column] !== null ? p[chart.column] * chart.scale : null;
    }));
    return [x, ...ys];
  }

  function width(el) {
    return Math.max(300, el.clientWidth - 10);
  }

  function draw() {
    const series = seriesOf();
    const key = series.map(s => s[0]).join(",");
    if (key !== seriesKey) {
      plots.forEach(p => p.destroy());
      plots = CHARTS.map(chart => {
        const el = document.getElementById(chart.el);
        const opts = {
          title: chart.title, width: width(el), height: 200,
          scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max, 1)] } },
          series: [{}, ...series.map(([id, label], n) => ({ label, stroke: COLOURS[n % COLOURS.length], width: 1.5 }))],
        };
        return new uPlot(opts, dataFor(series, chart), el);
      });
      seriesKey = key;
    } else {
      plots.forEach((p, n) => p.setData(dataFor(series, CHARTS[n])));
    }
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function table(instances) {
    const rows = instances.map(i => {
      const tr = document.createElement("tr");
      tr.dataset.id = i.id;
      const traffic = i.requestsPerSecond !== undefined;
      [cell(i.id), cell(i.app), cell(i.index), cell(i.state, i.state), cell(i.pid || ""), cell(i.restarts),
        cell(i.pid ? i.cpuPercent.toFixed(1) + "%" : ""), cell(i.pid ? (i.memoryBytes / 1048576).toFixed(1) + " MiB" : ""),
        cell(traffic ? i.requestsPerSecond.toFixed(1) : ""), cell(traffic ? i.inFlight : ""),
        cell(traffic ? i.errors : ""), cell(traffic && i.p99Millis > 0 ? i.p99Millis.toFixed(2) + " ms" : "")]
        .forEach(td => tr.appendChild(td));
      return tr;
    });
    tbody.replaceChildren(...rows);
  }

  async function poll() {
    let next = 5000;
    try {
      const answer = await fetch("api/samples?after=" + after, { cache: "no-store" });
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      const s = await answer.json();
      frames.push(...s.frames);
      frames.splice(0, Math.max(0, frames.length - MAX_FRAMES));
      if (frames.length) after = frames[frames.length - 1].t;
      draw();
      table(s.instances);
      window.herd.polls++;
      status.textContent = "updated " + new Date().toLocaleTimeString();
      next = s.pollMillis;
    } catch (e) {
      status.textContent = "cannot reach the daemon (" + e.message + "), trying again";
    }
    setTimeout(poll, next);
  }

  window.addEventListener("resize", () => plots.forEach((p, n) =>
    p.setSize({ width: width(document.getElementById(CHARTS[n].el)), height: 200 })));
  poll();
})();
