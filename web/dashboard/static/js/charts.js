// Small SVG charts drawn here, no library: a line (P&L over time), bars (volume over time)
// and a price ladder (quotes against the mid). Sizes are in viewBox units; CSS scales them.

const SVG = "http://www.w3.org/2000/svg";
const W = 600;
const H = 200;
const PAD = { left: 64, right: 12, top: 12, bottom: 28 };

function el(tag, attrs = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function frame(label) {
  return el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": label });
}

function empty(svg, text) {
  svg.append(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "chart-empty" }, text));
  return svg;
}

function scale(domainMin, domainMax, rangeMin, rangeMax) {
  const span = domainMax - domainMin || 1;
  return (value) => rangeMin + ((value - domainMin) / span) * (rangeMax - rangeMin);
}

function short(value) {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (abs >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function axes(svg, y, yMin, yMax, tMin, tMax) {
  for (const value of [yMin, (yMin + yMax) / 2, yMax]) {
    svg.append(el("line", { x1: PAD.left, x2: W - PAD.right, y1: y(value), y2: y(value), class: "grid" }));
    svg.append(el("text", { x: PAD.left - 6, y: y(value) + 4, "text-anchor": "end", class: "tick" }, short(value)));
  }
  const fmt = (t) => new Date(t).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  svg.append(el("text", { x: PAD.left, y: H - 8, class: "tick" }, fmt(tMin)));
  svg.append(el("text", { x: W - PAD.right, y: H - 8, "text-anchor": "end", class: "tick" }, fmt(tMax)));
}

// points: [{t: ms, v: number}]; a step line, since P&L only changes on a fill.
export function lineChart(points, { label, since, until }) {
  const svg = frame(label);
  if (!points.length) return empty(svg, "no fills in this window");
  const values = points.map((p) => p.v);
  let yMin = Math.min(0, ...values);
  let yMax = Math.max(0, ...values);
  if (yMin === yMax) yMax = yMin + 1;
  const x = scale(since, until, PAD.left, W - PAD.right);
  const y = scale(yMin, yMax, H - PAD.bottom, PAD.top);
  axes(svg, y, yMin, yMax, since, until);
  svg.append(el("line", { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), class: "zero" }));
  let d = `M ${x(points[0].t)} ${y(points[0].v)}`;
  for (let i = 1; i < points.length; i += 1) d += ` H ${x(points[i].t)} V ${y(points[i].v)}`;
  d += ` H ${x(until)}`;
  const last = points[points.length - 1].v;
  svg.append(el("path", { d, class: last >= 0 ? "line pos" : "line neg" }));
  return svg;
}

// bars: [{t: ms, buy: number, sell: number}] stacked per bucket of `bucketMs`.
export function barChart(bars, { label, since, until, bucketMs }) {
  const svg = frame(label);
  if (!bars.length) return empty(svg, "no volume in this window");
  const yMax = Math.max(...bars.map((b) => b.buy + b.sell)) || 1;
  const x = scale(since, until, PAD.left, W - PAD.right);
  const y = scale(0, yMax, H - PAD.bottom, PAD.top);
  axes(svg, y, 0, yMax, since, until);
  const width = Math.max(1, x(since + bucketMs) - x(since) - 1);
  for (const bar of bars) {
    const left = x(bar.t);
    svg.append(el("rect", { x: left, y: y(bar.buy), width, height: y(0) - y(bar.buy), class: "bar buy" }));
    const top = y(bar.buy + bar.sell);
    svg.append(el("rect", { x: left, y: top, width, height: y(bar.buy) - top, class: "bar sell" }));
  }
  return svg;
}

// quotes: [{side, price}] against the mid: a horizontal ladder, sells above, buys below.
export function quoteLadder(quotes, mid, { label }) {
  const svg = frame(label);
  const prices = quotes.filter((q) => q.price !== null).map((q) => Number(q.price));
  if (mid === null && !prices.length) return empty(svg, "no mid and no quotes yet");
  const all = mid !== null ? [...prices, mid] : prices;
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  const margin = (hi - lo) * 0.15 || Math.abs(hi) * 0.001 || 1;
  lo -= margin;
  hi += margin;
  const y = scale(lo, hi, H - PAD.bottom, PAD.top);
  for (const value of [lo, hi]) {
    svg.append(el("text", { x: PAD.left - 6, y: y(value) + 4, "text-anchor": "end", class: "tick" }, short(value)));
  }
  if (mid !== null) {
    svg.append(el("line", { x1: PAD.left, x2: W - PAD.right, y1: y(mid), y2: y(mid), class: "mid" }));
    svg.append(el("text", { x: W - PAD.right, y: y(mid) - 4, "text-anchor": "end", class: "tick" }, `mid ${mid}`));
  }
  quotes.forEach((quote, index) => {
    if (quote.price === null) return;
    const price = Number(quote.price);
    const cx = PAD.left + 40 + (index % 8) * 50;
    svg.append(el("circle", { cx, cy: y(price), r: 6, class: `quote ${quote.side}` }));
    const bps = mid ? ` (${(((price - mid) / mid) * 10000).toFixed(1)} bps)` : "";
    svg.append(el("text", { x: cx + 10, y: y(price) + 4, class: "tick" }, `${quote.side} ${quote.price}${bps}`));
  });
  return svg;
}
