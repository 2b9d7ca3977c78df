/** Counters of one registry process, rendered in the Prometheus text format. */
export interface RegistryMetrics {
  countRequest(listener: 'public' | 'admin', status: number): void;
  /** Prometheus exposition text; `gauges` are sampled at render time. */
  render(gauges: Readonly<Record<string, { help: string; value: number }>>): string;
}

/**
 * @example
 * const metrics = createRegistryMetrics();
 * metrics.countRequest('public', 200);
 */
export function createRegistryMetrics(): RegistryMetrics {
  const requests = new Map<string, number>();
  return {
    countRequest(listener, status) {
      const key = `listener="${listener}",status="${status}"`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
    },
    render(gauges) {
      const lines = [
        '# HELP einmal_registry_http_requests_total HTTP requests answered, by listener and status.',
        '# TYPE einmal_registry_http_requests_total counter',
        ...[...requests].map(([labels, count]) => `einmal_registry_http_requests_total{${labels}} ${count}`),
      ];
      for (const [name, gauge] of Object.entries(gauges)) {
        lines.push(`# HELP ${name} ${gauge.help}`, `# TYPE ${name} gauge`, `${name} ${gauge.value}`);
      }
      return `${lines.join('\n')}\n`;
    },
  };
}
