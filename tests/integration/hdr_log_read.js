// Reads an HdrHistogram interval log with the npm package hdr-histogram-js (HdrHistogram's own
// JavaScript port: HistogramLogReader, the V2 decoder) and prints, as JSON, what it decoded per
// tag: each interval's start, length and count, and the intervals added together (total count,
// p50/p90/p99/max, and every non-empty counter by index, to compare with barrage's report).
//   NODE_PATH=$(tools/npm-path.sh) node hdr_log_read.js FILE.hlog
"use strict";
const fs = require("fs");
const hdr = require("hdr-histogram-js");

const text = fs.readFileSync(process.argv[2], "utf8");
const reader = new hdr.HistogramLogReader(text, 64);
const byTag = {};
for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
  let t = byTag[h.tag];
  if (!t) {
    t = byTag[h.tag] = {
      intervals: [],
      sum: hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: h.highestTrackableValue,
                       numberOfSignificantValueDigits: h.numberOfSignificantValueDigits, bitBucketSize: 64 }),
    };
  }
  t.intervals.push({ start_ms: h.startTimeStampMsec, end_ms: h.endTimeStampMsec, count: h.totalCount,
                     max: h.maxValue, significant_digits: h.numberOfSignificantValueDigits,
                     highest_trackable: h.highestTrackableValue });
  t.sum.add(h);
}
const out = { tags: hdr.listTags(text), by_tag: {} };
for (const [tag, t] of Object.entries(byTag)) {
  const counts = [];
  for (let i = 0; i < t.sum.countsArrayLength; i++) {
    const n = t.sum.getCountAtIndex(i);
    if (n > 0) counts.push([i, n]);
  }
  out.by_tag[tag] = {
    intervals: t.intervals,
    total: t.sum.totalCount,
    p50: t.sum.getValueAtPercentile(50),
    p90: t.sum.getValueAtPercentile(90),
    p99: t.sum.getValueAtPercentile(99),
    max: t.sum.maxValue,
    counts: counts,
  };
}
process.stdout.write(JSON.stringify(out));
