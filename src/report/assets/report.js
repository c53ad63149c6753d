// The HTML report's charts: reads the page's JSON (id "barrage-charts", written by
// src/report/html_page.cpp) and draws each chart with uPlot, inlined before this script.
// Inlined at build time; it loads nothing. window.barrageCharts lists the uPlot instances
// (the browser test reads it).
(function () {
  "use strict";
  var colours = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#76b7b2", "#b07aa1", "#edc948", "#9c755f"];
  var height = 300;
  window.barrageCharts = [];

  function trim(v, digits) {
    return String(parseFloat(v.toPrecision(digits)));
  }
  function ms(v) {
    if (v == null) return "–";
    if (v === 0) return "0";
    if (v < 1) return trim(v * 1000, 3) + "µs";
    if (v < 1000) return trim(v, 3) + "ms";
    return trim(v / 1000, 3) + "s";
  }
  function count(v) {
    if (v == null) return "–";
    var a = Math.abs(v);
    if (a >= 1e9) return trim(v / 1e9, 3) + "G";
    if (a >= 1e6) return trim(v / 1e6, 3) + "M";
    if (a >= 1e3) return trim(v / 1e3, 3) + "k";
    return trim(v, 3);
  }
  function clock(s) {
    var m = Math.floor(s / 60), r = Math.round(s - m * 60);
    return m + ":" + (r < 10 ? "0" : "") + r;
  }
  function percentile(x) {
    if (x <= 1) return "0%";
    var q = 100 * (1 - 1 / x);
    return trim(q, Math.max(2, Math.ceil(Math.log10(x)) + 1)) + "%";
  }
  function formatter(label) {
    return label === "ms" ? ms : count;
  }
  // Axis labels: log axes pass null for the unlabelled ticks.
  function ticks(f) {
    return function (u, splits) { return splits.map(function (v) { return v == null ? "" : f(v); }); };
  }
  // A series of one or two values draws no line to speak of: it gets dots.
  function few(values) {
    return values.filter(function (v) { return v != null; }).length < 3;
  }
  function fromZero(u, min, max) {
    return [0, max > 0 ? max * 1.08 : 1];
  }
  function decades(u, axis, min, max) {
    var out = [];
    for (var v = 1; v <= max * 1.0001; v *= 10) if (v >= min / 1.0001) out.push(v);
    return out;
  }

  function xOptions(spec) {
    if (spec.kind === "time") {
      // One point: uPlot would pad its axis to 100 s; one second is what the point covers.
      var only = spec.x.length === 1 ? spec.x[0] : null;
      return { name: "time", scale: { time: false, range: function (u, min, max) { return only == null ? [min, max] : [only, only + 1]; } },
               axis: { label: "time since start (m:ss)", values: ticks(clock),
                       incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400] },
               legend: function (u, v) { return v == null ? "–" : clock(v); } };
    }
    if (spec.kind === "spectrum") {
      return { name: "percentile", scale: { time: false, distr: 3, log: 10, range: function (u, min, max) { return [1, Math.max(max, 10)]; } },
               axis: { label: "percentile", splits: decades, values: ticks(percentile) },
               legend: function (u, v) { return v == null ? "–" : percentile(v); } };
    }
    return { name: "latency", scale: { time: false, distr: 3, log: 10 },
             axis: { label: "latency", values: ticks(ms) },
             legend: function (u, v) { return v == null ? "–" : "up to " + ms(v); } };
  }

  function options(spec, width) {
    var x = xOptions(spec);
    var left = formatter(spec.y_label);
    var opts = {
      title: spec.title, width: width, height: height,
      scales: { x: x.scale, y: { range: fromZero }, y2: { range: fromZero } },
      axes: [Object.assign({ space: 60 }, x.axis),
             { scale: "y", label: spec.y_label, size: 60, values: ticks(left) }],
      series: [{ label: x.name, value: x.legend }],
      cursor: { drag: { x: true, y: false } }
    };
    var right = false;
    spec.series.forEach(function (s, i) {
      var line = { label: s.label, stroke: colours[i % colours.length], width: 1.5, scale: s.right ? "y2" : "y",
                   spanGaps: false, points: { show: few(s.values) },
                   value: function (u, v) { return v == null ? "–" : (s.right ? count : left)(v); } };
      if (spec.kind === "histogram") {
        line.paths = uPlot.paths.bars({ size: [0.9, 80] });
        line.fill = colours[i % colours.length] + "b0";
      }
      if (s.right) right = true;
      opts.series.push(line);
    });
    if (right)
      opts.axes.push({ scale: "y2", side: 1, label: spec.right_y_label, size: 60, grid: { show: false },
                       values: ticks(count) });
    return opts;
  }

  function draw(spec) {
    var el = document.getElementById(spec.id);
    try {
      var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
      var chart = new uPlot(options(spec, el.clientWidth || 900), data, el);
      window.barrageCharts.push(chart);
      window.addEventListener("resize", function () { chart.setSize({ width: el.clientWidth, height: height }); });
    } catch (e) {
      el.textContent = "This chart could not be drawn: " + e;
      el.className += " chart-error";
      console.error("barrage chart " + spec.id + ": " + e);
    }
  }

  JSON.parse(document.getElementById("barrage-charts").textContent).forEach(draw);
})();
