// Reading Central's GET /metrics in tests: parsed with an independent Prometheus text-format parser
// (so a malformed exposition fails), then looked up by family name and labels.
import parsePrometheusTextFormat, { type PromFamily, type PromSample } from 'parse-prometheus-text-format';

export class Scrape {
  readonly families: Map<string, PromFamily>;
  /**
   * The same text with histograms read as untyped series (`x_count`, `x_sum`, `x_bucket` families):
   * the parser folds a labelled histogram's series into one and loses their labels.
   */
  private readonly series: Map<string, PromFamily>;

  constructor(readonly text: string) {
    // A family may come in several runs (prom-client interleaves a histogram's series): merged.
    const byName = (fs: PromFamily[]) => {
      const m = new Map<string, PromFamily>();
      for (const f of fs) {
        const seen = m.get(f.name);
        if (seen) seen.metrics.push(...f.metrics);
        else m.set(f.name, { ...f, metrics: [...f.metrics] });
      }
      return m;
    };
    this.families = byName(parsePrometheusTextFormat(text));
    this.series = byName(
      parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped')),
    );
  }

  family(name: string): PromFamily {
    const f = this.families.get(name);
    if (!f) throw new Error(`no metric family ${name} in:\n${this.text}`);
    return f;
  }

  private sample(name: string, labels: Record<string, string>): PromSample | undefined {
    const f = this.series.get(name);
    if (!f) throw new Error(`no series ${name} in:\n${this.text}`);
    return f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  }

  /** A counter's or gauge's value for these labels (0 when no sample has them). */
  value(name: string, labels: Record<string, string> = {}): number {
    return Number(this.sample(name, labels)?.value ?? 0);
  }

  /** A histogram's observation count for these labels (0 when no series has them). */
  count(name: string, labels: Record<string, string> = {}): number {
    return this.value(`${name}_count`, labels);
  }

  /** A histogram's sum of observations for these labels. */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.value(`${name}_sum`, labels);
  }

  /** Every label set of a family's series (of its `_count` series for a histogram). */
  labels(name: string): Record<string, string>[] {
    const f = this.family(name);
    const series = f.type === 'HISTOGRAM' ? this.series.get(`${name}_count`) : f;
    return (series?.metrics ?? []).map((m) => m.labels ?? {});
  }
}
