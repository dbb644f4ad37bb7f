// Small statistics for the transfer benchmark.

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** Jain's fairness index: (sum x)^2 / (n * sum x^2); 1 is perfectly fair, 1/n is one flow taking everything. */
export function jain(xs: readonly number[]): number {
  let s = 0;
  let s2 = 0;
  for (const x of xs) { s += x; s2 += x * x; }
  return s2 === 0 ? 1 : (s * s) / (xs.length * s2);
}

/** A flow's progress as (time ms, bytes) samples, ascending; bytes at time t by linear interpolation. */
export function bytesAt(samples: ReadonlyArray<readonly [number, number]>, t: number): number {
  if (!samples.length || t <= samples[0]![0]) return samples.length ? samples[0]![1] : 0;
  for (let i = 1; i < samples.length; i++) {
    const [t1, b1] = samples[i]!;
    if (t <= t1) {
      const [t0, b0] = samples[i - 1]!;
      return t1 === t0 ? b1 : b0 + ((b1 - b0) * (t - t0)) / (t1 - t0);
    }
  }
  return samples[samples.length - 1]![1];
}

export interface FairnessResult {
  /** Windows in which every flow was running. */
  windows: number;
  jainMedian: number;
  jainMin: number;
  /** Jain's index of the flows' mean rates over the whole overlap. */
  jainOverall: number;
  /** Sum of the flows' rates over the overlap, bytes/s. */
  aggregate: number;
}

/**
 * Jain's index per `windowMs` window over the interval in which all flows ran (from the last flow's first byte to
 * the first flow's last byte). Each flow: samples of cumulative bytes, the first at its start, the last at its end.
 */
export function fairness(flows: ReadonlyArray<ReadonlyArray<readonly [number, number]>>, windowMs = 1000): FairnessResult {
  const start = Math.max(...flows.map((f) => f.find(([, b]) => b > 0)?.[0] ?? Infinity));
  const end = Math.min(...flows.map((f) => f[f.length - 1]![0]));
  const js: number[] = [];
  for (let t = start; t + windowMs <= end; t += windowMs) js.push(jain(flows.map((f) => bytesAt(f, t + windowMs) - bytesAt(f, t))));
  const total = flows.map((f) => bytesAt(f, end) - bytesAt(f, start));
  const secs = (end - start) / 1000;
  return {
    windows: js.length, jainMedian: median(js), jainMin: js.length ? Math.min(...js) : NaN,
    jainOverall: secs > 0 ? jain(total) : NaN, aggregate: secs > 0 ? total.reduce((a, b) => a + b, 0) / secs : NaN,
  };
}
